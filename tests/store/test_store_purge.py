"""Retention: after a purge nothing older than the cutoff remains in any file; reference tables stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from feedkit import DAY1, DAY2, NOW, PHONE_A, PHONE_B, gps_rows, iso, write_csv, write_kind, write_world

from izquvar.errors import InvalidInput
from izquvar.formats import DAY_COLUMNS, STAYS
from izquvar.store import EmbeddedStore

_TS = pa.timestamp("us", tz="UTC")


def _fill(store: EmbeddedStore, feeds: Path) -> None:
    lab = write_csv(
        feeds / "lab.csv",
        ["person", "specimen_date", "result_date", "test", "result"],
        [
            [PHONE_A, "2026-03-02", "2026-03-03", "PCR", "positive"],
            [PHONE_B, "2026-03-04", "2026-03-05", "antigen", "negative"],
        ],
    )
    checkins = write_csv(
        feeds / "checkins.csv",
        ["person", "venue_id", "check_in"],
        [
            [PHONE_A, "v-school", iso(DAY1 + dt.timedelta(hours=8))],
            [PHONE_B, "v-bazaar", iso(DAY2 + dt.timedelta(hours=12))],
            [PHONE_B, "v-gone", iso(DAY1 + dt.timedelta(hours=3))],
        ],
    )
    report = store.ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows()), lab, checkins], now=NOW)
    assert report.reject_count == 1


def _oldest_everywhere(root: Path) -> dict[str, dt.datetime]:
    """The oldest time in every Parquet file under the store, read from the bytes on disk."""
    oldest: dict[str, dt.datetime] = {}
    for path in root.rglob("*.parquet"):
        table_name = path.relative_to(root).parts[0]
        if table_name not in DAY_COLUMNS:
            continue
        column = pq.read_table(path).column(DAY_COLUMNS[table_name])
        value = pc.min(pc.cast(column, _TS)).as_py()
        oldest[table_name] = min(value, oldest.get(table_name, value))
    return oldest


def test_purge_leaves_nothing_older_in_any_file(store: EmbeddedStore, feeds: Path) -> None:
    _fill(store, feeds)
    cutoff = DAY2 + dt.timedelta(hours=0, minutes=30)
    before = {name: store.table(name).num_rows for name in ("gps", "stays", "lab", "checkins", "rejects")}
    report = store.purge(dt.timedelta(days=3), now=cutoff + dt.timedelta(days=3))
    assert report.cutoff == cutoff
    # Dates count as their midnight: a specimen of the cutoff day is older than 00:30 and goes.
    assert all(value >= cutoff for value in _oldest_everywhere(store.root).values())
    gps_kept = sum(1 for r in gps_rows() if r["time"] >= iso(cutoff))
    assert store.table("gps").num_rows == gps_kept
    assert report.removed_rows["gps"] == len(gps_rows()) - gps_kept
    assert store.table("lab")["person"].to_pylist() == [store.pseudonym(PHONE_B)]
    assert store.table("checkins").num_rows == 1
    assert store.table(STAYS).num_rows == 0  # every stay started before the cutoff
    assert store.table("rejects").num_rows == 0  # the reject was of a day-1 check-in
    assert report.removed_rows == {
        name: before[name] - store.table(name).num_rows for name in before if before[name] != store.table(name).num_rows
    }
    # Old day partitions are gone as directories, the boundary day was rewritten.
    assert not list(store.root.glob("*/day=2026-03-02"))
    assert report.rewritten_files >= 1 and report.removed_files >= 4
    assert store.table("venues").num_rows == 3 and store.table("towers").num_rows == 2
    assert store.info()["counts"]["gps"] == gps_kept


def test_purge_is_idempotent_and_boundary_exact(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([write_kind(feeds, "gps", gps_rows())], now=NOW)
    first_gps = DAY1 + dt.timedelta(hours=8)
    nothing = store.purge(dt.timedelta(days=1), now=first_gps + dt.timedelta(days=1))
    assert nothing.total_removed == 0 and nothing.removed_files == 0
    one = store.purge(dt.timedelta(days=1), now=first_gps + dt.timedelta(days=1, microseconds=1))
    assert one.removed_rows.get("gps") == 1
    again = store.purge(dt.timedelta(days=1), now=first_gps + dt.timedelta(days=1, microseconds=1))
    assert again.total_removed == 0


def test_purged_files_are_not_ingested_again(store: EmbeddedStore, feeds: Path) -> None:
    path = write_kind(feeds, "gps", gps_rows())
    store.ingest([path], now=NOW)
    store.purge(dt.timedelta(days=1), now=NOW + dt.timedelta(days=30))
    assert store.table("gps").num_rows == 0
    assert store.ingest([path], now=NOW).already_ingested == (str(path),)
    assert store.table("gps").num_rows == 0


def test_purge_needs_a_positive_period(store: EmbeddedStore) -> None:
    with pytest.raises(InvalidInput):
        store.purge(dt.timedelta(0))


def test_purge_removes_derived_indexes_and_outbreak_runs(store: EmbeddedStore, feeds: Path) -> None:
    _fill(store, feeds)
    store.trace(PHONE_A, onset=DAY1.date())  # builds the tracer's persisted stay index under STORE/index/
    assert any((store.root / "index").rglob("*"))
    (store.root / "outbreak" / "run-1").mkdir(parents=True)
    (store.root / "outbreak" / "run-1" / "contacts.parquet").write_bytes(b"derived")
    store.purge(dt.timedelta(days=3), now=DAY2 + dt.timedelta(days=3))
    assert not (store.root / "index").exists()
    assert not (store.root / "outbreak").exists()
    # The tracer rebuilds what it needs from what retention kept.
    assert store.trace(PHONE_B, onset=DAY2.date()).case.person == store.pseudonym(PHONE_B)
