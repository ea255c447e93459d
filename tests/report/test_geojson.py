"""GeoJSON output: RFC 7946 shape (lon, lat order, no crs), path in time order, places and encounters."""

from __future__ import annotations

import json

from trace_samples import empty_trace, sample_trace

from izquvar.report.geojson import geojson_text, trace_geojson


def _kinds(collection: dict[str, object], kind: str) -> list[dict[str, object]]:
    features = collection["features"]
    assert isinstance(features, list)
    return [f for f in features if f["properties"]["kind"] == kind]


def test_feature_collection_follows_rfc_7946() -> None:
    collection = json.loads(geojson_text(sample_trace()))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and set(feature) == {"type", "geometry", "properties"}
        geometry = feature["geometry"]
        positions = [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
        for lon, lat in positions:  # Tashkent: longitude ~69, latitude ~41, so a swap cannot pass
            assert 69.0 < lon < 69.6 and 41.1 < lat < 41.5


def test_path_runs_through_the_places_in_time_order() -> None:
    result = sample_trace()
    shuffled = result.model_copy(update={"places": list(reversed(result.places))})
    (path,) = _kinds(trace_geojson(shuffled), "path")
    assert path["geometry"] == {
        "type": "LineString",
        "coordinates": [[p.lon, p.lat] for p in sorted(result.places, key=lambda p: p.start)],
    }


def test_each_place_is_a_point_with_its_properties() -> None:
    result = sample_trace("ru")
    places = _kinds(trace_geojson(result), "place")
    assert [p["properties"]["order"] for p in places] == list(range(1, len(result.places) + 1))
    school = places[1]["properties"]
    assert school["venue"] == "110-maktab" and school["setting"] == "school"
    assert school["start"] == "2026-03-10T03:00:00Z" and school["minutes"] == 380.0
    assert school["district"] == "Юнусабадский район" and school["sources"] == ["gps", "cell", "roster"]
    assert school["certainty"] == 0.99
    assert places[0]["properties"]["venue"] is None  # home: no venue


def test_every_located_evidence_is_an_encounter_point() -> None:
    result = sample_trace()
    encounters = _kinds(trace_geojson(result), "encounter")
    located = [(c, e) for c in result.contacts for e in c.evidence if e.lat is not None]
    assert len(encounters) == len(located) == 25  # 28 pieces of evidence, 3 Bluetooth ones unplaced
    for feature, (contact, evidence) in zip(encounters, located, strict=True):
        props = feature["properties"]
        assert (props["contact"], props["class"], props["source"]) == (contact.person, contact.klass, evidence.source)
        assert props["minutes"] == evidence.minutes
        assert feature["geometry"]["coordinates"] == [evidence.lon, evidence.lat]


def test_empty_and_single_place_traces_have_no_path() -> None:
    assert trace_geojson(empty_trace()) == {"type": "FeatureCollection", "features": []}
    one = sample_trace().model_copy(update={"places": sample_trace().places[:1], "contacts": []})
    collection = trace_geojson(one)
    assert [f["properties"]["kind"] for f in collection["features"]] == ["place"]
