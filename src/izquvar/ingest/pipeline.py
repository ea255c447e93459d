"""One ingest batch, from files on disk to the tables and rejects the store will commit atomically.

Order of work, and why:

1. find the feed files, reference kinds first (:mod:`~izquvar.ingest.discover`), and skip any whose content
   hash the store has already committed (re-ingesting a file is a no-op that says so);
2. per file: read, coerce types, check every row, check references against the store plus this batch,
   pseudonymise person identifiers (distinct values only);
3. per kind: drop duplicates within the batch, then against rows already stored (events) or replace
   stored rows with the same key (reference kinds: the newest registry wins);
4. derive: areas of operator records, payments and check-ins; stays of the people whose pings arrived,
   recomputed over the touched days ±1 so a stay across midnight is one stay;
5. hand the planned files to the store, which writes them to staging and commits by swapping its manifest.

Nothing here writes to the store: a failure at any step leaves it untouched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import IngestFailed, InvalidInput
from izquvar.formats import DERIVED_FIELDS, KINDS, REJECTS, REJECTS_SCHEMA, STAYS, Kind, stored_schema
from izquvar.geo.placement import area_index, empty_areas
from izquvar.ingest import derive
from izquvar.ingest.coerce import coerce
from izquvar.ingest.columns import dictionary_codes
from izquvar.ingest.discover import FeedFile, discover
from izquvar.ingest.phone import EXPECTED, canonical_msisdn
from izquvar.ingest.problems import ProblemSet, Reason
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.ingest.readers import RawFeed, read_feed
from izquvar.ingest.validate import TimeWindow, validate_rows
from izquvar.store.layout import partition_dir
from izquvar.store.manifest import Manifest, SourceEntry
from izquvar.store.reports import IngestReport, SourceReport

#: Reads a stored table: (table, columns or None, days or None) → Arrow table.
TableReader = Callable[[str, Sequence[str] | None, Iterable[dt.date] | None], pa.Table]
#: Told how far the batch got: (description, bytes of input done, total bytes).
ProgressHook = Callable[[str, int, int], None]

_TS = pa.timestamp("us", tz="UTC")


@dataclass
class PlannedBatch:
    """Everything one ingest will commit: new files, files they supersede, and the report."""

    id: str
    at: dt.datetime
    new_files: list[tuple[str, pa.Table]]
    superseded: set[str]
    sources: list[SourceEntry]
    report: IngestReport

    @property
    def empty(self) -> bool:
        return not self.new_files and not self.superseded and not self.sources


@dataclass
class _Accepted:
    """Rows of one kind that passed the row checks, with where each came from."""

    tables: list[pa.Table] = field(default_factory=list)
    files: list[np.ndarray] = field(default_factory=list)
    rows: list[np.ndarray] = field(default_factory=list)
    lines: list[np.ndarray] = field(default_factory=list)


@dataclass
class IngestContext:
    """What the pipeline needs from its store and settings."""

    manifest: Manifest
    read: TableReader
    pseudonymizer: Pseudonymizer
    window: TimeWindow
    progress: ProgressHook | None = None


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
    return _Planner(context).plan(discover(paths, kind))


class _Planner:
    def __init__(self, context: IngestContext) -> None:
        self.ctx = context
        self.at = context.window.now
        self.batch = new_batch_id(self.at)
        self.sources: list[FeedFile] = []
        self.hashes: list[str] = []
        self.source_rows: list[int] = []
        self.accepted: dict[str, _Accepted] = {}
        self.rejects: list[pa.Table] = []
        self.final: dict[str, pa.Table] = {}
        self.reference_cache: dict[str, pa.Table] = {}
        self.new_counts: dict[str, int] = {}
        self.stored_per_file: dict[int, int] = {}
        self.all_rejects: pa.Table = REJECTS_SCHEMA.empty_table()
        self._days_cache: tuple[pa.Table, str, np.ndarray] | None = None

    # -- 1. files -------------------------------------------------------------------------------------

    def plan(self, feeds: list[FeedFile]) -> PlannedBatch:
        known = self.ctx.manifest.ingested_hashes()
        skipped: list[SourceReport] = []
        todo: list[tuple[FeedFile, str]] = []
        seen: set[str] = set()
        for feed in feeds:
            digest = file_sha256(feed.path)
            if digest in known or digest in seen:
                skipped.append(SourceReport(str(feed.path), feed.kind.name, 0, 0, 0, already_ingested=True))
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
            self._ingest_file(feed, digest)
            done += feed.path.stat().st_size
        if current_kind is not None:
            self._finish_kind(KINDS[current_kind])
        self._report_progress("deriving stays and areas", done, total)
        new_files, superseded, derived = self._derive_and_lay_out()
        self._report_progress("writing", total, total)
        return self._planned(new_files, superseded, derived, skipped)

    def _report_progress(self, what: str, done: int, total: int) -> None:
        if self.ctx.progress is not None:
            self.ctx.progress(what, done, total)

    # -- 2. one file ----------------------------------------------------------------------------------

    def _ingest_file(self, feed: FeedFile, digest: str) -> None:
        kind = feed.kind
        raw = read_feed(feed.path, kind)
        index = len(self.sources)
        self.sources.append(feed)
        self.hashes.append(digest)
        self.source_rows.append(raw.table.num_rows + len(raw.malformed))
        problems = ProblemSet()
        typed = coerce(raw, kind, problems)
        typed = _canonical_phones(typed, kind, problems)
        validate_rows(typed, kind, self.ctx.window, problems)
        self._check_references(typed, kind, problems)
        typed = self._pseudonymise(typed, kind)
        self.rejects.append(self._rejects_of(raw, kind, typed, problems))
        good = ~problems.bad_mask(typed.num_rows)
        accepted = self.accepted.setdefault(kind.name, _Accepted())
        good_rows = raw.rows[good]
        accepted.tables.append(_keep(typed, good))
        accepted.files.append(np.full(good_rows.size, index, dtype=np.int64))
        accepted.rows.append(good_rows)
        accepted.lines.append(raw.lines[good] if raw.lines is not None else np.full(good_rows.size, -1))

    def _check_references(self, table: pa.Table, kind: Kind, problems: ProblemSet) -> None:
        for column in kind.columns:
            if not column.references:
                continue
            target, key = column.references.split(".")
            known = self._reference_table(target).column(key).combine_chunks()
            values = table.column(column.name)
            unknown = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known)))
            problems.add(
                unknown,
                column.name,
                Reason.UNKNOWN_REFERENCE,
                f"no such {key} in {target} (stored or in this ingest)",
                values,
            )

    def _reference_table(self, name: str) -> pa.Table:
        """A reference kind as it will be after this batch: stored rows replaced by this batch's."""
        if name in self.final:
            return self.final[name]
        if name not in self.reference_cache:
            self.reference_cache[name] = self.ctx.read(name, None, None)
        return self.reference_cache[name]

    def _pseudonymise(self, table: pa.Table, kind: Kind) -> pa.Table:
        for name in kind.person_columns:
            position = table.schema.get_field_index(name)
            table = table.set_column(
                position, table.schema.field(position), self.ctx.pseudonymizer.many(table.column(name))
            )
        return table

    def _rejects_of(self, raw: RawFeed, kind: Kind, typed: pa.Table, problems: ProblemSet) -> pa.Table:
        parts = []
        file_name = str(raw.path)
        event_times = self._event_times(kind, typed)
        for positions, field_name, reason, detail, values in zip(
            problems.positions,
            problems.fields,
            problems.reasons,
            problems.details,
            problems.values,
            strict=True,
        ):
            lines = None if raw.lines is None else pa.array(raw.lines[positions])
            parts.append(
                self._reject_table(
                    file_name,
                    kind.name,
                    raw.rows[positions],
                    lines,
                    field_name,
                    values,
                    reason,
                    detail,
                    event_times.take(pa.array(positions)),
                )
            )
        for bad in raw.malformed:
            # The text of a malformed line is not stored: it may hold a raw phone number.
            parts.append(
                self._reject_table(
                    file_name,
                    kind.name,
                    np.array([bad.row]),
                    pa.array([bad.line]),
                    "(line)",
                    pa.nulls(1, pa.string()),
                    Reason.MALFORMED_LINE,
                    bad.detail,
                    pa.array([self.at], _TS),
                )
            )
        return pa.concat_tables(parts) if parts else REJECTS_SCHEMA.empty_table()

    def _event_times(self, kind: Kind, typed: pa.Table) -> pa.Array[Any]:
        """Each row's own time where readable, else the ingest time: what retention applies to."""
        fallback = pa.scalar(self.at, _TS)
        if kind.time_column is None:
            return pa.array(np.full(typed.num_rows, fallback.value, dtype="datetime64[us]"), _TS)
        times: Any = pc.cast(typed.column(kind.time_column).combine_chunks(), _TS)
        return cast("pa.Array[Any]", pc.fill_null(times, fallback))

    def _reject_table(
        self,
        file_name: str,
        kind: str,
        rows: np.ndarray,
        lines: pa.Array[Any] | None,
        field_name: str,
        values: pa.Array[Any],
        reason: str,
        detail: str,
        times: pa.Array[Any],
    ) -> pa.Table:
        n = len(rows)
        return pa.table(
            {
                "batch": pa.array([self.batch] * n, pa.string()),
                "file": pa.array([file_name] * n, pa.string()),
                "kind": pa.array([kind] * n, pa.string()),
                "row": pa.array(rows, pa.int64()),
                "line": lines if lines is not None else pa.nulls(n, pa.int64()),
                "field": pa.array([field_name] * n, pa.string()),
                "value": values,
                "reason": pa.array([reason] * n, pa.string()),
                "detail": pa.array([detail] * n, pa.string()),
                "time": pc.cast(times, _TS),
                "ingested_at": pa.array([self.at] * n, _TS),
            },
            schema=REJECTS_SCHEMA,
        )

    # -- 3. one kind ----------------------------------------------------------------------------------

    def _finish_kind(self, kind: Kind) -> None:
        accepted = self.accepted.get(kind.name)
        if accepted is None:
            return
        table = pa.concat_tables(accepted.tables)
        files = np.concatenate(accepted.files)
        rows = np.concatenate(accepted.rows)
        lines = np.concatenate(accepted.lines)
        keep = self._first_of_each_key(table, kind)
        self._reject_duplicates(
            table,
            kind,
            files,
            rows,
            lines,
            ~keep,
            Reason.DUPLICATE,
            "same key as an earlier row of this ingest",
        )
        table, files, rows, lines = (_keep(table, keep), files[keep], rows[keep], lines[keep])
        if kind.reference:
            stored = self._reference_table(kind.name)
            replaced = pc.is_in(_key_strings(stored, kind), value_set=_key_strings(table, kind))
            self.final[kind.name] = pa.concat_tables([stored.filter(pc.invert(replaced)), table.cast(stored.schema)])
        else:
            stored_dup = self._stored_duplicates(table, kind)
            self._reject_duplicates(
                table,
                kind,
                files,
                rows,
                lines,
                stored_dup,
                Reason.DUPLICATE_STORED,
                "same key as a row already in the store",
            )
            table, files = _keep(table, ~stored_dup), files[~stored_dup]
            self.final[kind.name] = table
        self.new_counts[kind.name] = table.num_rows
        for index, count in zip(*np.unique(files, return_counts=True), strict=True):
            self.stored_per_file[int(index)] = int(count)

    @staticmethod
    def _first_of_each_key(table: pa.Table, kind: Kind) -> np.ndarray:
        """True for the first row of each key; sorted feeds are checked in one pass, others hashed."""
        keep = _first_of_each_key_if_sorted(table, kind.key)
        if keep is not None:
            return keep
        keyed = table.select(list(kind.key)).append_column("_pos", pa.array(np.arange(table.num_rows)))
        first = keyed.group_by(list(kind.key)).aggregate([("_pos", "min")]).column("_pos_min")
        keep = np.zeros(table.num_rows, dtype=bool)
        keep[np.asarray(first.to_numpy(), dtype=np.int64)] = True
        return keep

    def _stored_duplicates(self, table: pa.Table, kind: Kind) -> np.ndarray:
        assert kind.time_column is not None
        duplicate = np.zeros(table.num_rows, dtype=bool)
        days = self._days(table, kind.time_column)
        stored = self.ctx.read(kind.name, list(kind.key), set(np.unique(days).tolist()))
        if stored.num_rows == 0 or table.num_rows == 0:
            return duplicate
        keyed = table.select(list(kind.key)).append_column("_pos", pa.array(np.arange(table.num_rows)))
        found = keyed.join(stored.cast(keyed.select(list(kind.key)).schema), keys=list(kind.key), join_type="left semi")
        duplicate[np.asarray(found.column("_pos").to_numpy(), dtype=np.int64)] = True
        return duplicate

    def _reject_duplicates(
        self,
        table: pa.Table,
        kind: Kind,
        files: np.ndarray,
        rows: np.ndarray,
        lines: np.ndarray,
        mask: np.ndarray,
        reason: str,
        detail: str,
    ) -> None:
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        duplicates = table.take(positions)
        values = _key_strings(duplicates, kind)
        times = self._event_times(kind, duplicates)
        for index in np.unique(files[positions]):
            mine = files[positions] == index
            mine_arrow = pa.array(mine)
            self.rejects.append(
                self._reject_table(
                    str(self.sources[int(index)].path),
                    kind.name,
                    rows[positions][mine],
                    pa.array(lines[positions][mine], mask=lines[positions][mine] < 0),
                    ",".join(kind.key),
                    values.filter(mine_arrow),
                    reason,
                    detail,
                    times.filter(mine_arrow),
                )
            )

    # -- 4. derive and lay out ------------------------------------------------------------------------

    def _derive_and_lay_out(self) -> tuple[list[tuple[str, pa.Table]], set[str], dict[str, int]]:
        new_files: list[tuple[str, pa.Table]] = []
        superseded: set[str] = set()
        derived: dict[str, int] = {}
        index = self._area_index() if self._needs_areas() or "areas" in self.final else None
        for name, table in self.final.items():
            kind = KINDS[name]
            if kind.reference:
                if table.num_rows or self.ctx.manifest.files_of(name):
                    new_files.append((f"{name}/{self.batch}.parquet", table))
                    superseded.update(f.path for f in self.ctx.manifest.files_of(name))
                continue
            if name in DERIVED_FIELDS:
                table = self._place(name, table, index)
            new_files.extend(self._partitioned(name, table, kind.time_column or ""))
        if "gps" in self.final and self.final["gps"].num_rows:
            stay_files, old, count = self._stays(self.final["gps"], index)
            new_files.extend(stay_files)
            superseded.update(old)
            derived[STAYS] = count
        rejects = pa.concat_tables(self.rejects) if self.rejects else REJECTS_SCHEMA.empty_table()
        self.all_rejects = rejects
        new_files.extend(self._partitioned(REJECTS, rejects, "time"))
        return new_files, superseded, derived

    def _needs_areas(self) -> bool:
        return any(n in self.final and self.final[n].num_rows for n in (*DERIVED_FIELDS, "gps"))

    def _area_index(self) -> Any:
        """The shipped hierarchy merged with the store's areas; an inconsistent hierarchy fails the ingest."""
        try:
            return area_index(self._reference_table("areas"))
        except InvalidInput as exc:
            raise IngestFailed(f"the ingested areas do not form a hierarchy: {exc}") from exc

    def _place(self, name: str, table: pa.Table, index: Any) -> pa.Table:
        venues = self._reference_table("venues")
        if index is None:
            areas = empty_areas(table.num_rows)
        elif name == "cell":
            towers = self._reference_table("towers")
            areas = derive.place_through(
                index,
                table["cell_id"],
                towers["cell_id"].combine_chunks(),
                towers["lat"].combine_chunks(),
                towers["lon"].combine_chunks(),
            )
        else:
            venue_ids = table["venue_id"] if name == "checkins" else self._venue_of_merchant(table)
            areas = derive.place_through(
                index,
                venue_ids,
                venues["venue_id"].combine_chunks(),
                venues["lat"].combine_chunks(),
                venues["lon"].combine_chunks(),
            )
        if name == "card":
            table = table.append_column("venue_id", self._venue_of_merchant(table))
        for area in areas.schema:
            table = table.append_column(area, areas[area.name])
        return table.cast(stored_schema(name))

    def _venue_of_merchant(self, table: pa.Table) -> pa.Array[Any]:
        merchants = self._reference_table("merchants")
        return derive.map_through(
            table["merchant_id"],
            merchants["merchant_id"].combine_chunks(),
            merchants["venue_id"].combine_chunks(),
        )

    def _stays(self, new_pings: pa.Table, index: Any) -> tuple[list[tuple[str, pa.Table]], set[str], int]:
        """Recompute the stays of the people who got pings, over the touched days ±1 (read ±2)."""
        touched = set(np.unique(self._days(new_pings, "time")).tolist())
        one = dt.timedelta(days=1)
        replace_days = {d + k * one for d in touched for k in (-1, 0, 1)}
        read_days = {d + k * one for d in replace_days for k in (-1, 0, 1)}
        people = pc.unique(new_pings["person"])
        stored = self.ctx.read("gps", ["person", "time", "lat", "lon", "accuracy_m"], read_days)
        stored = stored.filter(pc.is_in(stored["person"], value_set=people))
        pings = pa.concat_tables([stored.cast(new_pings.schema), new_pings])
        stays = derive.derive_stays(pings, self._reference_table("venues"), index)
        stays = stays.filter(
            pc.is_in(_days_of(stays["start"], arrow=True), value_set=pa.array(sorted(replace_days), pa.date32()))
        )
        old_files = self.ctx.manifest.files_of(STAYS, replace_days)
        old_days = {dt.date.fromisoformat(f.day) for f in old_files if f.day}
        kept = [
            t.filter(pc.invert(pc.is_in(t["person"], value_set=people)))
            for t in (self.ctx.read(STAYS, None, {day}) for day in sorted(old_days))
        ]
        combined = pa.concat_tables([*kept, stays]) if kept else stays
        return self._partitioned(STAYS, combined, "start"), {f.path for f in old_files}, stays.num_rows

    def _days(self, table: pa.Table, column: str) -> np.ndarray:
        """:func:`_days_of` of a table's column, remembered for the last table (GPS times are asked thrice)."""
        cached = self._days_cache
        if cached is None or cached[0] is not table or cached[1] != column:
            cached = self._days_cache = (table, column, _days_of(table.column(column)))
        days: np.ndarray = cached[2]
        return days

    def _partitioned(self, name: str, table: pa.Table, time_column: str) -> list[tuple[str, pa.Table]]:
        """One file per day, rows of a day in their original order."""
        if table.num_rows == 0:
            return []
        days = self._days(table, time_column)
        distinct = np.unique(days)
        if distinct.size <= _FILTER_MAX_DAYS:
            # A few days (the usual daily export): one sequential filter per day beats a gather of every row.
            return [
                (f"{partition_dir(name, day.item())}/{self.batch}.parquet", _keep(table, days == day))
                for day in distinct
            ]
        order = np.argsort(days, kind="stable")
        sorted_days = days[order]
        table = table.take(order)
        bounds = np.flatnonzero(np.diff(sorted_days.astype(np.int64))) + 1
        starts = np.concatenate([[0], bounds])
        ends = np.concatenate([bounds, [len(sorted_days)]])
        return [
            (f"{partition_dir(name, sorted_days[s].item())}/{self.batch}.parquet", table.slice(s, e - s))
            for s, e in zip(starts, ends, strict=True)
        ]

    # -- 5. report ------------------------------------------------------------------------------------

    def _planned(
        self,
        new_files: list[tuple[str, pa.Table]],
        superseded: set[str],
        derived: dict[str, int],
        skipped: list[SourceReport],
    ) -> PlannedBatch:
        rejects = self.all_rejects
        rejected_rows = _rejected_rows_per_file(rejects)
        stored_per_file = self.stored_per_file
        sources = [
            SourceEntry(
                file=str(feed.path),
                sha256=digest,
                kind=feed.kind.name,
                rows=rows,
                stored=stored_per_file.get(i, 0),
                rejected=rejected_rows.get(str(feed.path), 0),
            )
            for i, (feed, digest, rows) in enumerate(zip(self.sources, self.hashes, self.source_rows, strict=True))
        ]
        reports = [SourceReport(s.file, s.kind, s.rows, s.stored, s.rejected) for s in sources] + skipped
        report = IngestReport(
            batch=self.batch if sources else None,
            sources=tuple(reports),
            stored=dict(self.new_counts),
            rejects=rejects,
            derived=derived,
        )
        return PlannedBatch(self.batch, self.at, new_files, superseded, sources, report)


