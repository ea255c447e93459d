"""Shared by the feeds: tables with exactly the formats/feeds.py schema, and where someone was at a time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.formats import KINDS
from izquvar.simulate.schedule import Stays

if TYPE_CHECKING:
    ArrowArray: TypeAlias = pa.Array[Any]
else:
    ArrowArray = pa.Array

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def take(values: ArrowArray, index: npt.NDArray[np.integer[Any]]) -> ArrowArray:
    """``values[index]`` for an Arrow array (e.g. identifiers by person number), without Python objects."""
    indices: Any = pa.array(np.asarray(index, dtype=np.int64), type=pa.int64())
    return values.take(indices)


def table(kind: str, columns: Mapping[str, ArrowArray | npt.NDArray[Any]]) -> pa.Table:
    """A table with exactly the Arrow schema of ``kind``; columns not given are all null."""
    schema = KINDS[kind].arrow_schema()
    n = None
    arrays: list[ArrowArray | None] = []
    for f in schema:
        if f.name in columns:
            value = columns[f.name]
            array: Any = value if isinstance(value, pa.Array) else pa.array(value)
            if array.type != f.type:
                array = array.cast(f.type)
            n = len(array)
            arrays.append(array)
        else:
            arrays.append(None)
    length = n or 0
    filled = [a if a is not None else pa.nulls(length, f.type) for a, f in zip(arrays, schema, strict=True)]
    return pa.Table.from_arrays(filled, schema=schema)


def timestamps(us: IntArray) -> ArrowArray:
    """UTC timestamps (microseconds since the epoch) as an Arrow array."""
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def dates(epoch_days: IntArray) -> ArrowArray:
    return pa.array(np.asarray(epoch_days, dtype=np.int32), type=pa.int32()).cast(pa.date32())


def locate(stays: Stays, person: IntArray, minute: FloatArray) -> tuple[FloatArray, FloatArray, IntArray, BoolArray]:
    """Where each ``person`` was at ``minute``: position, the stay index, and whether inside that stay.

    Outside a stay (travelling) the position is interpolated between the previous stay's end and the next
    one's     start; during a ride, between the ride's two ends.
    """
    key_stays = stays.person.astype(np.float64) * 2000.0 + stays.start
    key = person.astype(np.float64) * 2000.0 + minute
    idx = np.searchsorted(key_stays, key, side="right") - 1
    idx = np.clip(idx, 0, stays.size - 1)
    inside = (stays.person[idx] == person) & (minute < stays.end[idx]) & (minute >= stays.start[idx])
    span = np.maximum(stays.end[idx] - stays.start[idx], 1e-9)
    frac = np.clip((minute - stays.start[idx]) / span, 0.0, 1.0)
    x_in = stays.x0[idx] + (stays.x1[idx] - stays.x0[idx]) * frac
    y_in = stays.y0[idx] + (stays.y1[idx] - stays.y0[idx]) * frac
    nxt = np.minimum(idx + 1, stays.size - 1)
    has_next = stays.person[nxt] == person
    gap = np.where(has_next, stays.start[nxt] - stays.end[idx], 1.0)
    g = np.clip((minute - stays.end[idx]) / np.maximum(gap, 1e-9), 0.0, 1.0)
    x_gap = np.where(has_next, stays.x1[idx] + (stays.x0[nxt] - stays.x1[idx]) * g, stays.x1[idx])
    y_gap = np.where(has_next, stays.y1[idx] + (stays.y0[nxt] - stays.y1[idx]) * g, stays.y1[idx])
    return np.where(inside, x_in, x_gap), np.where(inside, y_in, y_gap), idx, inside
