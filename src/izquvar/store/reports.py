"""What a purge did, as plain data for the CLI, tests and callers (an ingest's: :mod:`izquvar.ingest.reports`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class PurgeReport:
    """The outcome of a retention purge: what was removed, per table."""

    cutoff: dt.datetime
    removed_rows: dict[str, int]
    removed_files: int
    rewritten_files: int

    @property
    def total_removed(self) -> int:
        return sum(self.removed_rows.values())
