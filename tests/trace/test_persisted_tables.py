"""The tracer's per-case tables persisted next to the stay index: a load from the files equals a fresh build,
array for array and trace for trace, and whatever is stale, damaged or unwritable is rebuilt or kept in
memory instead of failing."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from izquvar import open_store
from izquvar.errors import StoreError
from izquvar.simulate import SimConfig, simulate
from izquvar.store import EmbeddedStore
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import CodedStrings, Grouped, Names, load_arrays, narrow_column, save_arrays
from izquvar.trace.feed_tables import Vocabulary
from izquvar.trace.persisted import PersistedTables, fingerprint
from izquvar.trace.trace_data import TraceData, venue_ids_beyond
from izquvar.trace.tracer import Tracer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from feedkit import settings  # type: ignore[import-not-found]

FEEDS_IGNORED = ("truth", "simulation.json")
#: Arrays of codes that a load gives as int32 (equal values): all read per element or compared, never summed.
NARROW_CODES = (
    "tables.homes.household",
    "tables.people.household",
    "tables.people.phone_code",
    "tables.venue_ids.order",
)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small simulation with every feed, ingested once; tests work on copies of the store."""
    root = tmp_path_factory.mktemp("persist")
    sim = root / "sim"
    simulate(SimConfig(people=600, days=3, seed=5), sim)
    store = open_store(root / "store", settings=settings())
    store.ingest(sorted(p for p in sim.iterdir() if p.name not in FEEDS_IGNORED))
    return sim, root / "store"


@pytest.fixture
def store(simulated: tuple[Path, Path], tmp_path: Path) -> EmbeddedStore:
    copy = tmp_path / "store"
    shutil.copytree(simulated[1], copy)
    shutil.rmtree(copy / "index", ignore_errors=True)
    return open_store(copy, create=False, settings=settings())


def _tables_dir(store: EmbeddedStore) -> Path:
    """The one directory of persisted tables the store's index cache holds."""
    found = sorted(p for p in (store.root / "index" / "trace").iterdir() if not p.name.startswith("."))
    assert len(found) == 1, found
    return found[0]


