"""What an ingest did, as plain data for the CLI, tests and callers: planned here, returned by the store."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa


@dataclass(frozen=True)
class SourceReport:
    """What happened to one input file."""

    file: str
    kind: str
    rows: int
    stored: int
    rejected_rows: int
    already_ingested: bool = False


@dataclass(frozen=True)
class IngestReport:
    """The outcome of one ingest batch.

    ``rejects`` holds one record per problem found (a row with two bad fields has two), with the columns of
    the store's ``rejects`` table; ``rejected_rows`` counts rows.
    """

    batch: str | None
    sources: tuple[SourceReport, ...]
    stored: dict[str, int]
    rejects: pa.Table
    derived: dict[str, int] = field(default_factory=dict)

    @property
    def rejected_rows(self) -> int:
        return sum(s.rejected_rows for s in self.sources)

    @property
    def reject_count(self) -> int:
        return self.rejects.num_rows

    @property
    def already_ingested(self) -> tuple[str, ...]:
        return tuple(s.file for s in self.sources if s.already_ingested)

    def describe(self) -> str:
        """A few lines for a person: what was stored, derived, rejected (by reason) and skipped."""
        stored = ", ".join(f"{kind} {n:,}" for kind, n in self.stored.items() if n) or "nothing new"
        lines = [f"batch {self.batch or '(none)'}: stored {stored}"]
        if self.derived:
            lines.append("derived: " + ", ".join(f"{kind} {n:,}" for kind, n in self.derived.items()))
        if self.reject_count:
            reasons = ", ".join(f"{reason} {n:,}" for reason, n in self.rejects_by_reason().items())
            lines.append(f"rejected {self.rejected_rows:,} row(s), {self.reject_count:,} problem(s): {reasons}")
        else:
            lines.append("no rejects")
        if self.already_ingested:
            lines.append(f"already ingested (skipped): {len(self.already_ingested)} file(s)")
        return "\n".join(lines)

    def rejects_by_reason(self) -> dict[str, int]:
        if self.rejects.num_rows == 0:
            return {}
        counts = self.rejects.group_by("reason").aggregate([("reason", "count")])
        pairs = [
            (str(reason), int(count or 0))
            for reason, count in zip(counts["reason"].to_pylist(), counts["reason_count"].to_pylist(), strict=True)
        ]
        return dict(sorted(pairs, key=lambda p: (-p[1], p[0])))
