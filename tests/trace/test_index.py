"""StayIndex: the sorted layout its queries rely on, save/load, and refusal of bad input."""

from __future__ import annotations

import itertools
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from stay_builders import at, stays_table

from izquvar.errors import InvalidInput, NotFound, StoreError
from izquvar.trace import StayIndex, colocated
from izquvar.trace.index import EPOCH


def random_table(n: int, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    stays = [
        (f"p{int(p):03d}", float(x), float(y), float(s), float(s + d))
        for p, x, y, s, d in zip(
            rng.integers(0, 60, n), rng.uniform(-200, 200, n), rng.uniform(-200, 200, n),
            rng.uniform(0, 3000, n), rng.uniform(0, 300, n), strict=True,
        )
    ]  # fmt: skip
    return stays_table(stays, venue_id=[f"v{i}" for i in range(n)])


@pytest.mark.parametrize("far_away", [False, True])
def test_layout_is_cell_then_start_with_running_max_end_and_person_csr(far_away: bool) -> None:
    """``far_away`` adds a stay in Cape Town ten years later: the dense (cell, start) key no longer fits in
    62 bits and the build takes its ``np.unique`` path, which must give the same layout."""
    table = random_table(2000)
    if far_away:
        extra = pa.table(
            {
                "person": ["p001"],
                "start": pa.array([at(5_300_000)], pa.timestamp("us", tz="UTC")),
                "end": pa.array([at(5_300_060)], pa.timestamp("us", tz="UTC")),
                "lat": [-33.92],
                "lon": [18.42],
                "venue_id": ["cape"],
            }
        )
        table = pa.concat_tables([table, extra])
    index = StayIndex.build(table, cell_m=20.0, carry=("venue_id",))
    assert index.n_stays == table.num_rows
    assert index.persons.to_pylist() == sorted(index.persons.to_pylist())
    offsets = index.cell_offsets
    assert offsets[0] == 0 and offsets[-1] == index.n_stays and np.all(np.diff(index.cell_keys) > 0)
    for k in range(len(index.cell_keys)):
        lo, hi = offsets[k], offsets[k + 1]
        assert np.all(np.diff(index.start_s[lo:hi]) >= 0)
        assert np.array_equal(index.run_max_end[lo:hi], np.maximum.accumulate(index.end_s[lo:hi]))
        cx = index.x_dm[lo:hi].astype(np.int64) // index.cell_dm
        cy = index.y_dm[lo:hi].astype(np.int64) // index.cell_dm
        assert np.all(cx * 2**32 + cy + 2**31 == index.cell_keys[k])
    for pid in range(index.n_persons):
        mine = index.person_stays[index.person_offsets[pid] : index.person_offsets[pid + 1]]
        assert np.all(index.person[mine] == pid) and np.all(np.diff(index.start_s[mine]) >= 0)
    assert sorted(index.person_stays.tolist()) == list(range(index.n_stays))
    assert index.person_id("p007") == index.persons.to_pylist().index("p007")
    assert index.person_id("nobody") is None and index.person_id("p0") is None


def test_coordinates_and_times_are_integer_decimetres_and_seconds() -> None:
    index = StayIndex.build(stays_table([("a", 0, 0, 0, 10), ("b", 12.34, -5.0, 1.5, 2.25)]))
    b = int(np.flatnonzero(index.person == index.person_id("b"))[0])
    a = int(np.flatnonzero(index.person == index.person_id("a"))[0])
    assert (index.x_dm[b] - index.x_dm[a], index.y_dm[b] - index.y_dm[a]) == (123, -50)
    first = int((at(0) - EPOCH).total_seconds())
    assert (index.start_s[b] - first, index.end_s[b] - first) == (90, 135)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    built = StayIndex.build(random_table(500), carry=("venue_id",))
    built.save(tmp_path / "idx")
    loaded = StayIndex.load(tmp_path / "idx")
    for name in StayIndex._ARRAYS:
        assert np.array_equal(getattr(built, name), getattr(loaded, name)), name
    assert loaded.persons.equals(built.persons) and loaded.carried == built.carried
    assert loaded.cell_m == built.cell_m
    for person in ("p001", "p017", "p042"):
        assert colocated(loaded, person, at(0), at(4000), 25.0, 1.0).equals(
            colocated(built, person, at(0), at(4000), 25.0, 1.0)
        )


def test_load_refuses_missing_or_foreign_directories(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        StayIndex.load(tmp_path)
    StayIndex.build(random_table(50)).save(tmp_path / "idx")
    meta_path = tmp_path / "idx" / "meta.json"
    meta = json.loads(meta_path.read_text())
    meta_path.write_text(json.dumps({**meta, "version": 999}))
    with pytest.raises(StoreError, match="version"):
        StayIndex.load(tmp_path / "idx")
    meta_path.write_text(json.dumps({**meta, "n_stays": 49}))
    with pytest.raises(StoreError, match="rebuild"):
        StayIndex.load(tmp_path / "idx")
    meta_path.write_text("{")
    with pytest.raises(StoreError, match="JSON"):
        StayIndex.load(tmp_path / "idx")


def test_bad_input_is_refused_with_row_and_field() -> None:
    good = stays_table([("a", 0, 0, 0, 10), ("b", 1, 1, 5, 20)])
    with pytest.raises(InvalidInput, match="missing column"):
        StayIndex.build(good.drop_columns(["lat"]))
    with pytest.raises(InvalidInput, match="venue_id"):
        StayIndex.build(good, carry=("venue_id",))
    backwards = good.set_column(2, "end", pa.array([at(10), at(1)], pa.timestamp("us", tz="UTC")))
    with pytest.raises(InvalidInput, match="row 1: field 'end' is before 'start'"):
        StayIndex.build(backwards)
    naive = good.set_column(1, "start", pa.array([datetime(2026, 3, 2)] * 2, pa.timestamp("us")))
    with pytest.raises(InvalidInput, match="tz-aware"):
        StayIndex.build(naive)
    with pytest.raises(InvalidInput, match="row 0: field 'lat'"):
        StayIndex.build(good.set_column(3, "lat", pa.array([91.0, 41.0])))
    with pytest.raises(InvalidInput, match="row 1: field 'lon' is empty"):
        StayIndex.build(good.set_column(4, "lon", pa.array([69.0, None])))
    with pytest.raises(InvalidInput, match="string"):
        StayIndex.build(good.set_column(0, "person", pa.array([1, 2])))
    with pytest.raises(InvalidInput, match="cell_m"):
        StayIndex.build(good, cell_m=0.5)
    old = good.set_column(1, "start", pa.array([datetime(2019, 1, 1, tzinfo=EPOCH.tzinfo)] * 2,
                                               pa.timestamp("us", tz="UTC")))  # fmt: skip
    with pytest.raises(InvalidInput, match="row 0: field 'start' is outside"):
        StayIndex.build(old)


def test_an_empty_table_builds_an_empty_index() -> None:
    index = StayIndex.build(stays_table([]))
    assert index.n_stays == 0 and index.n_persons == 0
    assert colocated(index, "anyone", at(0), at(60), 10.0).num_rows == 0


def _assert_identical(one: StayIndex, other: StayIndex) -> None:
    for name in StayIndex._ARRAYS:
        a, b = getattr(one, name), getattr(other, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name
    assert one.persons.equals(other.persons) and one.cell_m == other.cell_m
    assert (one.carried is None) == (other.carried is None)
    if one.carried is not None and other.carried is not None:
        assert one.carried.schema.equals(other.carried.schema) and one.carried.equals(other.carried)


def _with_mixed_carry(table: pa.Table) -> pa.Table:
    """A nullable text column and a numeric one besides venue_id: the three kinds a carried column can be."""
    n = table.num_rows
    area = pa.array([None if i % 7 == 0 else f"area{i % 13}" for i in range(n)], pa.string())
    pings = pa.array(np.arange(n, dtype=np.int32) % 5)
    return table.append_column("area_id", area).append_column("n_pings", pings)


@pytest.mark.parametrize("by_person", [False, True])
def test_chunked_build_is_identical_to_one_table(by_person: bool) -> None:
    """Chunks of uneven size (one empty); ``by_person`` sorts the rows first so that every chunk brings
    persons and venues the earlier ones never saw, which is what the shared vocabularies must absorb."""
    table = _with_mixed_carry(random_table(3000, seed=11))
    if by_person:
        table = table.sort_by([("person", "descending")])
    cuts = [0, 1, 700, 700, 1900, 2999, 3000]
    chunks = [table.slice(lo, hi - lo) for lo, hi in itertools.pairwise(cuts)]
    carry = ("venue_id", "area_id", "n_pings")
    chunked = StayIndex.build_chunks(iter(chunks), cell_m=20.0, carry=carry)
    _assert_identical(chunked, StayIndex.build(table, cell_m=20.0, carry=carry))
    assert chunked.carried is not None and chunked.carried.column("area_id").null_count == 429
    # and it is the layout the queries rely on, not merely the same answer twice
    order = np.lexsort((chunked.start_s, chunked.person))
    assert np.array_equal(chunked.person_stays, order)


def test_one_table_is_split_into_slices_without_changing_the_index(monkeypatch: pytest.MonkeyPatch) -> None:
    table = _with_mixed_carry(random_table(1000, seed=5))
    whole = StayIndex.build(table, carry=("venue_id", "area_id"))
    monkeypatch.setattr("izquvar.trace.index._CHUNK_ROWS", 97)
    _assert_identical(StayIndex.build(table, carry=("venue_id", "area_id")), whole)


def test_chunked_build_names_the_row_of_the_whole_sequence() -> None:
    good = stays_table([("a", 0, 0, 0, 10), ("b", 1, 1, 5, 20)])
    bad_lat = good.set_column(3, "lat", pa.array([41.0, 91.0]))
    with pytest.raises(InvalidInput, match="row 5: field 'lat'"):
        StayIndex.build_chunks([good, good, bad_lat])
    backwards = good.set_column(2, "end", pa.array([at(10), at(1)], pa.timestamp("us", tz="UTC")))
    with pytest.raises(InvalidInput, match="row 3: field 'end' is before 'start'"):
        StayIndex.build_chunks([good, backwards])
    with pytest.raises(InvalidInput, match="row 2: field 'person' is empty"):
        StayIndex.build_chunks([good, good.set_column(0, "person", pa.array([None, "b"], pa.string()))])
    venue = pa.array(["v1", "v2"])
    with pytest.raises(InvalidInput, match="row 2: carried columns"):
        StayIndex.build_chunks(
            [good.append_column("venue_id", venue), good.append_column("venue_id", pa.array([1, 2]))],
            carry=("venue_id",),
        )


def test_no_chunks_build_an_empty_index() -> None:
    index = StayIndex.build_chunks([], carry=("venue_id",))
    assert index.n_stays == 0 and index.n_persons == 0
    assert index.carried is not None and index.carried.column_names == ["venue_id"]


def test_merged_day_segments_equal_one_build_of_every_day() -> None:
    """What a store's per-day stay index merges: segments of disjoint days, each with persons and venues of its
    own, one of them empty, give the index built from all their rows at once, array for array."""
    table = _with_mixed_carry(random_table(3000, seed=12))
    days = pc.cast(pc.cast(table.column("start"), pa.timestamp("us", "UTC")), pa.date32()).to_numpy(
        zero_copy_only=False
    )
    order = np.argsort(days, kind="stable")
    table, days = table.take(order), days[order]
    carry = ("venue_id", "area_id", "n_pings")
    segments = [
        StayIndex.build(table.filter(pa.array(days == day)), cell_m=20.0, carry=carry) for day in np.unique(days)
    ]
    assert len(segments) > 2
    segments.insert(1, StayIndex.build(table.slice(0, 0), cell_m=20.0, carry=carry))
    _assert_identical(StayIndex.merge(segments), StayIndex.build(table, cell_m=20.0, carry=carry))
    with pytest.raises(InvalidInput, match="different cell sizes"):
        StayIndex.merge([segments[0], StayIndex.build(table.slice(0, 5), cell_m=10.0, carry=carry)])
