"""Duplicate rows: the first row of each key within a batch, and event rows whose key is already stored."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import Kind
from izquvar.ingest.batch import TableReader
from izquvar.ingest.columns import dictionary_codes


def first_of_each_key(table: pa.Table, kind: Kind) -> np.ndarray:
    """True for the first row of each key; sorted feeds are checked in one pass, others hashed."""
    keep = first_of_each_key_if_sorted(table, kind.key)
    if keep is not None:
        return keep
    keyed = table.select(list(kind.key)).append_column("_pos", pa.array(np.arange(table.num_rows)))
    first = keyed.group_by(list(kind.key)).aggregate([("_pos", "min")]).column("_pos_min")
    keep = np.zeros(table.num_rows, dtype=bool)
    keep[np.asarray(first.to_numpy(), dtype=np.int64)] = True
    return keep


def first_of_each_key_if_sorted(table: pa.Table, key: tuple[str, ...]) -> np.ndarray | None:
    """For rows already grouped by key (feeds usually come sorted by person and time), the first of each run.

    Dictionary codes number values in order of first appearance, so rows grouped by person have
    non-decreasing codes. If every key column is non-decreasing lexicographically, equal keys are adjacent
    and a duplicate is a row equal to its predecessor. ``None`` when the rows are not in such an order.
    """
    if table.num_rows < 2:
        return np.ones(table.num_rows, dtype=bool)
    codes = [_key_codes(table.column(name)) for name in key]
    if any(c is None for c in codes):
        return None
    increasing = np.zeros(table.num_rows - 1, dtype=bool)
    equal_so_far = np.ones(table.num_rows - 1, dtype=bool)
    for code in codes:
        assert code is not None
        step = np.diff(code)
        if np.any(equal_so_far & (step < 0)):
            return None
        increasing |= equal_so_far & (step > 0)
        equal_so_far &= step == 0
    keep = np.ones(table.num_rows, dtype=bool)
    keep[1:] = ~equal_so_far
    return keep


def _key_codes(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> np.ndarray | None:
    """Integers that order like the column would for equality runs: dictionary codes or raw integers."""
    if column.null_count:
        return None
    if pa.types.is_string(column.type):
        return dictionary_codes(column)[0]
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()  # fixed-width values: no offsets to overflow
    if pa.types.is_date32(column.type):
        return np.asarray(column.cast(pa.int32()).to_numpy(), dtype=np.int64)
    if pa.types.is_timestamp(column.type) or pa.types.is_integer(column.type):
        return np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
    return None


def stored_duplicates(table: pa.Table, kind: Kind, row_days: np.ndarray, read: TableReader) -> np.ndarray:
    """True for each event row whose key is already stored (only the days of the rows, ``row_days``, are read)."""
    duplicate = np.zeros(table.num_rows, dtype=bool)
    stored = read(kind.name, list(kind.key), set(np.unique(row_days).tolist()))
    if stored.num_rows == 0 or table.num_rows == 0:
        return duplicate
    keyed = table.select(list(kind.key)).append_column("_pos", pa.array(np.arange(table.num_rows)))
    found = keyed.join(stored.cast(keyed.select(list(kind.key)).schema), keys=list(kind.key), join_type="left semi")
    duplicate[np.asarray(found.column("_pos").to_numpy(), dtype=np.int64)] = True
    return duplicate


def key_strings(table: pa.Table, kind: Kind) -> pa.Array[Any]:
    """A row's key as one text value (``a|b|c``): for comparing keys and for the rejects' ``value``."""
    parts: list[Any] = []
    for name in kind.key:
        column = table.column(name).combine_chunks()
        text: Any = (
            pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
            if pa.types.is_timestamp(column.type)
            else pc.cast(column, pa.string())
        )
        parts.append(pc.fill_null(text, pa.scalar("")))
    joined: Any = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "|")
    return cast("pa.Array[Any]", joined)
