"""The PostGIS engine against the grid on a real PostgreSQL: the same encounters, row for row and value for
value, on random stays and on the hand-made world, and the same trace when the GPS source asks PostGIS."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from engine_stays import T0, THRESHOLDS, random_stays, same, same_as_grid

from izquvar.errors import NotFound, StoreError
from izquvar.store import EmbeddedStore
from izquvar.trace.engine import GridEngine, encounter_query
from izquvar.trace.engines.postgis import PostgisEngine
from izquvar.trace.index import StayIndex
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import world  # tests/trace's hand-made world


@pytest.fixture(scope="module")
def random_postgis(postgis_dsn: str, random_index: StayIndex) -> Iterator[PostgisEngine]:
    with PostgisEngine.load(postgis_dsn, random_index, "random_stays", replace=True) as engine:
        yield engine


@pytest.mark.parametrize(("distance_m", "min_minutes"), THRESHOLDS)
def test_postgis_gives_the_grids_encounters_on_random_stays(
    random_index: StayIndex, random_postgis: PostgisEngine, distance_m: float, min_minutes: float
) -> None:
    same_as_grid(random_index, random_postgis, distance_m, min_minutes)


def test_grid_encounters_are_in_the_canonical_order(random_index: StayIndex) -> None:
    query = encounter_query(random_index, "R0007", T0, T0 + timedelta(days=2), 25.0, 0.0)
    assert query is not None
    rows = GridEngine(random_index).encounters(query)
    assert len(rows.case_stay) > 1
    contact = random_index.person[rows.contact_stay].astype(np.int64)
    key = np.lexsort((rows.contact_stay, rows.case_stay, rows.overlap_start, contact))
    np.testing.assert_array_equal(key, np.arange(len(key)))


def test_attach_finds_the_loaded_table_and_refuses_another_index(
    postgis_dsn: str, random_index: StayIndex, random_postgis: PostgisEngine
) -> None:
    query = encounter_query(random_index, "R0014", T0, T0 + timedelta(days=2), 10.0, 0.0)
    assert query is not None
    with PostgisEngine.attach(postgis_dsn, random_index, "random_stays") as attached:
        same(attached.encounters(query), random_postgis.encounters(query))
    other = StayIndex.build(random_stays(100, seed=3))
    with pytest.raises(StoreError, match="other stays"):
        PostgisEngine.attach(postgis_dsn, other, "random_stays")
    with pytest.raises(NotFound, match="no PostGIS table 'absent'"):
        PostgisEngine.attach(postgis_dsn, random_index, "absent")
    with pytest.raises(StoreError, match="already exists"):
        PostgisEngine.load(postgis_dsn, other, "random_stays")


@pytest.fixture(scope="module")
def world_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return world.build_store(Path(tmp_path_factory.mktemp("world")))


def test_a_trace_through_postgis_equals_the_grids(world_store: EmbeddedStore, postgis_dsn: str) -> None:
    grid_tracer = Tracer(world_store)
    stays = grid_tracer.data.stays
    with PostgisEngine.load(postgis_dsn, stays, "world_stays", replace=True) as engine:
        for person in stays.persons.to_pylist():
            for distance_m, minutes in ((2.0, 0.0), (10.0, 5.0), (50.0, 5.0)):
                query = encounter_query(
                    stays, person, T0 - timedelta(days=3), T0 + timedelta(days=9), distance_m, minutes
                )
                assert query is not None
                same(engine.encounters(query), GridEngine(stays).encounters(query))
        postgis_tracer = grid_tracer.with_colocation(engine)
        expected = grid_tracer.trace(world.CASE, world.ONSET, world.ISOLATION)
        traced = postgis_tracer.trace(world.CASE, world.ONSET, world.ISOLATION)
    assert any("gps" in c.sources for c in expected.contacts)
    assert untimed(traced) == untimed(expected)


def untimed(result: TraceResult) -> dict[str, object]:
    """The trace's JSON without the one field that differs between runs (the elapsed time)."""
    dumped = result.model_dump()
    dumped["summary"].pop("elapsed_ms")
    return dumped


def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    index = StayIndex.build(random_stays(10))
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL"):
        PostgisEngine.attach(f"host={tmp_path} port=1 user=nobody dbname=none connect_timeout=2", index)