def _key_codes(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> np.ndarray | None:
    """Integers that order like the column would for equality runs: dictionary codes or raw integers."""
    if column.null_count:
        return None
    if pa.types.is_string(column.type):
        return dictionary_codes(column)[0]
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()  # fixed-width values: no offsets to overflow
    if pa.types.is_date32(column.type):
        return np.asarray(column.cast(pa.int32()).to_numpy(), dtype=np.int64)
    if pa.types.is_timestamp(column.type) or pa.types.is_integer(column.type):
        return np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
    return None


def _first_of_each_key_if_sorted(table: pa.Table, key: tuple[str, ...]) -> np.ndarray | None:
    """For rows already grouped by key (feeds usually come sorted by person and time), the first of each run.

    Dictionary codes number values in order of first appearance, so rows grouped by person have
    non-decreasing codes. If every key column is non-decreasing lexicographically, equal keys are adjacent
    and a duplicate is a row equal to its predecessor. ``None`` when the rows are not in such an order.
    """
    if table.num_rows < 2:
        return np.ones(table.num_rows, dtype=bool)
    codes = [_key_codes(table.column(name)) for name in key]
    if any(c is None for c in codes):
        return None
    increasing = np.zeros(table.num_rows - 1, dtype=bool)
    equal_so_far = np.ones(table.num_rows - 1, dtype=bool)
    for code in codes:
        assert code is not None
        step = np.diff(code)
        if np.any(equal_so_far & (step < 0)):
            return None
        increasing |= equal_so_far & (step > 0)
        equal_so_far &= step == 0
    keep = np.ones(table.num_rows, dtype=bool)
    keep[1:] = ~equal_so_far
    return keep


#: Up to this many days in a batch, day partitions are cut by filtering rather than by sorting.
_FILTER_MAX_DAYS = 8


def _keep(table: pa.Table, mask: np.ndarray) -> pa.Table:
    """The rows where ``mask`` is true; no copy when it is true everywhere (the common case)."""
    if mask.all():
        return table
    return table.filter(pa.array(mask))


def _rejected_rows_per_file(rejects: pa.Table) -> dict[str, int]:
    if rejects.num_rows == 0:
        return {}
    distinct = rejects.select(["file", "row"]).group_by(["file", "row"]).aggregate([])
    counts = distinct.group_by("file").aggregate([("row", "count")])
    return {
        str(name): int(count or 0)
        for name, count in zip(counts["file"].to_pylist(), counts["row_count"].to_pylist(), strict=True)
    }


def _key_strings(table: pa.Table, kind: Kind) -> pa.Array[Any]:
    """A row's key as one text value (``a|b|c``): for comparing keys and for the rejects' ``value``."""
    parts: list[Any] = []
    for name in kind.key:
        column = table.column(name).combine_chunks()
        text: Any = (
            pc.strftime(column, format="%Y-%m-%dT%H:%M:%SZ")
            if pa.types.is_timestamp(column.type)
            else pc.cast(column, pa.string())
        )
        parts.append(pc.fill_null(text, pa.scalar("")))
    joined: Any = parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "|")
    return cast("pa.Array[Any]", joined)


