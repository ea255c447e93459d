"""The DuckDB engine gives the grid's encounters, row for row and value for value, on random stays."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from engine_stays import PEOPLE, T0, random_stays, same

from izquvar.trace.engine import GridEngine, encounter_query
from izquvar.trace.engines.duckdb import DuckdbEngine
from izquvar.trace.index import StayIndex


@pytest.fixture(scope="module")
def index() -> StayIndex:
    return StayIndex.build(random_stays())


@pytest.fixture(scope="module")
def duck(index: StayIndex) -> Iterator[DuckdbEngine]:
    engine = DuckdbEngine(index)
    yield engine
    engine.close()


@pytest.mark.parametrize(("distance_m", "min_minutes"), [(2.0, 0.0), (10.0, 5.0), (25.0, 15.0), (25.0, 60.0)])
def test_duckdb_gives_the_grids_encounters_on_random_stays(
    index: StayIndex, duck: DuckdbEngine, distance_m: float, min_minutes: float
) -> None:
    grid = GridEngine(index)
    window = (T0 + timedelta(hours=3), T0 + timedelta(hours=40))
    found = 0
    for person in [f"R{p:04d}" for p in range(0, PEOPLE, 7)]:
        query = encounter_query(index, person, *window, distance_m, min_minutes)
        if query is None:
            continue
        expected = grid.encounters(query)
        same(duck.encounters(query), expected)
        found += len(expected.case_stay)
    assert found > 50
