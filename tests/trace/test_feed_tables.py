"""The per-case data layout (CSR-grouped numpy tables, vocabularies, vectorised joins) against the pandas and
per-point reference implementations they replaced: same rows, in the same order."""

from __future__ import annotations

import datetime as dt
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from izquvar.geo.distance import to_metres
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import Columns, Grouped, ranges, stable_order
from izquvar.trace.evidence import COLUMNS, EvidenceBatch, evidence_columns, frame, visit_pairs
from izquvar.trace.feed_tables import Vocabulary
from izquvar.trace.index import cell_key
from izquvar.trace.sources.visits import nearest_homes
from izquvar.trace.trace_data import Homes

small_tables = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(0, 1000)), min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(small_tables)
def test_grouped_rows_are_the_stable_sort_by_key_then_time(rows: list[tuple[int, int, int]]) -> None:
    key = np.asarray([r[0] for r in rows], dtype=np.int64)
    then = np.asarray([r[1] for r in rows], dtype=np.int64)
    payload = np.asarray([r[2] for r in rows], dtype=np.int64)
    table = Grouped.build({"then": then, "payload": payload}, key, 6, then)
    reference = pd.DataFrame({"key": key, "then": then, "payload": payload}).sort_values(["key", "then"], kind="stable")
    for code in range(6):
        expected = reference[reference["key"] == code]["payload"].tolist()
        assert table.rows(code)["payload"].tolist() == expected
    assert len(table.rows(-1)) == 0 and len(table.rows(6)) == 0
    wanted = np.asarray([3, 0, 3, 9, -1], dtype=np.int64)
    at, owner = table.positions(wanted)
    joined = [(int(owner[k]), int(table.columns["payload"][at[k]])) for k in range(len(at))]
    expected_join = [(i, p) for i, c in enumerate(wanted.tolist()) for p in table.rows(c)["payload"].tolist()]
    assert joined == expected_join


def test_grouped_drops_rows_without_a_key() -> None:
    table = Grouped.build({"v": np.asarray([1, 2, 3])}, np.asarray([0, -1, 0]), 1)
    assert table.rows(0)["v"].tolist() == [1, 3] and len(table) == 2


def test_ranges_concatenates_and_names_the_owner() -> None:
    at, owner = ranges(np.asarray([5, 0, 2]), np.asarray([7, 0, 3]))
    assert at.tolist() == [5, 6, 2] and owner.tolist() == [0, 0, 2]


def test_columns_take_slices_masks_and_positions() -> None:
    columns = Columns({"a": np.arange(5), "b": np.arange(5) * 2})
    assert len(columns.take(slice(1, 3))) == 2 and columns.take(slice(1, 3))["b"].tolist() == [2, 4]
    assert len(columns.take(np.asarray([True, False, True, False, False]))) == 2
    assert columns.take(np.asarray([4, 0]))["a"].tolist() == [4, 0]
    assert "a" in columns and columns.names == ["a", "b"]


def test_vocabulary_codes_first_ids_in_order_then_the_rest_sorted() -> None:
    feed = pa.chunked_array([pa.array(["v9", None, "v1", "x2"]), pa.array(["x1", "v9"])])
    vocabulary = Vocabulary.of([feed], first=["v9", "v1"])
    assert vocabulary.names.tolist() == ["v9", "v1", "x1", "x2"]
    assert vocabulary.encode(feed).tolist() == [0, -1, 1, 3, 2, 0]
    assert vocabulary.code("x1") == 2 and vocabulary.code("nope") == -1 and vocabulary.code(None) == -1
    assert vocabulary.encode_values(np.asarray(["x2", None, "zz"], dtype=object)).tolist() == [3, -1, -1]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=6),
    st.lists(st.tuples(st.integers(0, 3), st.integers(0, 2)), min_size=0, max_size=25),
)
def test_visit_pairs_are_the_inner_join_in_the_case_order(mine: list[int], theirs: list[tuple[int, int]]) -> None:
    venue = np.asarray([t[0] for t in theirs], dtype=np.int64)
    person = np.asarray([t[1] for t in theirs], dtype=np.int64)
    table = Grouped.build({"person": person, "row": np.arange(len(theirs))}, venue, 4)
    left, right = visit_pairs(np.asarray(mine, dtype=np.int64), table, case_person=0)
    ours = list(zip(left.tolist(), table.columns["row"][right].tolist(), strict=True))
    grouped = pd.DataFrame({"venue": table.columns["key"], "person": table.columns["person"],
                            "row": table.columns["row"]})  # fmt: skip
    others = grouped[grouped["person"] != 0]
    merged = pd.DataFrame({"venue": mine, "i": range(len(mine))}).merge(others, on="venue")
    assert ours == list(zip(merged["i"].tolist(), merged["row"].tolist(), strict=True))


