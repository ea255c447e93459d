"""The tracer runs on the store protocols alone: an in-memory store traces the hand-made world as the embedded
store does, and a tracer following it rebuilds only what a new batch changed."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import world

from izquvar import LocationStore
from izquvar.errors import InvalidInput
from izquvar.store.memory import MemoryStore
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> LocationStore:
    return world.build_store(tmp_path_factory.mktemp("world"))


def _memory(embedded: LocationStore) -> MemoryStore:
    return MemoryStore.copy_of(embedded, embedded.settings.pseudonym_key_bytes())


def _comparable(result: TraceResult) -> dict[str, Any]:
    dumped = result.model_dump()
    dumped["summary"].pop("elapsed_ms")
    dumped["parameters"].pop("store_generation")
    return dumped


def test_an_in_memory_store_traces_the_world_as_the_embedded_store_does(embedded: LocationStore) -> None:
    memory = _memory(embedded)
    assert memory.index_dir("stays") is None
    for person in (world.CASE, "P-SPOUSE", "P-BLE1"):
        expected = Tracer(embedded).trace(person, world.ONSET, world.ISOLATION)
        traced = Tracer(memory).trace(person, world.ONSET, world.ISOLATION)
        assert _comparable(traced) == _comparable(expected)
    assert Tracer(memory).trace(world.CASE, world.ONSET).contacts  # raw identifiers hashed with the copied key


def test_a_batch_into_the_memory_store_is_followed_rebuilding_only_its_days(embedded: LocationStore) -> None:
    memory = _memory(embedded)
    tracer = Tracer(memory)
    before = tracer.data
    assert not tracer.refresh()  # nothing landed

    lab = embedded.table("lab")
    memory.add("lab", lab)
    assert tracer.refresh() and tracer.data.stays is before.stays and tracer.data.tables is before.tables

    stays = embedded.table("stays")
    days = pc.cast(pc.cast(stays.column("start"), pa.timestamp("us", "UTC")), pa.date32())
    last = max(days.to_pylist())
    versions = dict(memory.partitions("stays"))
    memory.add("stays", stays.filter(pc.equal(days, last)))
    changed = {day for day, version in memory.partitions("stays").items() if versions.get(day) != version}
    assert changed == {last}
    assert tracer.refresh()
    assert tracer.data.stay_parts is not None and before.stay_parts is not None
    now, then = tracer.data.stay_parts.segments, before.stay_parts.segments
    kept = [name for name in now if name in then]
    assert len(kept) == len(then) - 1  # every other day's segment reused as it was
    assert all(now[name] is then[name] for name in kept)
    assert tracer.data.cell_parts is before.cell_parts and tracer.data.place_areas is before.place_areas
    assert tracer.data.stays.n_stays == before.stays.n_stays + int(pc.sum(pc.equal(days, last)).as_py())
    fresh = Tracer(memory)
    assert _comparable(tracer.trace(world.CASE, world.ONSET)) == _comparable(fresh.trace(world.CASE, world.ONSET))


def test_rows_without_the_stored_columns_are_refused(embedded: LocationStore) -> None:
    memory = _memory(embedded)
    with pytest.raises(InvalidInput, match="lab: rows lack the stored columns"):
        memory.add("lab", embedded.table("lab").drop_columns(["result"]))
    with pytest.raises(InvalidInput, match="unknown table 'pongs'"):
        memory.table("pongs")
