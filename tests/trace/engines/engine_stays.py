"""Random stays for comparing co-location engines, and the comparison itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from izquvar.geo.distance import from_metres
from izquvar.trace.engine import ColocationEngine, Encounters, GridEngine, encounter_query
from izquvar.trace.index import StayIndex

T0 = datetime(2026, 3, 2, tzinfo=UTC)
PEOPLE = 300
#: (distance_m, min_minutes) pairs every engine is compared at: touching, close, and a room apart for longer.
THRESHOLDS = [(2.0, 0.0), (10.0, 5.0), (25.0, 15.0), (25.0, 60.0)]


def random_stays(n: int = 4000, seed: int = 11) -> pa.Table:
    """Stays of a few hundred people in a 300 m square over two days, many of them crowding the same spots so
    that every radius finds encounters; some long, some touching, a few zero-length."""
    rng = np.random.default_rng(seed)
    person = rng.integers(0, PEOPLE, n)
    spot = rng.integers(0, 40, n)
    x = 940_000.0 + (spot % 8) * 40.0 + rng.normal(0.0, 6.0, n)
    y = 4_571_000.0 + (spot // 8) * 40.0 + rng.normal(0.0, 6.0, n)
    start = rng.integers(0, 2 * 86_400, n)
    length = np.where(rng.random(n) < 0.05, 0, rng.integers(60, 4 * 3600, n))
    lat, lon = from_metres(x, y)
    us = (T0.timestamp() + start) * 1_000_000
    return pa.table(
        {
            "person": pa.array([f"R{p:04d}" for p in person]),
            "start": pa.array(us.astype(np.int64), pa.timestamp("us", tz="UTC")),
            "end": pa.array((us + length * 1_000_000).astype(np.int64), pa.timestamp("us", tz="UTC")),
            "lat": lat,
            "lon": lon,
        }
    )


def same(a: Encounters, b: Encounters) -> None:
    for name, left, right in zip(Encounters._fields, a, b, strict=True):
        assert left.dtype == right.dtype == np.int64, name
        np.testing.assert_array_equal(left, right, err_msg=name)


def same_as_grid(index: StayIndex, engine: ColocationEngine, distance_m: float, min_minutes: float) -> None:
    """``engine`` gives the grid's encounters for every seventh person of :func:`random_stays` over a window of
    37 hours, and the comparison compared something."""
    grid = GridEngine(index)
    window = (T0 + timedelta(hours=3), T0 + timedelta(hours=40))
    found = 0
    for person in [f"R{p:04d}" for p in range(0, PEOPLE, 7)]:
        query = encounter_query(index, person, *window, distance_m, min_minutes)
        if query is None:
            continue
        expected = grid.encounters(query)
        same(engine.encounters(query), expected)
        found += len(expected.case_stay)
    assert found > 50
