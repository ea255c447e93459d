"""What planning an ingest batch takes from its store and gives back to it, as plain values: ingest never
imports the store, the store calls :func:`~izquvar.ingest.pipeline.plan_ingest` and commits the result.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

import pyarrow as pa

from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.ingest.reports import IngestReport, SourceReport
from izquvar.ingest.validate import TimeWindow

#: Reads a stored table: (table, columns or None, days or None) → Arrow table.
TableReader = Callable[[str, Sequence[str] | None, Iterable[dt.date] | None], pa.Table]
#: Told how far the batch got: (description, bytes of input done, total bytes).
ProgressHook = Callable[[str, int, int], None]


@dataclass
class IngestContext:
    """What planning a batch needs from its store and settings."""

    #: The stored rows.
    read: TableReader
    #: Content hashes of every file the store has committed: such a file is skipped.
    ingested_hashes: AbstractSet[str]
    #: The days each table has files for (``None``: files without a day); a table without files is absent.
    stored_days: Mapping[str, AbstractSet[dt.date | None]]
    pseudonymizer: Pseudonymizer
    window: TimeWindow
    progress: ProgressHook | None = None
    #: A file that marks a directory as a store: its files are not feeds (a store kept inside the data).
    store_marker: str | None = None


@dataclass(frozen=True)
class PlannedFile:
    """One new file of a table: a day partition's rows, or (``day`` ``None``) a whole reference table."""

    table: str
    day: dt.date | None
    rows: pa.Table


@dataclass(frozen=True)
class PlannedSource:
    """An input file the batch stores, with its content hash (what makes re-ingesting it a no-op)."""

    sha256: str
    report: SourceReport


@dataclass
class PlannedBatch:
    """Everything one ingest will commit: new files, the stored files they replace, and the report."""

    id: str
    at: dt.datetime
    files: list[PlannedFile]
    #: Tables whose stored files are all replaced (reference kinds, rewritten whole).
    replaced_tables: set[str]
    #: Day partitions whose stored files are replaced (the stays recomputed over the touched days).
    replaced_days: dict[str, set[dt.date]]
    sources: list[PlannedSource]
    report: IngestReport

    @property
    def empty(self) -> bool:
        return not self.files and not self.replaced_tables and not self.replaced_days and not self.sources
