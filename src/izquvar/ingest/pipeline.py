"""One ingest batch, from files on disk to the tables and rejects the store will commit atomically.

Order of work, and why:

1. find the feed files, reference kinds first (:mod:`~izquvar.ingest.discover`), and skip any whose content
   hash the store has already committed (re-ingesting a file is a no-op that says so);
2. per file: read, coerce types, canonical phones, check every row, check references against the store plus
   this batch (:mod:`~izquvar.ingest.references`), pseudonymise person identifiers (distinct values only);
3. per kind: drop duplicates within the batch, then against rows already stored (events) or replace
   stored rows with the same key (reference kinds: the newest registry wins) (:mod:`~izquvar.ingest.duplicates`);
4. derive: areas of operator records, payments and check-ins; stays of the people whose pings arrived,
   recomputed over the touched days ±1 so a stay across midnight is one stay (:mod:`~izquvar.ingest.derive`);
   cut events, stays and rejects (:mod:`~izquvar.ingest.rejects`) into day partitions
   (:mod:`~izquvar.ingest.partition`);
5. hand the :class:`~izquvar.ingest.batch.PlannedBatch` to the store, which writes it to staging and commits by
   swapping its manifest.

Nothing here writes to the store, or imports it: a failure at any step leaves it untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from izquvar.errors import IngestFailed, InvalidInput
from izquvar.formats import DERIVED_FIELDS, KINDS, REJECTS, STAYS, Kind
from izquvar.geo.placement import area_index
from izquvar.ingest import derive
from izquvar.ingest.batch import IngestContext, PlannedBatch, PlannedFile, PlannedSource
from izquvar.ingest.coerce import coerce
from izquvar.ingest.columns import keep_rows
from izquvar.ingest.discover import FeedFile, discover
from izquvar.ingest.duplicates import first_of_each_key, stored_duplicates
from izquvar.ingest.partition import RowDays, by_day
from izquvar.ingest.phone import canonical_phone_columns
from izquvar.ingest.problems import ProblemSet, Reason
from izquvar.ingest.pseudonym import pseudonymise_columns
from izquvar.ingest.readers import read_feed
from izquvar.ingest.references import ReferenceTables
from izquvar.ingest.rejects import Rejects, rejected_rows_per_file
from izquvar.ingest.reports import IngestReport, SourceReport
from izquvar.ingest.validate import validate_rows


def new_batch_id(now: dt.datetime) -> str:
    """Sortable and unique: the UTC time of the batch plus random bits."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}Z-{secrets.token_hex(4)}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise IngestFailed(f"{path}: cannot read: {exc}") from exc
    return digest.hexdigest()


def plan_ingest(paths: Iterable[str | Path], kind: str | None, context: IngestContext) -> PlannedBatch:
    """Read, check, pseudonymise and derive one batch; the store commits the result."""
    return _Planner(context).plan(discover(paths, kind, store_marker=context.store_marker))


@dataclass
class _Accepted:
    """Rows of one kind that passed the row checks, with where each came from (file, row, line or ``-1``)."""

    tables: list[pa.Table] = field(default_factory=list)
    files: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    lines: list[np.ndarray] = field(default_factory=list)