def test_evidence_batches_and_frames_give_the_same_columns() -> None:
    values = {"contact": np.asarray(["a", "b"], dtype=object), "source": "gps", "start_s": [0, 10],
              "end_s": [5, 20], "venue_id": "v1", "p_near": 0.5, "qualifies": True}  # fmt: skip
    from_batch = evidence_columns([EvidenceBatch.of(2, **values)], exclude="b")
    from_frame = evidence_columns([frame(2, **values)], exclude="b")
    assert list(from_batch) == list(COLUMNS) == list(from_frame)
    for name in COLUMNS:
        assert from_batch[name].dtype == from_frame[name].dtype, name
        assert pd.Series(from_batch[name]).equals(pd.Series(from_frame[name])), name
    assert {k: v.dtype for k, v in evidence_columns([]).items()} == {k: np.dtype(float) for k in COLUMNS}
    with pytest.raises(KeyError):
        EvidenceBatch.of(1, not_a_column=1)


def _nearest_home_reference(homes: Homes, lat: float, lon: float) -> tuple[int, float]:
    """The former per-point lookup: 3x3 cells in (dx, dy) order, a strictly nearer home replaces the best."""
    x, y = to_metres([lat], [lon])
    px, py = float(x[0]), float(y[0])
    cx, cy = int(px // homes.cell_m), int(py // homes.cell_m)
    best: tuple[int, float] = (-1, math.inf)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            key = cell_key(np.asarray([cx + dx], np.int64), np.asarray([cy + dy], np.int64))[0]
            lo = int(np.searchsorted(homes.keys, key, side="left"))
            hi = int(np.searchsorted(homes.keys, key, side="right"))
            if hi == lo:
                continue
            d = np.hypot(homes.x[lo:hi] - px, homes.y[lo:hi] - py)
            j = int(np.argmin(d))
            if d[j] < best[1]:
                best = (int(homes.household[lo + j]), float(d[j]))
    return best


def test_nearest_homes_match_the_per_point_lookup() -> None:
    rng = np.random.default_rng(7)
    lat = 41.30 + rng.random(400) * 0.01
    lon = 69.24 + rng.random(400) * 0.01
    # two homes at the very same point: the first one met wins, as before
    lat[1], lon[1] = lat[0], lon[0]
    people = pd.DataFrame({"household": [f"h{k}" for k in range(400)], "home_lat": lat, "home_lon": lon})
    households = Vocabulary.of([pa.array(people["household"].tolist())])
    homes = Homes.build(people, households)
    data = SimpleNamespace(homes=homes)
    points_lat = np.r_[41.30 + rng.random(300) * 0.012, lat[0], 40.0]
    points_lon = np.r_[69.24 + rng.random(300) * 0.012, lon[0], 60.0]
    household, distance = nearest_homes(data, points_lat, points_lon)  # type: ignore[arg-type]
    for k in range(len(points_lat)):
        expected = _nearest_home_reference(homes, float(points_lat[k]), float(points_lon[k]))
        assert (int(household[k]), float(distance[k])) == expected


def test_cell_intervals_are_each_cells_records_in_the_interval() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    subscriber = [f"s{k}" for k in rng.integers(0, 40, n)]
    time_s = 1_700_000_000 + rng.integers(0, 86_400, n)
    cell_id = [f"c{k}" for k in rng.integers(0, 12, n)]
    table = pa.table(
        {
            "subscriber": pa.array(subscriber),
            "time": pa.array(time_s * 1_000_000, pa.timestamp("us", tz="UTC")),
            "cell_id": pa.array(cell_id),
        }
    )
    events = CellEvents.build(table)
    records = pd.DataFrame({"subscriber": subscriber, "time_s": time_s, "cell_id": cell_id})
    starts = 1_700_000_000 + rng.integers(-3_600, 90_000, 200)
    ends = starts + rng.integers(0, 20_000, 200)
    cells = rng.integers(0, len(events.cell_ids), 200)
    lo, hi = events.in_intervals(cells, starts, ends)
    for k in range(200):
        cell = str(events.cell_ids[cells[k]])
        inside = records[(records["cell_id"] == cell) & records["time_s"].between(starts[k], ends[k])]
        expected = inside.sort_values("time_s", kind="stable")
        found = events.subscriber_names[events.subscriber[lo[k] : hi[k]]]
        assert sorted(zip(events.time_s[lo[k] : hi[k]].tolist(), found.tolist(), strict=True)) == sorted(
            zip(expected["time_s"].tolist(), expected["subscriber"].tolist(), strict=True)
        )
        assert (np.diff(events.time_s[lo[k] : hi[k]]) >= 0).all()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40), max_size=60), st.booleans())
