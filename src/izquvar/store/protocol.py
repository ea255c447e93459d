"""The small interfaces a location store offers, httpx-style: each a few methods, each enough for one kind of user.

- :class:`FeedReader`: the stored tables, whole or a day partition at a time, and what changed since (the
  generation, and a version per day partition): all the tracer, trace-all and evaluation read.
- :class:`BatchWriter`: batches in (ingest, atomic and idempotent) and out (retention).
- :class:`Pseudonyms`: the keyed hash the store replaced raw identifiers with.
- :class:`IndexCache`: somewhere to keep indexes derived from the rows between processes.

:class:`Store` is all of them plus SQL and info: what the embedded store, and later PostgreSQL and Spark stores,
implement. A consumer asks for the narrowest one it needs, so an in-memory store (``store/memory.py``) serves
tests and a new backend starts with :class:`FeedReader`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from izquvar.ingest.reports import IngestReport
from izquvar.store.reports import PurgeReport

#: A day partition's day; ``None`` for rows kept without a day (reference kinds such as ``people``).
Day = dt.date | None


@runtime_checkable
class FeedReader(Protocol):
    """Reading a store's tables (feed kinds, the derived ``stays``, ``rejects``) and noticing change."""

    def generation(self) -> int:
        """A number that grows with every committed batch (ingest or purge): equal numbers, equal contents."""
        ...

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        """One stored table, optionally some columns and days (rows without a day are always included)."""
        ...

    def table_by_day(self, kind: str, columns: Sequence[str] | None = None) -> Iterator[tuple[Day, pa.Table]]:
        """The table one day partition at a time, in day order, rows without a day first (as ``None``): what a
        bounded-memory pass over a fortnight of a city reads instead of :meth:`table`."""
        ...

    def partitions(self, kind: str) -> Mapping[Day, str]:
        """Every partition of ``kind`` that holds rows, with a version that changes whenever its rows change
        (and only then): what an index kept per day compares to rebuild only the days an ingest touched."""
        ...


@runtime_checkable
class BatchWriter(Protocol):
    """Writing a store: a batch lands whole or not at all."""

    def ingest(
        self,
        paths: Iterable[str | Path],
        kind: str | None = None,
        progress: bool = False,
        now: dt.datetime | None = None,
    ) -> IngestReport:
        """Validate and store feed files (one atomic, idempotent batch); bad rows go to ``rejects``."""
        ...

    def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> PurgeReport:
        """Remove every event, stay and reject older than ``now - older_than`` (and the derived indexes)."""
        ...


@runtime_checkable
class Pseudonyms(Protocol):
    """The keyed hash that replaced every person identifier at ingest."""

    def pseudonym(self, raw_id: str) -> str:
        """The pseudonym the store uses for a raw person identifier."""
        ...

    def pseudonyms(self, raw_ids: pa.Array[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        """Vectorised :meth:`pseudonym`: nulls stay null."""
        ...

    def phone_pseudonym(self, number: str) -> str:
        """The pseudonym of a phone number, canonicalised as ingest does (see izquvar.ingest.phone)."""
        ...


@runtime_checkable
class IndexCache(Protocol):
    """Where indexes derived from a store's rows may be kept between processes (retention deletes them)."""

    def index_dir(self, name: str) -> Path | None:
        """A directory for the derived files called ``name`` (created), or ``None`` when this store keeps none
        (an in-memory or read-only store): the caller then derives in memory."""
        ...


@runtime_checkable
class Store(FeedReader, BatchWriter, Pseudonyms, IndexCache, Protocol):
    """A whole location store: every interface above, SQL and a summary."""

    def sql(self, query: str, *, allow_files: bool = False) -> pa.Table:
        """Run one read-only SQL statement over the store, with one view per table named after it, reading no
        file but the store's own; ``allow_files`` (the data owner's choice) also lets it read and write files."""
        ...

    def info(self) -> dict[str, Any]:
        """Counts per table, people, time range, rejects, batches, size, retention."""
        ...
