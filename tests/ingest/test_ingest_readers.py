"""Reading feeds: CSV and Parquet give the same store, GeoJSON venues and areas, kind detection, walking."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from feedkit import NOW, VENUES, gps_rows, settings, write_kind, write_world

from izquvar import open_store
from izquvar.errors import IngestFailed, InvalidInput
from izquvar.ingest.discover import discover


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in table.column_names if name not in ("geometry_wkt",)])


def test_csv_and_parquet_give_identical_stores(tmp_path: Path) -> None:
    stores = {}
    for fmt in ("csv", "parquet"):
        directory = tmp_path / f"feeds-{fmt}"
        paths = [*write_world(directory, fmt), write_kind(directory, "gps", gps_rows(), fmt)]
        stores[fmt] = open_store(tmp_path / f"store-{fmt}", settings=settings())
        assert stores[fmt].ingest(paths, now=NOW).reject_count == 0
    for table in ("gps", "venues", "towers", "merchants", "stays"):
        assert _sorted(stores["csv"].table(table)).equals(_sorted(stores["parquet"].table(table))), table
    assert stores["csv"].table("gps").num_rows == len(gps_rows())


def test_parquet_with_compatible_types_is_cast_and_naive_timestamps_fail(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store", settings=settings())
    good = pa.table(
        {
            "person": ["a", "b"],
            "time": pa.array([1_772_442_000_000_000_000, 1_772_442_060_000_000_000], pa.timestamp("ns", tz="UTC")),
            "lat": pa.array([41, 42], pa.int32()),
            "lon": [69.0, 69.1],
            "accuracy_m": pa.array([5.0, None]),
        }
    )
    pq.write_table(good, tmp_path / "gps.parquet")
    report = store.ingest([tmp_path / "gps.parquet"], now=NOW)
    assert report.stored == {"gps": 1} and report.rejects["field"].to_pylist() == ["accuracy_m"]
    naive = good.set_column(1, "time", good["time"].cast(pa.timestamp("us")))
    pq.write_table(naive, tmp_path / "gps-naive.parquet")
    with pytest.raises(IngestFailed, match="without a time zone"):
        store.ingest([tmp_path / "gps-naive.parquet"], now=NOW)


def test_text_columns_in_parquet_are_parsed_row_by_row(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store", settings=settings())
    table = pa.table(
        {
            "person": ["a", "b"],
            "time": ["2026-03-02T09:00:00Z", "soon"],
            "lat": ["41.3", "41.3"],
            "lon": ["69.2", "69.2"],
            "accuracy_m": ["5", "5"],
        }
    )
    pq.write_table(table, tmp_path / "gps.parquet")
    report = store.ingest([tmp_path / "gps.parquet"], now=NOW)
    assert [(r["row"], r["line"], r["field"]) for r in report.rejects.to_pylist()] == [(2, None, "time")]


def test_missing_required_column_fails_the_whole_ingest(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store", settings=settings())
    world = write_world(tmp_path / "w")
    (tmp_path / "gps.csv").write_text("person,time,lat\na,2026-03-02T09:00:00Z,41\n")
    with pytest.raises(IngestFailed, match=r"gps.csv: required column\(s\) lon, accuracy_m missing"):
        store.ingest([*world, tmp_path / "gps.csv"], now=NOW)
    assert all(store.table(k).num_rows == 0 for k in ("venues", "towers", "gps", "rejects"))


def test_unreadable_file_fails(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store", settings=settings())
    (tmp_path / "gps.parquet").write_bytes(b"not parquet at all")
    with pytest.raises(IngestFailed, match="cannot read"):
        store.ingest([tmp_path / "gps.parquet"], now=NOW)


def _feature(geometry: dict[str, object], **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def test_geojson_venues_and_areas(tmp_path: Path) -> None:
    venues = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {"type": "Point", "coordinates": [69.279, 41.311]},
                venue_id="g-1",
                name="Maktab",
                category="school",
                indoor=True,
                capacity=900,
                zones=30,
            ),
            _feature(
                {"type": "Point", "coordinates": [69.25, 41.30]},
                venue_id="g-2",
                name="Bog'",
                category="park",
                indoor=False,
                capacity=0,
            ),
        ],
    }
    areas = {
        "type": "FeatureCollection",
        "features": [
            _feature(
                {
                    "type": "Polygon",
                    "coordinates": [[[69.0, 41.0], [69.1, 41.0], [69.1, 41.1], [69.0, 41.0]]],
                },
                area_id="T-1",
                level="mahalla",
                parent_id="1726266",
                name_uz_latn="Test mahalla",
            ),
            _feature(
                {"type": "Point", "coordinates": [69.0, 41.0]},
                area_id="T-2",
                level="mahalla",
                name_uz_latn="Not an area",
            ),
        ],
    }
    (tmp_path / "venues.geojson").write_text(json.dumps(venues))
    (tmp_path / "areas.geojson").write_text(json.dumps(areas))
    store = open_store(tmp_path / "store", settings=settings())
    report = store.ingest([tmp_path / "venues.geojson", tmp_path / "areas.geojson"], now=NOW)
    assert sorted((r["kind"], r["row"], r["field"], r["reason"]) for r in report.rejects.to_pylist()) == [
        ("areas", 2, "geometry_wkt", "bad_geometry"),
        ("venues", 2, "capacity", "out_of_range"),
    ]
    venue = store.table("venues").to_pylist()[0]
    assert (venue["venue_id"], venue["lat"], venue["lon"], venue["indoor"], venue["zones"]) == (
        "g-1",
        41.311,
        69.279,
        True,
        30,
    )
    area = store.table("areas").to_pylist()[0]
    assert area["area_id"] == "T-1" and area["geometry_wkt"].startswith("POLYGON ((69 41")


def test_geojson_is_refused_for_kinds_without_it(tmp_path: Path) -> None:
    (tmp_path / "gps.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    store = open_store(tmp_path / "store", settings=settings())
    with pytest.raises(IngestFailed, match="not GeoJSON"):
        store.ingest([tmp_path / "gps.geojson"], now=NOW)


def test_discover_walks_simulator_output_skips_truth_and_orders_references_first(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_kind(out / "gps" / "day=2026-03-02", "gps", gps_rows()[:3], "parquet").rename(
        out / "gps" / "day=2026-03-02" / "part-0.parquet"
    )
    write_kind(out, "venues", VENUES, "parquet")
    write_kind(out / "truth", "gps", gps_rows()[:3])
    (out / "truth" / "infections.parquet").write_bytes(b"x")
    (out / "simulation.json").write_text("{}")
    (out / "README.txt").write_text("notes")
    (out / ".hidden.csv").write_text("x")
    found = discover([out])
    assert [(f.path.relative_to(out).as_posix(), f.kind.name) for f in found] == [
        ("venues.parquet", "venues"),
        ("gps/day=2026-03-02/part-0.parquet", "gps"),
    ]
    # The walked directory's own name counts (``ingest OUT/gps``), its ancestors' names do not.
    assert [f.kind.name for f in discover([out / "gps"])] == ["gps"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("gps.csv", "gps"),
        ("cell-2026-03.csv", "cell"),
        ("card_uzcard.parquet", "card"),
        ("venues.geojson", "venues"),
        ("checkins.pq", "checkins"),
    ],
)
def test_kind_from_file_names(tmp_path: Path, name: str, kind: str) -> None:
    (tmp_path / name).write_text("")
    assert [f.kind.name for f in discover([tmp_path / name])] == [kind]


def test_unknown_names_need_kind(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("person,time,lat,lon,accuracy_m\n")
    with pytest.raises(InvalidInput, match="--kind"):
        discover([path])
    assert [f.kind.name for f in discover([path], kind="gps")] == ["gps"]
    with pytest.raises(InvalidInput, match="unknown kind"):
        discover([path], kind="wifi")
    with pytest.raises(IngestFailed, match="no such file"):
        discover([tmp_path / "absent.csv"])


def test_areas_that_break_the_hierarchy_fail_the_ingest(tmp_path: Path) -> None:
    square = '"POLYGON ((69.0 41.0, 69.1 41.0, 69.1 41.1, 69.0 41.0))"'
    path = tmp_path / "areas.csv"
    path.write_text(
        "area_id,level,parent_id,name_uz_latn,geometry_wkt\n"
        f"X-1,district,,Tuman,{square}\n"
        f"X-2,district,X-1,Tuman ichida tuman,{square}\n"
    )
    store = open_store(tmp_path / "store", settings=settings())
    with pytest.raises(IngestFailed, match="hierarchy"):
        store.ingest([path], now=NOW)
    assert store.table("areas").num_rows == 0


def test_progress_bar_does_not_change_the_result(tmp_path: Path) -> None:
    store = open_store(tmp_path / "store", settings=settings())
    report = store.ingest([write_kind(tmp_path, "gps", gps_rows())], progress=True, now=NOW)
    assert report.stored == {"gps": len(gps_rows())}