def test_stable_order_is_the_stable_argsort(values: list[int], huge: bool) -> None:
    key = np.asarray(values, dtype=np.int64)
    if huge and len(key):
        key[0] = 2**62  # too wide to pack with the positions: the plain stable argsort answers
    assert stable_order(key).tolist() == np.argsort(key, kind="stable").tolist()


def test_within_m_decides_as_the_per_point_call() -> None:
    from izquvar.geo.distance import haversine_m
    from izquvar.trace.sources.visits import within_m

    rng = np.random.default_rng(11)
    lat = 41.30 + rng.random(3_000) * 0.004
    lon = 69.25 + rng.random(3_000) * 0.004
    home = (41.302, 69.252)
    per_point = np.asarray([float(haversine_m(float(a), float(b), *home)) for a, b in zip(lat, lon, strict=True)])
    for radius in (150.0, float(per_point[0]), float(per_point[1]), float(np.nextafter(per_point[2], 0.0))):
        assert within_m(lat, lon, home, radius).tolist() == (per_point <= radius).tolist()


def test_operator_records_merged_from_day_segments_equal_one_build() -> None:
    """A store's operator records indexed a day at a time and merged give the index of all days at once, array
    for array: each day with subscribers and cells of its own, records in the same second (one cell and
    several), a day without records."""
    rng = np.random.default_rng(21)
    day0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    parts = []
    for day in range(4):
        n = 0 if day == 2 else 400
        seconds = rng.integers(0, 86_400 // 600, n) * 600  # on the ten minutes: many records share a second
        parts.append(
            pa.table(
                {
                    "subscriber": pa.array([f"s{day * 7 + k}" for k in rng.integers(0, 40, n)], pa.string()),
                    "time": pa.array(
                        [day0 + dt.timedelta(days=day, seconds=int(s)) for s in seconds], pa.timestamp("us", "UTC")
                    ),
                    "cell_id": pa.array([f"434-05-{day}{k:02d}" for k in rng.integers(0, 12, n)], pa.string()),
                }
            )
        )
    whole = CellEvents.build_parts(parts)
    merged = CellEvents.merge([CellEvents.build(part) for part in parts])
    for name in ("cell_ids", "cell_time", "subscriber_code", "by_subscriber", "subscriber_offsets", "name_rank"):
        assert np.array_equal(getattr(merged, name), getattr(whole, name)), name
        assert getattr(merged, name).dtype == getattr(whole, name).dtype, name
    assert merged.subscriber_names.tolist() == whole.subscriber_names.tolist()
    assert (merged.t0, merged.span) == (whole.t0, whole.span)
    assert len(CellEvents.merge([])) == 0
