"""Operator records sorted for a trace's two questions: which cells served this phone, and who else did
those cells serve during an interval.

Why a module of its own: the records are the largest feed (every phone, every few minutes), so they are held
as integer codes only (cells ranked by id, subscribers by Arrow's dictionary encoding) and searched with binary
searches on one packed sort key; no per-record Python string is ever made.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import StoreError
from izquvar.trace.columnar import Names, load_arrays, save_arrays

I64 = npt.NDArray[np.int64]
#: The kept index's format name and version (checked on load: files of another version are rebuilt).
_FORMAT = {"format": "izquvar-cell-events", "version": 1}


def _encoded(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> tuple[pa.Array[Any], npt.NDArray[Any]]:
    """A string column's distinct values and each row's index into them."""
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column))
    if isinstance(encoded, pa.ChunkedArray):
        encoded = cast("pa.DictionaryArray[Any, Any]", encoded.unify_dictionaries().combine_chunks())
    return encoded.dictionary.cast(pa.string()), encoded.indices.to_numpy(zero_copy_only=False)


def _sorted_distinct(parts: list[pa.Array[Any]]) -> pa.Array[Any]:
    """The distinct strings of several arrays, in UTF-8 byte (= code point) order."""
    if not parts:
        return pa.array([], pa.string())
    distinct = cast("pa.Array[Any]", pc.unique(pa.chunked_array(parts, type=pa.string())))
    return distinct.take(pc.sort_indices(distinct))


def _positions(values: pa.Array[Any], within: pa.Array[Any]) -> I64:
    """The position of each of ``values`` in ``within`` (all present)."""
    found = pc.index_in(values, value_set=within)
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)


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
    #: Each code's rank among the names in sorted order (codes follow name order, so the code itself): orders
    #: subscribers by name without comparing strings.
    name_rank: npt.NDArray[np.integer[Any]]
    t0: int
    span: int

    @classmethod
    def build(cls, table: pa.Table) -> CellEvents:
        """Index one table of records (``subscriber``, ``time``, ``cell_id``)."""
        return cls.build_parts([table])

    @classmethod
    def build_parts(cls, parts: Iterable[pa.Table]) -> CellEvents:
        """Index the records of several tables (a store's day files, read one at a time): each part is
        dictionary-encoded as it comes (its strings are dropped at once: a national day of records holds
        gigabytes of them), then all are renumbered into the sorted cell ids and subscriber names and sorted
        by (cell, time), ties in the parts' order. Codes follow name order, so a name's rank is its code."""
        encoded: list[tuple[pa.Array[Any], npt.NDArray[Any], pa.Array[Any], npt.NDArray[Any], I64]] = []
        for part in parts:
            subscribers = _encoded(part.column("subscriber"))
            cells = _encoded(part.column("cell_id"))
            encoded.append((subscribers[0], subscribers[1], cells[0], cells[1], seconds(part.column("time"))))
            del part
        names = _sorted_distinct([e[0] for e in encoded])
        ids = _sorted_distinct([e[2] for e in encoded])
        n = sum(len(e[4]) for e in encoded)
        t0 = min((int(e[4].min()) for e in encoded if len(e[4])), default=0)
        span = max((int(e[4].max()) for e in encoded if len(e[4])), default=t0) - t0 + 1
        cell_time = np.empty(n, dtype=np.int64)
        subscriber = np.empty(n, dtype=np.int32)
        at = 0
        while encoded:  # renumber part by part, freeing each as it is done
            names_local, sub_local, ids_local, cell_local, time_s = encoded.pop(0)
            sub_map = _positions(names_local, names)
            cell_map = _positions(ids_local, ids)
            m = len(time_s)
            np.multiply(cell_map[cell_local], span, out=cell_time[at : at + m])
            cell_time[at : at + m] += time_s - t0
            subscriber[at : at + m] = sub_map[sub_local]
            at += m
        order = np.argsort(cell_time, kind="stable")  # (cell, time), ties in the parts' order
        cell_time = cell_time[order]
        subscriber = subscriber[order]
        del order
        key = subscriber.astype(np.int64)  # (subscriber, time) packed in place: no full-size temporaries left
        key <<= 32
        key |= cell_time % span
        by_subscriber = np.argsort(key, kind="stable")
        del key
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(subscriber, minlength=len(names)), out=offsets[1:])
        position = np.int32 if n <= np.iinfo(np.int32).max else np.int64
        return cls(
            cell_ids=np.asarray(ids.to_numpy(zero_copy_only=False), dtype=str),
            cell_time=cell_time,
            subscriber_code=subscriber,
            subscriber_names=Names.of(names),
            by_subscriber=by_subscriber.astype(position),
            subscriber_offsets=offsets,
            name_rank=np.arange(len(names), dtype=np.int32),
            t0=t0,
            span=span,
        )

    @classmethod
    def merge(cls, segments: Sequence[CellEvents]) -> CellEvents:
        """The records of several indexes (a store's day partitions, each indexed once), as :meth:`build_parts`
        over their tables in the same order would index them, without reading a record again: names and cells
        are renumbered into their union (both sorted, so each segment stays in order) and the segments' sorted
        runs merged (a stable sort meets a few long runs). Why: a batch of one more day then re-indexes that
        day, not the fortnight. Identical to :meth:`build_parts` when no two segments share a cell and second,
        as day partitions never do."""
        full = [segment for segment in segments if len(segment)]
        if len(full) <= 1:
            return full[0] if full else cls.build_parts([])
        names = np.unique(np.concatenate([np.asarray(s.subscriber_names.raw) for s in full]))
        ids = np.unique(np.concatenate([np.asarray(s.cell_ids) for s in full]))
        t0 = min(s.t0 for s in full)
        span = max(s.t0 + s.span for s in full) - t0
        keys, subscribers = [], []
        for segment in full:
            local = np.asarray(segment.cell_time)
            cell = np.searchsorted(ids, segment.cell_ids)[local // segment.span]
            keys.append(cell * span + (local % segment.span + (segment.t0 - t0)))
            code = np.searchsorted(names, np.asarray(segment.subscriber_names.raw)).astype(np.int32)
            subscribers.append(code[np.asarray(segment.subscriber_code)])
        cell_time = np.concatenate(keys)
        order = np.argsort(cell_time, kind="stable")
        cell_time = cell_time[order]
        subscriber = np.concatenate(subscribers)[order]
        position = np.empty(len(order), dtype=np.int64)
        position[order] = np.arange(len(order), dtype=np.int64)
        starts = np.cumsum([0, *(len(s) for s in full)])
        listed = np.concatenate(
            [
                position[start + np.asarray(s.by_subscriber, dtype=np.int64)]
                for start, s in zip(starts, full, strict=False)
            ]
        )
        del position
        key = subscriber[listed].astype(np.int64)  # (subscriber, time), each segment's run already in order
        key <<= 32
        key |= cell_time[listed] % span
        by_subscriber = listed[np.argsort(key, kind="stable")]
        del key, listed
        offsets = np.zeros(len(names) + 1, dtype=np.int64)
        np.cumsum(np.bincount(subscriber, minlength=len(names)), out=offsets[1:])
        width = np.int32 if len(order) <= np.iinfo(np.int32).max else np.int64
        return cls(
            cell_ids=ids.astype(str),
            cell_time=cell_time,
            subscriber_code=subscriber,
            subscriber_names=Names(names),
            by_subscriber=by_subscriber.astype(width),
            subscriber_offsets=offsets,
            name_rank=np.arange(len(names), dtype=np.int32),
            t0=t0,
            span=span,
        )

    # -- persistence -------------------------------------------------------------------------------------

    _ARRAYS = ("cell_ids", "cell_time", "subscriber_code", "by_subscriber", "subscriber_offsets", "name_rank")

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

    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` (one ``.npy`` per array, memory-mapped by :meth:`load`)."""
        arrays, scalars = self.to_arrays("events")
        save_arrays(directory, arrays, {**_FORMAT, **scalars})

    @classmethod
    def load(cls, directory: Path) -> CellEvents:
        """Map what :meth:`save` wrote; :class:`NotFound` / :class:`StoreError` when absent or damaged."""
        arrays, meta = load_arrays(directory, _FORMAT)
        try:
            return cls.from_arrays(arrays, "events", meta)
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{directory}: operator-record index incomplete ({exc!r})") from exc

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
        """Binary search of the names (sorted: a name's code is its position)."""
        key = subscriber.encode("utf-8")
        names = self.subscriber_names.raw
        slot = int(np.searchsorted(names, key))
        if slot < len(names) and names[slot] == key and b"\0" not in key:
            return slot
        return None

    def code_of(self, subscriber: str) -> int | None:
        """The subscriber's code (``None`` when no record is theirs)."""
        return self._code(subscriber)

    def serves(self, subscriber: str) -> bool:
        """Whether any record is of this subscriber."""
        return self._code(subscriber) is not None
