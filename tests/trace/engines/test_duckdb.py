"""The DuckDB engine gives the grid's encounters, row for row and value for value, on random stays."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from engine_stays import THRESHOLDS, same_as_grid

from izquvar.trace.engines.duckdb import DuckdbEngine
from izquvar.trace.index import StayIndex


@pytest.fixture(scope="module")
def duck(random_index: StayIndex) -> Iterator[DuckdbEngine]:
    engine = DuckdbEngine(random_index)
    yield engine
    engine.close()


@pytest.mark.parametrize(("distance_m", "min_minutes"), THRESHOLDS)
def test_duckdb_gives_the_grids_encounters_on_random_stays(
    random_index: StayIndex, duck: DuckdbEngine, distance_m: float, min_minutes: float
) -> None:
    same_as_grid(random_index, duck, distance_m, min_minutes)
