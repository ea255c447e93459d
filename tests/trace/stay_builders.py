"""Builders for hand-made stays: positions in metres of the national projection, times in minutes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa

from izquvar.geo.distance import from_metres

#: An origin in Tashkent, on whole metres of the projection.
ORIGIN_X = 940_000.0
ORIGIN_Y = 4_571_000.0
T0 = datetime(2026, 3, 2, tzinfo=UTC)

Stay = tuple[str, float, float, float, float]  # person, x metres, y metres, start minute, end minute


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def stays_table(stays: Sequence[Stay], **extra: Sequence[object]) -> pa.Table:
    """Stays at metre offsets from ORIGIN, minutes after T0, converted to lat/lon like a real feed."""
    person = [s[0] for s in stays]
    x = ORIGIN_X + np.array([s[1] for s in stays], dtype=np.float64)
    y = ORIGIN_Y + np.array([s[2] for s in stays], dtype=np.float64)
    lat, lon = from_metres(x, y)
    timestamp = pa.timestamp("us", tz="UTC")
    columns: dict[str, object] = {
        "person": pa.array(person, pa.string()),
        "start": pa.array([at(s[3]) for s in stays], timestamp),
        "end": pa.array([at(s[4]) for s in stays], timestamp),
        "lat": pa.array(lat),
        "lon": pa.array(lon),
    }
    columns.update({name: pa.array(values) for name, values in extra.items()})
    return pa.table(columns)
