"""Operator records sorted for a trace's two questions: which cells served this phone, and who else did
those cells serve during an interval.

Why a module of its own: the records are the largest feed (every phone, every few minutes), so they are held
as integer codes only (cells ranked by id, subscribers by Arrow's dictionary encoding) and searched with binary
searches on one packed sort key; no per-record Python string is ever made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.trace.columnar import Names

I64 = npt.NDArray[np.int64]


def seconds(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> I64:
    """Unix seconds of a timestamp column (floored)."""
    micros = column.cast(pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    return np.floor_divide(micros.astype("datetime64[us]").astype(np.int64), 1_000_000)


class EventColumn:
    """A per-event integer column answered from compact storage: indexing gathers the asked-for events and
    gives int64 values (what the rules compute with), so the full column never exists at 64 bits."""

    __slots__ = ("_gather", "_length")

    def __init__(self, gather: Callable[[Any], I64], length: int) -> None:
        self._gather = gather
        self._length = length

    def __len__(self) -> int:
        return self._length

    def __getitem__(self, rows: npt.NDArray[np.integer[Any]] | slice) -> I64:
        return self._gather(rows)


@dataclass(frozen=True)
class CellEvents:
    """Operator records sorted by (cell, time): who was served by a cell during an interval.

    Held in 16 bytes per record (the packed key and two int32 codes), for the hundreds of millions of records
    of a national store: cell and time are both read back from the packed key."""

    cell_ids: npt.NDArray[np.str_]
    #: ``cell_code * span + (time_s - t0)``, ascending: one binary search finds a cell's events in an interval.
    cell_time: I64
    #: Subscriber of each event (cell order) as an int32 code into ``subscriber_names``.
    subscriber_code: npt.NDArray[np.int32]
    subscriber_names: Names
    #: Event positions by (subscriber, time), and each subscriber's range of them (CSR by subscriber code).
    by_subscriber: npt.NDArray[np.integer[Any]]
    subscriber_offsets: I64
    #: Subscriber codes in name order, for a binary search from a name to its code.
    name_order: npt.NDArray[np.integer[Any]]
    #: Each code's rank among the names in sorted order: orders subscribers by name without comparing strings.
    name_rank: npt.NDArray[np.integer[Any]]
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
        del encoded
        time_s = seconds(table.column("time"))
        t0 = int(time_s.min()) if len(time_s) else 0
        span = int(time_s.max()) - t0 + 1 if len(time_s) else 1
        time_s -= t0
        cell_time = code * span + time_s
        del code, time_s
        order = np.argsort(cell_time, kind="stable")  # (cell, time), ties in load order
        cell_time = cell_time[order]
        ids = np.asarray(dictionary.take(pa.array(by_name)).to_numpy(zero_copy_only=False), dtype=str)
        subscribers = cast(
            "pa.DictionaryArray[Any, Any]", pc.dictionary_encode(table.column("subscriber")).combine_chunks()
        )
        names = Names.of(subscribers.dictionary)
        subscriber = subscribers.indices.to_numpy(zero_copy_only=False).astype(np.int64)[order]
        del subscribers, order
        by_subscriber = np.argsort(subscriber << 32 | (cell_time % span), kind="stable")
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(subscriber, minlength=len(names)), out=offsets[1:])
        name_order = np.argsort(names.raw, kind="stable")
        name_rank = np.empty(len(name_order), dtype=np.int64)
        name_rank[name_order] = np.arange(len(name_order), dtype=np.int64)
        position = np.int32 if len(cell_time) <= np.iinfo(np.int32).max else np.int64
        return cls(
            cell_ids=ids,
            cell_time=cell_time,
            subscriber_code=subscriber.astype(np.int32),
            subscriber_names=names,
            by_subscriber=by_subscriber.astype(position),
            subscriber_offsets=offsets,
            name_order=name_order.astype(np.int32),
            name_rank=name_rank.astype(np.int32),
            t0=t0,
            span=span,
        )

    # -- persistence -------------------------------------------------------------------------------------

    _ARRAYS = ("cell_ids", "cell_time", "subscriber_code", "by_subscriber", "subscriber_offsets", "name_order",
               "name_rank")  # fmt: skip

    def to_arrays(self, prefix: str) -> tuple[dict[str, npt.NDArray[Any]], dict[str, int]]:
        """Arrays and scalars for :func:`~izquvar.trace.columnar.save_arrays`."""
        arrays = {f"{prefix}.{name}": getattr(self, name) for name in self._ARRAYS}
        arrays[f"{prefix}.subscriber_names"] = self.subscriber_names.raw
        return arrays, {"t0": self.t0, "span": self.span}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str, scalars: Mapping[str, int]) -> CellEvents:
        columns = {name: arrays[f"{prefix}.{name}"] for name in cls._ARRAYS}
        names = Names(arrays[f"{prefix}.subscriber_names"])
        return cls(subscriber_names=names, t0=int(scalars["t0"]), span=int(scalars["span"]), **columns)

    # -- per-event columns -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.cell_time)

    @property
    def time_s(self) -> EventColumn:
        """Unix seconds of each event (cell order)."""
        return EventColumn(lambda rows: self.cell_time[rows] % self.span + self.t0, len(self))

    @property
    def cell_code(self) -> EventColumn:
        """Cell code (rank of the cell id) of each event (cell order)."""
        return EventColumn(lambda rows: self.cell_time[rows] // self.span, len(self))

    @property
    def subscriber(self) -> EventColumn:
        """Subscriber code of each event (cell order)."""
        return EventColumn(lambda rows: self.subscriber_code[rows].astype(np.int64), len(self))

    @property
    def first_s(self) -> int | None:
        """The earliest event's Unix second (``None``: no events)."""
        return self.t0 if len(self) else None

    @property
    def last_s(self) -> int | None:
        """The latest event's Unix second (``None``: no events)."""
        return self.t0 + self.span - 1 if len(self) else None

    # -- queries -----------------------------------------------------------------------------------------

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
        pos = self.by_subscriber[self.subscriber_offsets[code] : self.subscriber_offsets[code + 1]]
        packed = self.cell_time[pos]
        return packed % self.span + self.t0, packed // self.span

    def _code(self, subscriber: str) -> int | None:
        key = subscriber.encode("utf-8")
        names = self.subscriber_names.raw
        slot = int(np.searchsorted(names, key, sorter=self.name_order))
        if slot < len(names) and b"\0" not in key:
            code = int(self.name_order[slot])
            if names[code] == key:
                return code
        return None

    def code_of(self, subscriber: str) -> int | None:
        """The subscriber's code (``None`` when no record is theirs)."""
        return self._code(subscriber)

    def serves(self, subscriber: str) -> bool:
        """Whether any record is of this subscriber."""
        return self._code(subscriber) is not None
