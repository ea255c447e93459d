"""A trace as GeoJSON (RFC 7946), for GIS tools and web maps: the path, the places, where contacts were met.

RFC 7946 fixes WGS 84 and longitude-then-latitude, and forbids a ``crs`` member, so none is written. Times are
ISO 8601 UTC with ``Z``. Encounters without coordinates (a Bluetooth exchange, a roster) cannot be drawn and
are left out; they stay in the JSON trace.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from izquvar.trace.result import AreaRef, Evidence, Place, TraceResult, VenueRef

Feature = dict[str, Any]


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def _venue_properties(venue: VenueRef | None) -> dict[str, Any]:
    if venue is None:
        return {"venue_id": None, "venue": None, "category": None, "indoor": None}
    return {"venue_id": venue.venue_id, "venue": venue.name, "category": venue.category, "indoor": venue.indoor}


def _area_properties(area: AreaRef | None) -> dict[str, Any]:
    return (area or AreaRef()).model_dump()


def _path_feature(result: TraceResult) -> Feature | None:
    """The movement path; a LineString needs two positions, so a case seen at one place has no path."""
    ordered = sorted(result.places, key=lambda place: place.start)
    if len(ordered) < 2:
        return None
    return {
        "type": "Feature",
        "geometry": {"type": "LineString", "coordinates": [[p.lon, p.lat] for p in ordered]},
        "properties": {
            "kind": "path",
            "person": result.case.person,
            "start": _iso(ordered[0].start),
            "end": _iso(ordered[-1].end),
        },
    }


def _place_feature(order: int, place: Place) -> Feature:
    return {
        "type": "Feature",
        "geometry": _point(place.lat, place.lon),
        "properties": {
            "kind": "place",
            "order": order,
            "start": _iso(place.start),
            "end": _iso(place.end),
            "minutes": place.minutes,
            **_venue_properties(place.venue),
            "setting": place.setting,
            **_area_properties(place.area),
            "sources": list(place.sources),
            "certainty": place.certainty,
        },
    }


def _encounter_feature(person: str, klass: str, risk: float, evidence: Evidence) -> Feature | None:
    if evidence.lat is None or evidence.lon is None:
        return None
    return {
        "type": "Feature",
        "geometry": _point(evidence.lat, evidence.lon),
        "properties": {
            "kind": "encounter",
            "contact": person,
            "class": klass,
            "risk": risk,
            "source": evidence.source,
            "start": _iso(evidence.start),
            "end": _iso(evidence.end),
            "minutes": evidence.minutes,
            "distance_m": evidence.distance_m,
            "attenuation_db": evidence.attenuation_db,
            **_venue_properties(evidence.venue),
            **_area_properties(evidence.area),
        },
    }


def trace_geojson(result: TraceResult) -> dict[str, Any]:
    """A FeatureCollection: the path (LineString), each place (Point), each located encounter (Point)."""
    features: list[Feature] = []
    path = _path_feature(result)
    if path is not None:
        features.append(path)
    ordered = sorted(result.places, key=lambda place: place.start)
    features.extend(_place_feature(order, place) for order, place in enumerate(ordered, start=1))
    for contact in result.contacts:
        for evidence in contact.evidence:
            feature = _encounter_feature(contact.person, contact.klass, contact.risk, evidence)
            if feature is not None:
                features.append(feature)
    return {"type": "FeatureCollection", "features": features}


def geojson_text(result: TraceResult, indent: int | None = 2) -> str:
    """``trace_geojson`` as UTF-8 JSON text (names stay readable: no ``\\u`` escapes)."""
    return json.dumps(trace_geojson(result), ensure_ascii=False, indent=indent)
