"""Random stays for comparing co-location engines, and the comparison itself."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from izquvar.geo.distance import from_metres
from izquvar.trace.engine import Encounters

T0 = datetime(2026, 3, 2, tzinfo=UTC)
PEOPLE = 300


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