def _cases(store: EmbeddedStore, n: int = 12) -> list[str]:
    people = store.table("people").column("person").to_pylist()
    return [str(p) for p in people[:: max(len(people) // n, 1)][:n]]


def _traces(tracer: Tracer, persons: list[str]) -> list[dict[str, Any]]:
    out = []
    for person in persons:
        document = json.loads(tracer.trace(person, dt.date(2026, 3, 3)).to_json(indent=None))
        document["summary"].pop("elapsed_ms")
        out.append(document)
    return out


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every array (widened as the rules read it) and scalar a :class:`PersistedTables` holds, by path."""
    if isinstance(value, Grouped):
        yield f"{path}.offsets", np.asarray(value.offsets)
        everything = value.columns.take(slice(None))
        for name in value.columns:
            yield f"{path}.{name}", everything[name]
    elif isinstance(value, Vocabulary):
        yield f"{path}.names", value.names.tolist()
    elif isinstance(value, Names):
        yield path, value.tolist()
    elif isinstance(value, CodedStrings):
        yield path, value[:]
    elif isinstance(value, CellEvents):
        for name in ("time_s", "cell_code", "subscriber"):
            yield f"{path}.{name}", getattr(value, name)[:]
        for field in dataclasses.fields(value):
            yield from _leaves(getattr(value, field.name), f"{path}.{field.name}")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _leaves(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}[{key}]")
    elif isinstance(value, pa.Table):
        yield path, value.to_pylist()
    else:
        yield path, value


def _assert_same(built: PersistedTables, loaded: PersistedTables) -> None:
    left, right = dict(_leaves(built, "tables")), dict(_leaves(loaded, "tables"))
    assert left.keys() == right.keys()
    for path, a in left.items():
        b = right[path]
        if isinstance(a, np.ndarray):
            assert isinstance(b, np.ndarray) and a.shape == b.shape, path
            assert a.dtype.kind == b.dtype.kind, path
            # codes persisted as int32 are the same values; rows taken from grouped tables are int64 again
            assert a.dtype == b.dtype or path.startswith(NARROW_CODES), path
            assert np.array_equal(a, b, equal_nan=a.dtype.kind == "f"), path
        else:
            assert a == b, path


def test_a_persisted_load_equals_a_fresh_build_array_for_array(store: EmbeddedStore) -> None:
    first = TraceData.load(store, store)
    directory = _tables_dir(store)
    assert (directory / "meta.json").is_file()
    venue_rows = store.table("venues").to_pandas()
    stay_venue_ids = venue_ids_beyond(first.stays, venue_rows)
    expect = fingerprint(store, stay_venue_ids)
    assert expect == first.tables_key
    events = CellEvents.build_parts(day for _, day in store.table_by_day("cell", ["subscriber", "time", "cell_id"]))
    built = PersistedTables.build(store, venue_rows, stay_venue_ids, events)
    loaded = PersistedTables.load(directory, expect, first.cell_events)
    _assert_same(built, loaded)
    # the big arrays are memory-mapped, not read
    assert isinstance(TraceData.load(store, store).cell_events.cell_time, np.memmap)
    assert isinstance(loaded.ble.columns["other"], np.memmap) and loaded.ble.columns["other"].dtype == np.int32


def test_traces_from_the_persisted_tables_equal_the_fresh_ones(store: EmbeddedStore) -> None:
    persons = _cases(store)
    fresh = Tracer(store)
    assert (_tables_dir(store) / "meta.json").is_file()
    mapped = Tracer(store)
    assert isinstance(mapped.data.cell_events.cell_time, np.memmap)
    assert not isinstance(fresh.data.cell_events.cell_time, np.memmap)
    assert _traces(fresh, persons) == _traces(mapped, persons)
    assert sum(len(t["contacts"]) for t in _traces(fresh, persons)) > 0


def test_an_ingest_of_people_rebuilds_the_tables_and_removes_the_stale_ones(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    TraceData.load(store, store)
    old = _tables_dir(store)
    feeds = tmp_path / "more"
    feeds.mkdir()
    (feeds / "people.csv").write_text(
        "person,household,birth_year,sex,phone,home_lat,home_lon\nP-LATE,H-LATE,1990,F,,41.3,69.25\n", encoding="utf-8"
    )
    store.ingest([feeds / "people.csv"])
    data = TraceData.load(store, store)
    new = _tables_dir(store)
    assert new != old and (new / "meta.json").is_file() and not old.exists()
    assert data.knows(store.pseudonym("P-LATE"))
    assert data.generation == store.generation()


def _merged(store: EmbeddedStore, name: str) -> Path:
    """The kept merge of every day's segment of the index called ``name`` (``cell``, ``stays``)."""
    found = sorted((store.root / "index" / name).glob("all-*"))
    assert len(found) == 1, found
    return found[0]


def _first_array(tracer: Tracer, part: str) -> np.ndarray:
    """One big array of the tables (``tables``) or of the operator records (``cell``), as the tracer holds it."""
    data = tracer.data
    column: np.ndarray = data.ble.columns["other"] if part == "tables" else data.cell_events.cell_time
    return column


@pytest.mark.parametrize("part", ["tables", "cell"])
@pytest.mark.parametrize("damage", ["truncate", "header", "missing", "meta", "other_dtype"])
def test_damaged_files_are_rebuilt_not_fatal(store: EmbeddedStore, part: str, damage: str) -> None:
    persons = _cases(store, 6)
    expected = _traces(Tracer(store), persons)
    directory = _tables_dir(store) if part == "tables" else _merged(store, "cell")
    target = directory / ("ble.other.npy" if part == "tables" else "events.cell_time.npy")
    assert target.is_file()
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[: target.stat().st_size // 2])
    elif damage == "header":
        target.write_bytes(b"garbage!" + target.read_bytes()[8:])
    elif damage == "missing":
        target.unlink()
    elif damage == "meta":
        (directory / "meta.json").write_text("{not json", encoding="utf-8")
    else:
        np.save(target, np.zeros(3, dtype=np.float32))
    tracer = Tracer(store)
    assert not isinstance(_first_array(tracer, part), np.memmap)  # rebuilt (the tables from the store)
    assert _traces(tracer, persons) == expected
    again = Tracer(store)  # and kept again, whole
    assert isinstance(_first_array(again, part), np.memmap)


def test_a_read_only_store_still_traces_from_memory(store: EmbeddedStore, monkeypatch: pytest.MonkeyPatch) -> None:
    persons = _cases(store, 6)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr("izquvar.trace.persisted.save_arrays", refuse)
    monkeypatch.setattr("izquvar.trace.cell_events.save_arrays", refuse)
    monkeypatch.setattr("izquvar.trace.index.StayIndex.save", refuse)
    tracer = Tracer(store)
    assert not (store.root / "index").exists() or not any((store.root / "index").rglob("meta.json"))
    monkeypatch.undo()
    assert _traces(tracer, persons) == _traces(Tracer(store), persons)


def test_purge_removes_the_persisted_tables(store: EmbeddedStore) -> None:
    TraceData.load(store, store)
    assert _tables_dir(store).is_dir()
    store.purge(dt.timedelta(days=1), now=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert not (store.root / "index").exists()


def test_vocabulary_binary_search_with_first_ids_and_non_ascii_names() -> None:
    feed = pa.chunked_array([pa.array(["Ōzbek", None, "b", "a\u00e9", "b"])])
    vocabulary = Vocabulary.of([feed], first=["zeta", "b"])
    assert vocabulary.names.tolist() == ["zeta", "b", "aé", "Ōzbek"]
    assert [vocabulary.code(n) for n in ("zeta", "b", "aé", "Ōzbek", "a", "zz", "", None)] == [0, 1, 2, 3] + [-1] * 4
    assert vocabulary.encode(feed).tolist() == [3, -1, 1, 2, 1]
    assert "aé" in vocabulary and "a" not in vocabulary and "b\0" not in vocabulary
    assert vocabulary.names[3] == "Ōzbek" and vocabulary.names[np.asarray([2, 0])].tolist() == ["aé", "zeta"]
    empty = Vocabulary.of([pa.chunked_array([], pa.string())])
    assert len(empty) == 0 and empty.code("x") == -1 and empty.encode(pa.array(["x"])).tolist() == [-1]


def test_narrowing_keeps_values_or_declines() -> None:
    times = np.asarray([1_577_836_800, 1_772_000_000, 3_700_000_000], dtype=np.int64)  # 2020 .. 2087
    narrowed = narrow_column(times, time=True)
    assert narrowed is not None and narrowed[0].dtype == np.int32
    assert (narrowed[0].astype(np.int64) + narrowed[1]).tolist() == times.tolist()
    assert narrow_column(np.asarray([1_000, 3_800_000_000], dtype=np.int64), time=True) is None
    assert narrow_column(np.asarray([0, 2**31], dtype=np.int64), time=False) is None
    assert narrow_column(np.asarray([1.5]), time=False) is None
    codes = narrow_column(np.asarray([-1, 5], dtype=np.int64), time=False)
    assert codes is not None and codes[1] == 0 and codes[0].tolist() == [-1, 5]


def test_a_grouped_table_round_trips_through_the_files(tmp_path: Path) -> None:
    key = np.asarray([2, 0, 2, 1, -1, 0], dtype=np.int64)
    columns = {
        "weight": key.astype(np.float64),  # equal values, other dtype: never stored as the key
        "person": key.copy(),
        "kind": np.asarray(["class", None, "class", "dept", "x", "dept"], dtype=object),
        "start_s": np.asarray([1_772_000_000, 1_772_000_100, 1_771_999_000, 5, 0, 1_772_000_000], dtype=np.int64),
        "big": np.asarray([0, 2**40, 1, 2, 3, 4], dtype=np.int64),  # does not fit int32: kept int64
    }
    built = Grouped.build(columns, key, 4, columns["start_s"])
    save_arrays(tmp_path / "t", built.to_arrays("g"), {"format": "test"})
    arrays, _ = load_arrays(tmp_path / "t", {"format": "test"})
    assert arrays["g.person"].dtype == np.int32 and "g.key" not in arrays and arrays["g.big"].dtype == np.int64
    loaded = Grouped.from_arrays(arrays, "g")
    assert loaded.columns.names == built.columns.names
    for code in range(4):
        a, b = built.rows(code), loaded.rows(code)
        for name in built.columns:
            assert a[name].dtype == b[name].dtype and a[name].tolist() == b[name].tolist(), (code, name)
    with pytest.raises(StoreError):
        load_arrays(tmp_path / "t", {"format": "other"})
