"""Retention: which files a purge drops whole, which boundary-day files it rewrites, and what it removes.

Every day-partitioned table (events, derived stays, rejects) is purged by the column that decides its
day, so whole old partitions are dropped without reading them and only the partition holding the cutoff
is read and rewritten. Dates (lab specimen dates) count as midnight UTC of that day. Reference tables
(towers, venues, people...) describe places and people, not movements, and stay.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import DAY_COLUMNS
from izquvar.store.manifest import FileEntry, Manifest
from izquvar.store.reports import PurgeReport

_TS = pa.timestamp("us", tz="UTC")


@dataclass
class PurgePlan:
    """Files to drop, boundary files to replace by their kept rows, and the resulting report."""

    report: PurgeReport
    removed: list[FileEntry] = field(default_factory=list)
    rewritten: list[tuple[FileEntry, pa.Table]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.removed or self.rewritten)


def plan_purge(manifest: Manifest, cutoff: dt.datetime, read: Callable[[FileEntry], pa.Table]) -> PurgePlan:
    """What to change so that no row older than ``cutoff`` remains in any day-partitioned table."""
    removed_rows: dict[str, int] = dict.fromkeys(DAY_COLUMNS, 0)
    removed: list[FileEntry] = []
    rewritten: list[tuple[FileEntry, pa.Table]] = []
    boundary = cutoff.date()
    for entry in manifest.files:
        if entry.table not in DAY_COLUMNS or entry.day is None:
            continue
        day = dt.date.fromisoformat(entry.day)
        if day > boundary:
            continue
        if day < boundary:
            removed.append(entry)
            removed_rows[entry.table] += entry.rows
            continue
        table = read(entry)
        times: Any = pc.cast(table.column(DAY_COLUMNS[entry.table]), _TS)
        keep: Any = pc.fill_null(pc.greater_equal(times, pa.scalar(cutoff, _TS)), False)
        kept = table.filter(keep)
        if kept.num_rows == table.num_rows:
            continue
        removed_rows[entry.table] += table.num_rows - kept.num_rows
        if kept.num_rows == 0:
            removed.append(entry)
        else:
            rewritten.append((entry, kept))
    report = PurgeReport(
        cutoff=cutoff,
        removed_rows={t: n for t, n in removed_rows.items() if n},
        removed_files=len(removed),
        rewritten_files=len(rewritten),
    )
    return PurgePlan(report, removed, rewritten)