class _Planner:
    """The state of one batch between its stages (numbered as in the module docstring)."""

    def __init__(self, context: IngestContext) -> None:
        self.ctx = context
        self.at = context.window.now
        self.batch = new_batch_id(self.at)
        self.sources: list[FeedFile] = []
        self.hashes: list[str] = []
        self.source_rows: list[int] = []
        self.accepted: dict[str, _Accepted] = {}
        #: Each kind's rows as the batch will store them (reference kinds: the whole table after the batch).
        self.final: dict[str, pa.Table] = {}
        self.references = ReferenceTables(context.read, self.final)
        self.rejects = Rejects(self.batch, self.at)
        self.new_counts: dict[str, int] = {}
        self.stored_per_file: dict[int, int] = {}
        self.days = RowDays()
        #: Files already committed (same content hash), reported but not read.
        self.skipped: list[SourceReport] = []

    # -- 1. files -------------------------------------------------------------------------------------

    def plan(self, feeds: list[FeedFile]) -> PlannedBatch:
        todo: list[tuple[FeedFile, str]] = []
        seen: set[str] = set()
        for feed in feeds:
            digest = file_sha256(feed.path)
            if digest in self.ctx.ingested_hashes or digest in seen:
                self.skipped.append(SourceReport(str(feed.path), feed.kind.name, 0, 0, 0, already_ingested=True))
                continue
            seen.add(digest)
            todo.append((feed, digest))
        total = sum(f.path.stat().st_size for f, _ in todo) or 1
        done = 0
        current_kind: str | None = None
        for feed, digest in todo:
            if current_kind is not None and feed.kind.name != current_kind:
                self._finish_kind(KINDS[current_kind])
            current_kind = feed.kind.name
            self._report_progress(f"reading {feed.path.name}", done, total)
            self._check_file(feed, digest)
            done += feed.path.stat().st_size
        if current_kind is not None:
            self._finish_kind(KINDS[current_kind])
        self._report_progress("deriving stays and areas", done, total)
        planned = self._derive_and_lay_out()
        self._report_progress("writing", total, total)
        return planned

    def _report_progress(self, what: str, done: int, total: int) -> None:
        if self.ctx.progress is not None:
            self.ctx.progress(what, done, total)

    # -- 2. one file ----------------------------------------------------------------------------------

    def _check_file(self, feed: FeedFile, digest: str) -> None:
        kind = feed.kind
        raw = read_feed(feed.path, kind)
        index = len(self.sources)
        self.sources.append(feed)
        self.hashes.append(digest)
        self.source_rows.append(raw.table.num_rows + len(raw.malformed))
        problems = ProblemSet()
        typed = coerce(raw, kind, problems)
        typed = canonical_phone_columns(typed, kind, problems)
        validate_rows(typed, kind, self.ctx.window, problems)
        self.references.check(typed, kind, problems)
        typed = pseudonymise_columns(typed, kind, self.ctx.pseudonymizer)
        self.rejects.add_problems(raw, kind, typed, problems)
        good = ~problems.bad_mask(typed.num_rows)
        accepted = self.accepted.setdefault(kind.name, _Accepted())
        good_rows = raw.rows[good]
        accepted.tables.append(keep_rows(typed, good))
        accepted.files.append(np.full(good_rows.size, index, dtype=np.int64))
        accepted.rows.append(good_rows)
        accepted.lines.append(raw.lines[good] if raw.lines is not None else np.full(good_rows.size, -1))

    # -- 3. one kind ----------------------------------------------------------------------------------

    def _finish_kind(self, kind: Kind) -> None:
        accepted = self.accepted.get(kind.name)
        if accepted is None:
            return
        table = pa.concat_tables(accepted.tables)
        files = np.concatenate(accepted.files)
        rows = np.concatenate(accepted.rows)
        lines = np.concatenate(accepted.lines)
        names = [str(f.path) for f in self.sources]
        keep = first_of_each_key(table, kind)
        self.rejects.add_duplicates(
            table, kind, names, files, rows, lines, ~keep, Reason.DUPLICATE, "same key as an earlier row of this ingest"
        )
        table, files, rows, lines = (keep_rows(table, keep), files[keep], rows[keep], lines[keep])
        if kind.reference:
            self.final[kind.name] = self.references.replaced(kind, table)
        else:
            assert kind.time_column is not None
            stored = stored_duplicates(table, kind, self.days.of(table, kind.time_column), self.ctx.read)
            self.rejects.add_duplicates(
                table,
                kind,
                names,
                files,
                rows,
                lines,
                stored,
                Reason.DUPLICATE_STORED,
                "same key as a row already in the store",
            )
            table, files = keep_rows(table, ~stored), files[~stored]
            self.final[kind.name] = table
        self.new_counts[kind.name] = table.num_rows
        for index, count in zip(*np.unique(files, return_counts=True), strict=True):
            self.stored_per_file[int(index)] = int(count)

    # -- 4. derive and lay out ------------------------------------------------------------------------

    def _derive_and_lay_out(self) -> PlannedBatch:
        files: list[PlannedFile] = []
        replaced_tables: set[str] = set()
        replaced_days: dict[str, set[dt.date]] = {}
        derived: dict[str, int] = {}
        index = self._area_index() if self._needs_areas() or "areas" in self.final else None
        for name, table in self.final.items():
            kind = KINDS[name]
            if kind.reference:
                if table.num_rows or name in self.ctx.stored_days:
                    files.append(PlannedFile(name, None, table))
                    replaced_tables.add(name)
                continue
            if name in DERIVED_FIELDS:
                table = derive.place_records(name, table, index, self.references.get)
            files.extend(by_day(name, table, kind.time_column or "", self.days))
        if "gps" in self.final and self.final["gps"].num_rows:
            pings = self.final["gps"]
            stays, old_days, count = derive.recompute_stays(
                pings,
                self.days.of(pings, "time"),
                self.ctx.read,
                self.ctx.stored_days.get(STAYS, frozenset()),
                self.references.get("venues"),
                index,
            )
            files.extend(by_day(STAYS, stays, "start", self.days))
            if old_days:
                replaced_days[STAYS] = old_days
            derived[STAYS] = count
        rejects = self.rejects.table()
        files.extend(by_day(REJECTS, rejects, "time", self.days))
        return self._planned(files, replaced_tables, replaced_days, derived, rejects)

    def _needs_areas(self) -> bool:
        return any(n in self.final and self.final[n].num_rows for n in (*DERIVED_FIELDS, "gps"))

    def _area_index(self) -> Any:
        """The shipped hierarchy merged with the store's areas; an inconsistent hierarchy fails the ingest."""
        try:
            return area_index(self.references.get("areas"))
        except InvalidInput as exc:
            raise IngestFailed(f"the ingested areas do not form a hierarchy: {exc}") from exc

    # -- 5. report ------------------------------------------------------------------------------------

    def _planned(
        self,
        files: list[PlannedFile],
        replaced_tables: set[str],
        replaced_days: dict[str, set[dt.date]],
        derived: dict[str, int],
        rejects: pa.Table,
    ) -> PlannedBatch:
        rejected_rows = rejected_rows_per_file(rejects)
        sources = [
            PlannedSource(
                digest,
                SourceReport(
                    str(feed.path),
                    feed.kind.name,
                    rows,
                    self.stored_per_file.get(i, 0),
                    rejected_rows.get(str(feed.path), 0),
                ),
            )
            for i, (feed, digest, rows) in enumerate(zip(self.sources, self.hashes, self.source_rows, strict=True))
        ]
        report = IngestReport(
            batch=self.batch if sources else None,
            sources=(*(s.report for s in sources), *self.skipped),
            stored=dict(self.new_counts),
            rejects=rejects,
            derived=derived,
        )
        return PlannedBatch(self.batch, self.at, files, replaced_tables, replaced_days, sources, report)
