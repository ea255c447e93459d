"""Cutting a kind's rows into day partitions, one planned file per UTC day, rows of a day in their original order."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.ingest.batch import PlannedFile
from izquvar.ingest.columns import keep_rows

_TS = pa.timestamp("us", tz="UTC")
#: Up to this many days in a batch, day partitions are cut by filtering rather than by sorting.
_FILTER_MAX_DAYS = 8


def days_of(values: pa.ChunkedArray[Any] | pa.Array[Any], arrow: bool = False) -> Any:
    """The UTC day of each time (or date): numpy ``datetime64[D]`` (or an Arrow date32 array)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    days = values if pa.types.is_date32(values.type) else pc.cast(pc.cast(values, _TS), pa.date32())
    if arrow:
        return days
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


class RowDays:
    """:func:`days_of` of a table's column, remembered for the last table asked (a batch's GPS times are asked
    thrice: stored duplicates, partitions, stays)."""

    def __init__(self) -> None:
        self._last: tuple[pa.Table, str, np.ndarray] | None = None

    def of(self, table: pa.Table, column: str) -> np.ndarray:
        cached = self._last
        if cached is None or cached[0] is not table or cached[1] != column:
            cached = self._last = (table, column, days_of(table.column(column)))
        days: np.ndarray = cached[2]
        return days


def by_day(name: str, table: pa.Table, time_column: str, row_days: RowDays) -> list[PlannedFile]:
    """One file per day of ``time_column``, rows of a day in their original order."""
    if table.num_rows == 0:
        return []
    days = row_days.of(table, time_column)
    distinct = np.unique(days)
    if distinct.size <= _FILTER_MAX_DAYS:
        # A few days (the usual daily export): one sequential filter per day beats a gather of every row.
        return [PlannedFile(name, day.item(), keep_rows(table, days == day)) for day in distinct]
    order = np.argsort(days, kind="stable")
    sorted_days = days[order]
    table = table.take(order)
    bounds = np.flatnonzero(np.diff(sorted_days.astype(np.int64))) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [len(sorted_days)]])
    return [PlannedFile(name, sorted_days[s].item(), table.slice(s, e - s)) for s, e in zip(starts, ends, strict=True)]
