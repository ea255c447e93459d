"""The embedded location store: a directory of Parquet files and a manifest, no server.

Atomicity comes from one rule: **only files listed in manifest.json exist for readers**. A writer (ingest,
purge) holds the store's lock, writes new files into ``.staging/<batch>/``, fsyncs them, renames them into
their partitions (still unlisted, so still invisible), then commits by atomically replacing the manifest.
Files that the new manifest no longer lists are deleted afterwards. A writer killed at any moment leaves
the old manifest (store unchanged, orphans removed at the next open) or the new one (whole batch).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from izquvar.config import Settings
from izquvar.errors import Forbidden, IngestFailed, InvalidInput, NotFound, StoreError
from izquvar.formats import ALL_TABLES, DAY_COLUMNS, KINDS, REJECTS, stored_schema
from izquvar.ingest.batch import IngestContext, PlannedBatch
from izquvar.ingest.pipeline import plan_ingest
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.ingest.reports import IngestReport
from izquvar.ingest.validate import TimeWindow
from izquvar.store import retention, sql_policy
from izquvar.store.fsutil import atomic_write_bytes, fsync_dir, write_parquet_durably
from izquvar.store.layout import (
    DERIVED_DIRS,
    INDEX_DIR,
    LOCK_FILE,
    MANIFEST_FILE,
    STAGING_DIR,
    STORE_FILE,
    STORE_FORMAT_VERSION,
    batch_file,
)
from izquvar.store.lock import writer_lock
from izquvar.store.manifest import BatchEntry, FileEntry, Manifest, SourceEntry, load_manifest, save_manifest
from izquvar.store.reports import PurgeReport


class EmbeddedStore:
    """A location store in one directory; see the module docstring for the commit protocol."""

    def __init__(self, root: Path, settings: Settings, config: dict[str, Any]) -> None:
        self.root = root
        self.settings = settings
        self.config = config

    # -- opening --------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path, create: bool = True, settings: Settings | None = None) -> EmbeddedStore:
        """Open (or create) the store at ``path`` and remove what an interrupted writer left behind."""
        root = Path(path)
        settings = settings or Settings()
        store_file = root / STORE_FILE
        if not store_file.exists():
            if not create:
                raise NotFound(f"{root}: no izquvar store here (no {STORE_FILE}).")
            if root.exists() and any(root.iterdir()):
                raise InvalidInput(f"{root}: not empty and not an izquvar store; refusing to create one here.")
            cls._create(root, settings)
        try:
            config = json.loads(store_file.read_bytes())
        except (OSError, ValueError) as exc:
            raise StoreError(f"{store_file}: unreadable ({exc}).") from exc
        if config.get("format_version") != STORE_FORMAT_VERSION:
            raise StoreError(
                f"{root}: store format {config.get('format_version')!r}; this izquvar reads "
                f"format {STORE_FORMAT_VERSION}."
            )
        store = cls(root, settings, config)
        store._clean_orphans()
        return store

    @staticmethod
    def _create(root: Path, settings: Settings) -> None:
        root.mkdir(parents=True, exist_ok=True)
        config = {
            "format_version": STORE_FORMAT_VERSION,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "key_fingerprint": settings.pseudonym_key_fingerprint(),
            "retention_days": settings.retention_days,
            "layout": "hive-day-partitioned-parquet",
        }
        save_manifest(root / MANIFEST_FILE, Manifest())
        atomic_write_bytes(root / STORE_FILE, json.dumps(config, indent=1).encode("utf-8"))

    def _clean_orphans(self) -> None:
        """Delete unlisted files of our tables and abandoned staging, unless a writer is at work now."""
        with writer_lock(self.root / LOCK_FILE, wait=False) as locked:
            if not locked:
                return
            live = {f.path for f in self._manifest().files}
            shutil.rmtree(self.root / STAGING_DIR, ignore_errors=True)
            for leftover in self.root.glob(f".{MANIFEST_FILE}.tmp-*"):
                leftover.unlink(missing_ok=True)
            for table in ALL_TABLES:
                directory = self.root / table
                if not directory.is_dir():
                    continue
                for path in directory.rglob("*.parquet"):
                    if path.relative_to(self.root).as_posix() not in live:
                        path.unlink()
                for sub in sorted((p for p in directory.rglob("*") if p.is_dir()), reverse=True):
                    if not any(sub.iterdir()):
                        sub.rmdir()

    # -- reading --------------------------------------------------------------------------------------

    def _manifest(self) -> Manifest:
        return load_manifest(self.root / MANIFEST_FILE)

    def generation(self) -> int:
        """The manifest's generation: one more with every committed ingest or purge."""
        return self._manifest().generation

    def partitions(self, kind: str) -> dict[dt.date | None, str]:
        """Each partition of ``kind`` that has files (``None``: files without a day), with a version: a digest of
        the partition's file names, which carry their batch, so it changes exactly when a batch adds or replaces
        a file of that partition."""
        if kind not in ALL_TABLES:
            raise InvalidInput(f"unknown table {kind!r}; known: {', '.join(ALL_TABLES)}.")
        names: dict[dt.date | None, list[str]] = {}
        for entry in self._manifest().files_of(kind):
            day = dt.date.fromisoformat(entry.day) if entry.day else None
            names.setdefault(day, []).append(entry.path)
        return {
            day: hashlib.sha256("\n".join(sorted(paths)).encode("utf-8")).hexdigest()[:16]
            for day, paths in sorted(names.items(), key=lambda item: (item[0] is not None, item[0] or dt.date.min))
        }

    def index_dir(self, name: str) -> Path | None:
        """``STORE/index/<name>/`` (created), or ``None`` when the store cannot be written to: derived indexes
        then stay in memory. Retention deletes the whole ``index/`` directory."""
        directory = self.root / INDEX_DIR / name
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError:
            return None
        return directory if os.access(directory, os.W_OK) else None

    def files(self, kind: str) -> list[Path]:
        """The live Parquet files of a table, as the manifest lists them: what another engine (Spark) reads
        instead of globbing the directory, which may hold a killed ingest's unlisted files."""
        if kind not in ALL_TABLES:
            raise InvalidInput(f"unknown table {kind!r}; known: {', '.join(ALL_TABLES)}.")
        return [self.root / entry.path for entry in self._manifest().files_of(kind)]

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        """A stored table (feed kind, ``stays`` or ``rejects``): only files the manifest lists."""
        return self._read(self._manifest(), kind, columns, days)

    def table_by_day(
        self, kind: str, columns: Sequence[str] | None = None
    ) -> Iterator[tuple[dt.date | None, pa.Table]]:
        """A stored table one day partition at a time, in day order (files without a day first, as ``None``),
        all from one manifest: what a bounded-memory pass over a fortnight of a city reads instead of
        :meth:`table`."""
        manifest = self._manifest()
        files = manifest.files_of(kind) if kind in ALL_TABLES else []
        days = sorted({f.day for f in files if f.day is not None})
        groups: list[tuple[dt.date | None, list[FileEntry]]] = [(None, [f for f in files if f.day is None])]
        groups += [(dt.date.fromisoformat(day), [f for f in files if f.day == day]) for day in days]
        for date, group in groups:
            if group or (date is None and not days):
                yield date, self._read(Manifest(manifest.generation, group, manifest.batches), kind, columns, None)

    def _read(
        self, manifest: Manifest, kind: str, columns: Sequence[str] | None, days: Iterable[dt.date] | None
    ) -> pa.Table:
        if kind not in ALL_TABLES:
            raise InvalidInput(f"unknown table {kind!r}; known: {', '.join(ALL_TABLES)}.")
        schema = stored_schema(kind)
        wanted = list(columns) if columns is not None else schema.names
        unknown = [c for c in wanted if c not in schema.names]
        if unknown:
            raise InvalidInput(f"{kind} has no column(s) {', '.join(unknown)}.")
        files = manifest.files_of(kind, None if days is None else set(days))
        if not files:
            return schema.empty_table().select(wanted)
        dataset = pads.dataset([str(self.root / f.path) for f in files], schema=schema, format="parquet")
        return dataset.to_table(columns=wanted)

    def sql(self, query: str, *, allow_files: bool = False) -> pa.Table:
        """DuckDB SQL over the store, with one view per table (``gps``, ``stays``, ``rejects``...): one read-only
        statement, reading no file but the store's own (``allow_files``: also ``COPY`` and other files, for the
        data owner); see :mod:`izquvar.store.sql_policy`."""
        statement = sql_policy.one_statement(query, allow_files=allow_files)
        connection, paths = self._views()
        try:
            sql_policy.lock_down(connection, paths, allow_files=allow_files)
            result: pa.Table = connection.sql(statement).to_arrow_table()
            return result
        except duckdb.PermissionException as exc:
            raise sql_policy.refused_access(exc) from exc
        except duckdb.Error as exc:
            raise InvalidInput(f"SQL failed: {exc}") from exc
        finally:
            connection.close()

    def _duckdb(self) -> Any:
        return self._views()[0]

    def _views(self) -> tuple[Any, list[str]]:
        """A DuckDB connection with one view per table over the manifest's files, and those files' paths."""
        manifest = self._manifest()
        connection = duckdb.connect()
        connection.execute("SET TimeZone = 'UTC'")
        paths: list[str] = []
        for table in ALL_TABLES:
            files = manifest.files_of(table)
            if files:
                table_paths = [str(self.root / f.path) for f in files]
                paths.extend(table_paths)
                listed = ", ".join("'" + p.replace("'", "''") + "'" for p in table_paths)
                connection.execute(
                    f"CREATE VIEW {table} AS SELECT * FROM read_parquet([{listed}], "
                    "hive_partitioning = false, union_by_name = true)"
                )
            else:
                connection.register(f"_empty_{table}", stored_schema(table).empty_table())
                connection.execute(f"CREATE VIEW {table} AS SELECT * FROM _empty_{table}")
        return connection, paths

    def info(self) -> dict[str, Any]:
        """Rows per table, distinct people, time range, rejects, batches, size, retention."""
        manifest = self._manifest()
        counts = {t: sum(f.rows for f in manifest.files_of(t)) for t in ALL_TABLES}
        connection = self._duckdb()
        try:
            people = connection.sql(f"SELECT count(DISTINCT id) FROM ({_person_union()})").fetchall()[0]
            start, end = connection.sql(_time_range_query()).fetchall()[0]
        finally:
            connection.close()
        size = sum(f.bytes for f in manifest.files) + sum(
            (self.root / n).stat().st_size for n in (STORE_FILE, MANIFEST_FILE)
        )
        return {
            "store": str(self.root),
            "format_version": self.config["format_version"],
            "counts": counts,
            "people": int(people[0]),
            "time_range": {"start": _iso(start), "end": _iso(end)},
            "rejects": counts[REJECTS],
            "batches": sum(1 for b in manifest.batches if b.operation == "ingest"),
            "files": len(manifest.files),
            "size_bytes": size,
            "retention_days": self.config["retention_days"],
            "key_fingerprint": self.config["key_fingerprint"],
        }

    # -- pseudonyms -----------------------------------------------------------------------------------

    def _pseudonymizer(self) -> Pseudonymizer:
        """The keyed hash, refusing a key other than the one the store was built with."""
        key = self.settings.pseudonym_key_bytes()
        fingerprint = self.settings.pseudonym_key_fingerprint()
        if fingerprint != self.config["key_fingerprint"]:
            raise Forbidden(
                f"{self.root}: the pseudonym key (fingerprint {fingerprint}) is not the one this store was "
                f"built with ({self.config['key_fingerprint']}); pseudonyms would not match. "
                "Set IZQUVAR_PSEUDONYM_KEY to the store's key."
            )
        return Pseudonymizer(key)

    def pseudonym(self, raw_id: str) -> str:
        """The pseudonym this store uses for a raw person identifier (phone number, PINFL...)."""
        return self._pseudonymizer().one(raw_id)

    def pseudonyms(self, raw_ids: pa.Array[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        """Vectorised :meth:`pseudonym`; nulls stay null."""
        return self._pseudonymizer().many(raw_ids)

    def phone_pseudonym(self, number: str) -> str:
        """The pseudonym of a phone number written any usual way (``+998 90 123-45-67``, ``901234567``...): its
        canonical MSISDN hashed, as ingest hashes phone columns."""
        from izquvar.ingest.phone import EXPECTED, canonical_one

        canonical = canonical_one(number)
        if canonical is None:
            raise InvalidInput(f"{number!r} is not {EXPECTED}")
        return self._pseudonymizer().one(canonical)

    # -- writing --------------------------------------------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        kind: str | None = None,
        progress: bool = False,
        now: dt.datetime | None = None,
    ) -> IngestReport:
        """Validate and store feed files as one atomic, idempotent batch (see the module docstring)."""
        if isinstance(paths, str | Path):
            paths = [paths]
        pseudonymizer = self._pseudonymizer()
        at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        window = TimeWindow(at, dt.timedelta(minutes=self.settings.clock_skew_minutes))
        with writer_lock(self.root / LOCK_FILE), _progress_bar(progress) as hook:
            manifest = self._manifest()
            context = IngestContext(
                read=lambda t, c, d: self._read(manifest, t, c, d),
                ingested_hashes=manifest.ingested_hashes().keys(),
                stored_days=_stored_days(manifest),
                pseudonymizer=pseudonymizer,
                window=window,
                progress=hook,
                store_marker=STORE_FILE,
            )
            planned = plan_ingest(list(paths), kind, context)
            if not planned.empty:
                self._commit(manifest, planned)
        return planned.report

    def _commit(self, manifest: Manifest, planned: PlannedBatch) -> None:
        staging = self.root / STAGING_DIR / planned.id
        entries: list[FileEntry] = []
        try:
            for file in planned.files:
                relpath = batch_file(file.table, file.day, planned.id)
                size = write_parquet_durably(file.rows.cast(stored_schema(file.table)), staging / relpath)
                day = file.day.isoformat() if file.day else None
                entries.append(FileEntry(relpath, file.table, file.rows.num_rows, size, planned.id, day))
            _pause_for_tests("staged")
            for entry in entries:
                target = self.root / entry.path
                target.parent.mkdir(parents=True, exist_ok=True)
                (staging / entry.path).replace(target)
                fsync_dir(target.parent)
            _pause_for_tests("moved")
        except OSError as exc:
            raise IngestFailed(f"{self.root}: cannot write the batch ({exc}); the store is unchanged.") from exc
        superseded = _superseded(manifest, planned)
        sources = tuple(
            SourceEntry(s.report.file, s.sha256, s.report.kind, s.report.rows, s.report.stored, s.report.rejected_rows)
            for s in planned.sources
        )
        updated = replace(
            manifest,
            generation=manifest.generation + 1,
            files=[f for f in manifest.files if f.path not in superseded] + entries,
            batches=[*manifest.batches, BatchEntry(planned.id, planned.at.isoformat(), "ingest", sources)],
        )
        self._save(updated, staging, superseded)

    def _save(self, manifest: Manifest, staging: Path | None, superseded: Iterable[str]) -> None:
        """The commit point, then clean-up of what the new manifest no longer lists."""
        try:
            save_manifest(self.root / MANIFEST_FILE, manifest)
        except OSError as exc:
            raise IngestFailed(f"{self.root}: cannot commit ({exc}); the store is unchanged.") from exc
        _pause_for_tests("committed")
        for relpath in superseded:
            path = self.root / relpath
            path.unlink(missing_ok=True)
            if path.parent != self.root and path.parent.name.startswith("day="):
                with contextlib.suppress(OSError):  # not empty: other batches of that day
                    path.parent.rmdir()
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
            with contextlib.suppress(OSError):
                staging.parent.rmdir()

    def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> PurgeReport:
        """Remove every event, stay and reject older than ``now - older_than``; reference tables stay."""
        if older_than <= dt.timedelta(0):
            raise InvalidInput("the retention period must be positive.")
        at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        cutoff = at - older_than
        with writer_lock(self.root / LOCK_FILE):
            manifest = self._manifest()
            plan = retention.plan_purge(manifest, cutoff, lambda f: self._read_file(f))
            self._remove_derived()
            if not plan.changed:
                return plan.report
            staging = self.root / STAGING_DIR / f"purge-{at.strftime('%Y%m%dT%H%M%S')}"
            entries = []
            try:
                for old, table in plan.rewritten:
                    relpath = str(
                        Path(old.path).with_name(f"purge-{at.strftime('%Y%m%dT%H%M%S')}-{Path(old.path).name}")
                    )
                    size = write_parquet_durably(table.cast(stored_schema(old.table)), staging / relpath)
                    target = self.root / relpath
                    (staging / relpath).replace(target)
                    fsync_dir(target.parent)
                    entries.append(replace(old, path=relpath, rows=table.num_rows, bytes=size))
            except OSError as exc:
                raise StoreError(f"{self.root}: purge could not write ({exc}); the store is unchanged.") from exc
            removed = {f.path for f in plan.removed} | {old.path for old, _ in plan.rewritten}
            updated = replace(
                manifest,
                generation=manifest.generation + 1,
                files=[f for f in manifest.files if f.path not in removed] + entries,
                batches=[*manifest.batches, BatchEntry(f"purge-{at.isoformat()}", at.isoformat(), "purge")],
            )
            self._save(updated, staging, removed)
            return plan.report

    def _remove_derived(self) -> None:
        """Delete derived results (indexes, trace-all runs): they may hold purged rows and are rebuilt on demand."""
        for name in DERIVED_DIRS:
            directory = self.root / name
            if directory.exists():
                shutil.rmtree(directory)

    def _read_file(self, entry: FileEntry) -> pa.Table:
        return pads.dataset(str(self.root / entry.path), schema=stored_schema(entry.table), format="parquet").to_table()


def _stored_days(manifest: Manifest) -> dict[str, set[dt.date | None]]:
    """The days each table has live files for (``None``: files without a day): what ingest plans against."""
    days: dict[str, set[dt.date | None]] = {}
    for entry in manifest.files:
        days.setdefault(entry.table, set()).add(dt.date.fromisoformat(entry.day) if entry.day else None)
    return days


def _superseded(manifest: Manifest, planned: PlannedBatch) -> set[str]:
    """The live files a batch replaces: every file of a table it rewrites whole, and of the days it recomputes."""
    paths = {f.path for table in planned.replaced_tables for f in manifest.files_of(table)}
    paths |= {f.path for table, days in planned.replaced_days.items() for f in manifest.files_of(table, days)}
    return paths


def _pause_for_tests(phase: str) -> None:
    """Test hook: ``IZQUVAR_TEST_PAUSE_S`` sleeps between commit phases so a test can SIGKILL mid-way."""
    pause = os.environ.get("IZQUVAR_TEST_PAUSE_S")
    if pause:
        import sys
        import time

        print(f"izquvar-test-phase {phase}", file=sys.stderr, flush=True)
        time.sleep(float(pause))


def _progress_bar(enabled: bool) -> Any:
    from izquvar.ingest.progress import ingest_progress

    return ingest_progress(enabled)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _person_union() -> str:
    """Every person pseudonym in the store, once per mention: phone numbers count as the registered owner's
    person (people.phone) and only as a person of their own when no owner is registered."""
    parts = [
        f"SELECT {c.name} AS id FROM {k.name}"
        for k in KINDS.values()
        for c in k.columns
        if c.identifies_person and not c.phone_number
    ]
    parts.append("SELECT person AS id FROM stays")
    phones = " UNION ".join(
        f"SELECT {c.name} AS phone FROM {k.name}"
        for k in KINDS.values()
        for c in k.columns
        if c.phone_number and k.name != "people"
    )
    parts.append(
        f"SELECT coalesce(owner.person, phones.phone) AS id FROM ({phones}) AS phones "
        "LEFT JOIN (SELECT phone, any_value(person) AS person FROM people WHERE phone IS NOT NULL GROUP BY phone) "
        "AS owner ON owner.phone = phones.phone"
    )
    return " UNION ALL ".join(parts)


def _time_range_query() -> str:
    """Earliest and latest time of any event kind (dates count as their midnight UTC)."""
    parts = [
        f"SELECT min(CAST({column} AS TIMESTAMPTZ)) AS lo, max(CAST({column} AS TIMESTAMPTZ)) AS hi FROM {table}"
        for table, column in DAY_COLUMNS.items()
        if table in KINDS
    ]
    return f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})"
