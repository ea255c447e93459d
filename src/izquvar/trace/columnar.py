"""Tables as named numpy columns, and tables grouped by an integer key with CSR offsets.

Why: a trace reads a few dozen rows of each table per case. A pandas operation costs tens of microseconds
whatever its size, a numpy slice about one, so everything a trace looks up per case is a slice of plain
arrays: the rows of key ``k`` are ``offsets[k]:offsets[k + 1]``. Keys are integer codes (persons, venues,
households, groups), so lookups never compare strings, and every array but the few string columns is a
fixed-width numpy array that could be persisted and memory-mapped like the stay index.
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator
from dataclasses import dataclass
from typing import Any, Self

import numpy as np
import numpy.typing as npt

I64 = npt.NDArray[np.int64]


class Columns:
    """Equal-length named numpy columns: ``columns[name]`` is a column, ``len(columns)`` the number of rows and
    iterating gives the names (deliberately not a ``Mapping``, whose ``len`` would count the columns)."""

    __slots__ = ("_data", "_rows")

    def __init__(self, data: dict[str, npt.NDArray[Any]], rows: int | None = None) -> None:
        self._data = data
        self._rows = rows if rows is not None else (len(next(iter(data.values()))) if data else 0)

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    @property
    def names(self) -> list[str]:
        return list(self._data)

    def items(self) -> ItemsView[str, npt.NDArray[Any]]:
        return self._data.items()

    def take(self, rows: npt.NDArray[Any] | slice) -> Self:
        """The rows selected by a boolean mask, positions or a slice (a slice gives views, no copies)."""
        data = {name: values[rows] for name, values in self._data.items()}
        if isinstance(rows, slice):
            start, stop, step = rows.indices(self._rows)
            return type(self)(data, len(range(start, stop, step)))
        n = int(np.count_nonzero(rows)) if rows.dtype == np.bool_ else len(rows)
        return type(self)(data, n)

    def with_columns(self, **columns: npt.NDArray[Any]) -> Self:
        """These columns with some added or replaced (arrays of the same length)."""
        return type(self)({**self._data, **columns}, self._rows)


@dataclass(frozen=True)
class Grouped:
    """A table's rows sorted by an integer key (then by a second column, ties in load order), with the row
    range of every key: what "all rows of this person / venue / household" costs is one slice. The key itself
    is kept as the column ``key``."""

    offsets: I64
    columns: Columns

    @classmethod
    def build(
        cls, columns: dict[str, npt.NDArray[Any]], key: I64, n_keys: int, then: npt.NDArray[Any] | None = None
    ) -> Grouped:
        """Group ``columns`` by ``key`` (codes ``0..n_keys-1``; negative codes are dropped), stably."""
        kept = key >= 0
        if not kept.all():
            key = key[kept]
            columns = {name: values[kept] for name, values in columns.items()}
            then = None if then is None else then[kept]
        order = np.argsort(key, kind="stable") if then is None else np.lexsort((then, key))
        counts = np.bincount(key, minlength=n_keys) if len(key) else np.zeros(n_keys, dtype=np.int64)
        offsets = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        sorted_columns = {name: np.asarray(values)[order] for name, values in columns.items()}
        sorted_columns["key"] = key[order].astype(np.int64)
        return cls(offsets, Columns(sorted_columns, len(order)))

    def __len__(self) -> int:
        return len(self.columns)

    def span(self, code: int) -> tuple[int, int]:
        """Row range ``[lo, hi)`` of one key (empty for a negative or unknown code)."""
        if code < 0 or code + 1 >= len(self.offsets):
            return 0, 0
        return int(self.offsets[code]), int(self.offsets[code + 1])

    def has(self, code: int) -> bool:
        lo, hi = self.span(code)
        return hi > lo

    def rows(self, code: int) -> Columns:
        """The rows of one key, as views."""
        lo, hi = self.span(code)
        return self.columns.take(slice(lo, hi))

    def positions(self, codes: I64) -> tuple[I64, I64]:
        """Row positions of the keys ``codes`` (each key's rows in order, keys in the given order) and, for
        each position, the index into ``codes`` it belongs to: a vectorised join of ``codes`` with the table."""
        codes = np.asarray(codes, dtype=np.int64)
        valid = (codes >= 0) & (codes + 1 < len(self.offsets))
        safe = np.where(valid, codes, 0)
        lo = np.where(valid, self.offsets[safe], 0)
        return ranges(lo, np.where(valid, self.offsets[safe + 1], 0))


def ranges(lo: I64, hi: I64) -> tuple[I64, I64]:
    """The positions of the ranges ``[lo[k], hi[k])`` concatenated, and the ``k`` each belongs to."""
    counts = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return np.arange(len(owner), dtype=np.int64) - starts[owner] + np.asarray(lo, dtype=np.int64)[owner], owner


def stable_order(key: I64) -> I64:
    """``np.argsort(key, kind="stable")``, computed as one plain sort of ``key · n + position`` when that fits
    in 64 bits: numpy sorts plain int64 values with vectorised (SIMD) code, several times faster than a stable
    argsort on the tens of thousands of operator records a busy case's cells hold."""
    n = len(key)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    low = int(key.min())
    span = int(key.max()) - low + 1
    if span * n >= 2**62:
        return np.argsort(key, kind="stable").astype(np.int64)
    packed = np.sort((key - low) * n + np.arange(n, dtype=np.int64))
    order: I64 = packed % n
    return order
