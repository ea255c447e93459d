"""Operator records sorted for a trace's two questions: which cells served this phone, and who else did
those cells serve during an interval.

Why a module of its own: the records are the largest feed (every phone, every few minutes), so they are held
as integer codes only (cells ranked by id, subscribers by Arrow's dictionary encoding) and searched with binary
searches on one packed sort key; no per-record Python string is ever made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

I64 = npt.NDArray[np.int64]


def seconds(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> I64:
    """Unix seconds of a timestamp column (floored)."""
    micros = column.cast(pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    return np.floor_divide(micros.astype("datetime64[us]").astype(np.int64), 1_000_000)


@dataclass(frozen=True)
class CellEvents:
    """Operator records sorted by (cell, time): who was served by a cell during an interval."""

    cell_ids: npt.NDArray[np.str_]
    cell_code: I64
    time_s: I64
    #: Subscriber of each event as a code into ``subscriber_names`` (millions of events, thousands of names).
    subscriber: I64
    subscriber_names: npt.NDArray[np.object_]
    #: Event positions by (subscriber, time), and the subscriber code of each, for one phone's own records.
    by_subscriber: I64
    subscriber_sorted: I64
    #: Names in sorted order with their codes, for a binary search from a name to its code.
    sorted_names: npt.NDArray[np.str_]
    sorted_codes: I64
    #: Each code's rank among the names in sorted order: orders subscribers by name without comparing strings.
    name_rank: I64
    #: ``cell_code * span + (time_s - t0)``, ascending: one binary search finds a cell's events in an interval.
    cell_time: I64
    t0: int
    span: int

    @classmethod
    def build(cls, table: pa.Table) -> CellEvents:
        """Sort by (cell rank, time) on integer codes from Arrow's dictionary encoding (no Python strings)."""
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(table.column("cell_id")).combine_chunks())
        dictionary = encoded.dictionary
        by_name = pc.sort_indices(dictionary).to_numpy()
        rank = np.empty(len(by_name), dtype=np.int64)
        rank[by_name] = np.arange(len(by_name), dtype=np.int64)
        code = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        time_s = seconds(table.column("time"))
        t0 = int(time_s.min()) if len(time_s) else 0
        order = np.argsort(code << 32 | (time_s - t0), kind="stable")  # one int64 key: far faster than lexsort
        ids = np.asarray(dictionary.take(pa.array(by_name)).to_numpy(zero_copy_only=False), dtype=str)
        subscribers = cast(
            "pa.DictionaryArray[Any, Any]", pc.dictionary_encode(table.column("subscriber")).combine_chunks()
        )
        names = np.asarray(subscribers.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        subscriber = subscribers.indices.to_numpy(zero_copy_only=False).astype(np.int64)[order]
        by_subscriber = np.argsort(subscriber << 32 | (time_s[order] - t0), kind="stable").astype(np.int64)
        name_order = np.argsort(names.astype(str), kind="stable").astype(np.int64)
        name_rank = np.empty(len(name_order), dtype=np.int64)
        name_rank[name_order] = np.arange(len(name_order), dtype=np.int64)
        span = int(time_s.max()) - t0 + 1 if len(time_s) else 1
        return cls(
            ids,
            code[order],
            time_s[order],
            subscriber,
            names,
            by_subscriber,
            subscriber[by_subscriber],
            names.astype(str)[name_order],
            name_order,
            name_rank,
            code[order] * span + (time_s[order] - t0),
            t0,
            span,
        )

    def in_intervals(self, cells: I64, start_s: I64, end_s: I64) -> tuple[I64, I64]:
        """Event ranges ``[lo, hi)`` of each cell code within ``[start_s, end_s]`` (both ends included)."""
        lo_off = np.clip(start_s - self.t0, 0, self.span)
        hi_off = np.clip(end_s - self.t0, -1, self.span - 1)
        lo = np.searchsorted(self.cell_time, cells * self.span + lo_off, side="left")
        hi = np.searchsorted(self.cell_time, cells * self.span + hi_off, side="right")
        return lo.astype(np.int64), np.maximum(hi, lo).astype(np.int64)

    def own_codes(self, subscriber: str) -> tuple[I64, I64]:
        """Times and cell codes of one subscriber's records, by time."""
        code = self._code(subscriber)
        if code is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        lo = int(np.searchsorted(self.subscriber_sorted, code, side="left"))
        hi = int(np.searchsorted(self.subscriber_sorted, code, side="right"))
        pos = self.by_subscriber[lo:hi]
        return self.time_s[pos], self.cell_code[pos]

    def _code(self, subscriber: str) -> int | None:
        slot = int(np.searchsorted(self.sorted_names, subscriber))
        if slot < len(self.sorted_names) and self.sorted_names[slot] == subscriber:
            return int(self.sorted_codes[slot])
        return None

    def code_of(self, subscriber: str) -> int | None:
        """The subscriber's code (``None`` when no record is theirs)."""
        return self._code(subscriber)

    def serves(self, subscriber: str) -> bool:
        """Whether any record is of this subscriber."""
        return self._code(subscriber) is not None
