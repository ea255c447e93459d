"""An in-memory location store: the reading side of the protocols (:class:`~izquvar.store.protocol.FeedReader`,
:class:`~izquvar.store.protocol.Pseudonyms`, :class:`~izquvar.store.protocol.IndexCache`) over Arrow tables.

Why: the tracer, trace-all and evaluation read a store only through these protocols, and this is the smallest
store that offers them, as httpx's ``MockTransport`` is the smallest transport. Tests trace from it without a
directory; a new backend can be checked against it. It validates nothing: rows are taken as already ingested
(pseudonymised, stays derived), e.g. copied from another store with :meth:`MemoryStore.copy_of`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import InvalidInput
from izquvar.formats import ALL_TABLES, DAY_COLUMNS, stored_schema
from izquvar.ingest.phone import EXPECTED, canonical_one
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.store.protocol import Day, FeedReader


class MemoryStore:
    """Stored tables held in memory, a partition per UTC day as the embedded store keeps them; every
    :meth:`add` is one batch (the generation grows, the partitions it touched get new versions)."""

    def __init__(self, key: bytes) -> None:
        self._hash = Pseudonymizer(key)
        self._parts: dict[str, dict[Day, list[pa.Table]]] = {kind: {} for kind in ALL_TABLES}
        self._versions: dict[tuple[str, Day], str] = {}
        self._generation = 0

    @classmethod
    def copy_of(cls, feeds: FeedReader, key: bytes) -> MemoryStore:
        """Every table of ``feeds``, partition for partition, in one batch (``key``: the one ``feeds`` hashed
        identifiers with, for :meth:`pseudonym`)."""
        store = cls(key)
        for kind in ALL_TABLES:
            for day, table in feeds.table_by_day(kind):
                if table.num_rows:
                    store._parts[kind].setdefault(day, []).append(table)
                    store._versions[(kind, day)] = "0"
        store._generation = 1
        return store

    def add(self, kind: str, table: pa.Table) -> None:
        """Store rows of ``kind`` (a feed kind, ``stays`` or ``rejects``, with its stored columns), each in the
        partition of its UTC day; one batch."""
        schema = stored_schema(_known(kind))
        missing = [name for name in schema.names if name not in table.column_names]
        if missing:
            raise InvalidInput(f"{kind}: rows lack the stored columns {', '.join(missing)}")
        table = table.select(schema.names).cast(schema)
        self._generation += 1
        for day, rows in _by_day(kind, table):
            self._parts[kind].setdefault(day, []).append(rows)
            self._versions[(kind, day)] = str(self._generation)

    # -- FeedReader -----------------------------------------------------------------------------------------

    def generation(self) -> int:
        return self._generation

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        wanted = None if days is None else set(days)
        parts = [
            table
            for day, tables in self._parts[_known(kind)].items()
            if wanted is None or day is None or day in wanted
            for table in tables
        ]
        return _select(_concat(kind, parts), columns)

    def table_by_day(self, kind: str, columns: Sequence[str] | None = None) -> Iterator[tuple[Day, pa.Table]]:
        parts = self._parts[_known(kind)]
        days = sorted(day for day in parts if day is not None)
        if None in parts or not days:
            yield None, _select(_concat(kind, parts.get(None, [])), columns)
        for day in days:
            yield day, _select(_concat(kind, parts[day]), columns)

    def partitions(self, kind: str) -> dict[Day, str]:
        parts = self._parts[_known(kind)]
        order = sorted(parts, key=lambda day: (day is not None, day or dt.date.min))
        return {day: self._versions[(kind, day)] for day in order}

    # -- Pseudonyms -----------------------------------------------------------------------------------------

    def pseudonym(self, raw_id: str) -> str:
        return self._hash.one(raw_id)

    def pseudonyms(self, raw_ids: pa.Array[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        return self._hash.many(raw_ids)

    def phone_pseudonym(self, number: str) -> str:
        canonical = canonical_one(number)
        if canonical is None:
            raise InvalidInput(f"{number!r} is not {EXPECTED}")
        return self._hash.one(canonical)

    # -- IndexCache -----------------------------------------------------------------------------------------

    def index_dir(self, name: str) -> Path | None:
        """Nowhere: an in-memory store keeps its derived indexes in memory (the tracer builds them there)."""
        return None


def _known(kind: str) -> str:
    if kind not in ALL_TABLES:
        raise InvalidInput(f"unknown table {kind!r}; known: {', '.join(ALL_TABLES)}.")
    return kind


def _by_day(kind: str, table: pa.Table) -> Iterator[tuple[Day, pa.Table]]:
    """The rows of each UTC day of the kind's time column (all rows as ``None`` for a kind without one)."""
    column = DAY_COLUMNS.get(kind)
    if column is None:
        yield None, table
        return
    values = table.column(column)
    days = (
        values if pa.types.is_date32(values.type) else pc.cast(pc.cast(values, pa.timestamp("us", "UTC")), pa.date32())
    )
    for day in pc.unique(days).to_pylist():
        yield day, table.filter(pc.equal(days, pa.scalar(day, pa.date32())))


def _concat(kind: str, tables: list[pa.Table]) -> pa.Table:
    return pa.concat_tables(tables) if tables else stored_schema(kind).empty_table()


def _select(table: pa.Table, columns: Sequence[str] | None) -> pa.Table:
    return table if columns is None else table.select(list(columns))
