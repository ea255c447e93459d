"""Ingest plans a batch from plain values, with no store: what it is told is stored decides what it replaces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

import pyarrow as pa
from feedkit import DAY1, DAY2, NOW, gps_rows, write_kind, write_world

from izquvar.formats import STAYS, stored_schema
from izquvar.ingest.batch import IngestContext
from izquvar.ingest.discover import discover
from izquvar.ingest.pipeline import file_sha256, plan_ingest
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.ingest.validate import TimeWindow


def _nothing_stored(table: str, columns: Sequence[str] | None, days: Iterable[dt.date] | None) -> pa.Table:
    schema = stored_schema(table)
    return schema.empty_table().select(list(columns) if columns is not None else schema.names)


def _context(
    ingested: set[str] | None = None, stored_days: dict[str, set[dt.date | None]] | None = None
) -> IngestContext:
    return IngestContext(
        read=_nothing_stored,
        ingested_hashes=ingested or set(),
        stored_days=stored_days or {},
        pseudonymizer=Pseudonymizer(b"test key"),
        window=TimeWindow(NOW, dt.timedelta(minutes=5)),
        store_marker="store.json",
    )


def test_a_batch_is_planned_as_files_per_table_and_day(tmp_path: Path) -> None:
    write_world(tmp_path)
    write_kind(tmp_path, "gps", gps_rows())
    planned = plan_ingest([tmp_path], None, _context())
    placed = {(f.table, f.day) for f in planned.files}
    assert {("venues", None), ("towers", None), ("merchants", None)} <= placed
    assert {("gps", DAY1.date()), ("gps", DAY2.date())} <= placed
    assert any(table == STAYS for table, _ in placed)
    assert planned.replaced_tables == {"venues", "towers", "merchants"}
    assert planned.replaced_days == {}
    assert planned.report.stored["gps"] == len(gps_rows())
    assert [s.sha256 for s in planned.sources] == [file_sha256(f.path) for f in discover([tmp_path])]


def test_what_the_store_holds_is_told_in_plain_values(tmp_path: Path) -> None:
    write_world(tmp_path)
    gps = write_kind(tmp_path, "gps", gps_rows())
    skipped = plan_ingest([gps], None, _context(ingested={file_sha256(gps)}))
    assert skipped.empty and skipped.report.already_ingested == (str(gps),)
    # Stays stored for the day before the pings: recomputed over the touched days ±1, so replaced.
    day0 = DAY1.date() - dt.timedelta(days=1)
    far = DAY1.date() - dt.timedelta(days=30)
    planned = plan_ingest([tmp_path], None, _context(stored_days={STAYS: {day0, far}}))
    assert planned.replaced_days == {STAYS: {day0}}


def test_a_store_inside_the_walked_directory_is_not_read_as_feeds(tmp_path: Path) -> None:
    write_world(tmp_path)
    inner = tmp_path / "store"
    write_kind(inner / "gps" / "day=2026-03-02", "gps", gps_rows()[:3], "parquet")
    (inner / "store.json").write_text("{}")
    assert [f.kind.name for f in discover([tmp_path], store_marker="store.json")] == ["venues", "towers", "merchants"]
    assert "gps" in [f.kind.name for f in discover([tmp_path])]
