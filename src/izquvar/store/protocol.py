"""The interface every location store offers, so PostgreSQL or Spark stores can replace the embedded one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa

from izquvar.store.reports import IngestReport, PurgeReport

if TYPE_CHECKING:
    from izquvar.trace.result import TraceResult


@runtime_checkable
class Store(Protocol):
    """A location store: validated ingest, table and SQL access, retention and pseudonyms."""

    def ingest(self, paths: Iterable[str | Path], kind: str | None = None, progress: bool = False) -> IngestReport:
        """Validate and store feed files (one atomic batch); bad rows go to ``rejects``."""
        ...

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        """One stored table (a feed kind, ``stays`` or ``rejects``), optionally some columns and days."""
        ...

    def sql(self, query: str) -> pa.Table:
        """Run SQL over the store, with one view per table named after it."""
        ...

    def info(self) -> dict[str, Any]:
        """Counts per table, people, time range, rejects, batches, size, retention."""
        ...

    def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> PurgeReport:
        """Remove every event, stay and reject older than ``now - older_than``."""
        ...

    def pseudonym(self, raw_id: str) -> str:
        """The pseudonym the store uses for a raw person identifier."""
        ...

    def pseudonyms(self, raw_ids: pa.Array[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        """Vectorised :meth:`pseudonym`: nulls stay null."""
        ...

    def phone_pseudonym(self, number: str) -> str:
        """The pseudonym of a phone number, canonicalised as ingest does (see izquvar.ingest.phone)."""
        ...

    def trace(
        self,
        person: str,
        onset: dt.date | str,
        isolation: dt.date | str | None = None,
        lang: str = "en",
    ) -> TraceResult:
        """Where a case was and who they met during the infectious window (see izquvar.trace)."""
        ...