def _days_of(values: pa.ChunkedArray[Any] | pa.Array[Any], arrow: bool = False) -> Any:
    """The UTC day of each time (or date): numpy ``datetime64[D]`` (or an Arrow date32 array)."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    days = values if pa.types.is_date32(values.type) else pc.cast(pc.cast(values, _TS), pa.date32())
    if arrow:
        return days
    return np.asarray(days.to_numpy(zero_copy_only=False), dtype="datetime64[D]")


def pause_for_tests(phase: str) -> None:
    """Test hook: ``IZQUVAR_TEST_PAUSE_S`` sleeps between commit phases so a test can SIGKILL mid-way."""
    pause = os.environ.get("IZQUVAR_TEST_PAUSE_S")
    if pause:
        import sys
        import time

        print(f"izquvar-test-phase {phase}", file=sys.stderr, flush=True)
        time.sleep(float(pause))


def _canonical_phones(table: pa.Table, kind: Kind, problems: ProblemSet) -> pa.Table:
    """Phone columns in their canonical MSISDN form (:mod:`izquvar.ingest.phone`), so that one phone written two
    ways hashes to one pseudonym; a value that is not a phone number is a problem (its text is not kept in the
    rejects: it may be a real number mistyped)."""
    for column in kind.columns:
        if not column.phone_number:
            continue
        position = table.schema.get_field_index(column.name)
        canonical, bad = canonical_msisdn(table.column(position))
        problems.add(bad, column.name, Reason.NOT_A_PHONE_NUMBER, f"not {EXPECTED}", None)
        table = table.set_column(position, table.schema.field(position), canonical)
    return table
