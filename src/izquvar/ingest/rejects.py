"""The batch's rejects: one record per problem found (a row with two bad fields has two), in the store's
``rejects`` schema, stamped with the batch and dated by the row's own time where it has one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import REJECTS_SCHEMA, Kind
from izquvar.ingest.duplicates import key_strings
from izquvar.ingest.problems import ProblemSet, Reason
from izquvar.ingest.readers import RawFeed

_TS = pa.timestamp("us", tz="UTC")


class Rejects:
    """Rejects collected over a batch, in the order they were found."""

    def __init__(self, batch: str, at: dt.datetime) -> None:
        self.batch = batch
        self.at = at
        self._parts: list[pa.Table] = []

    def table(self) -> pa.Table:
        return pa.concat_tables(self._parts) if self._parts else REJECTS_SCHEMA.empty_table()

    def add_problems(self, raw: RawFeed, kind: Kind, typed: pa.Table, problems: ProblemSet) -> None:
        """The problems the row checks found in one file, and its malformed lines."""
        parts = []
        file_name = str(raw.path)
        times = self._event_times(kind, typed)
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
                self._records(
                    file_name,
                    kind.name,
                    raw.rows[positions],
                    lines,
                    field_name,
                    values,
                    reason,
                    detail,
                    times.take(pa.array(positions)),
                )
            )
        for bad in raw.malformed:
            # The text of a malformed line is not stored: it may hold a raw phone number.
            parts.append(
                self._records(
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
        self._parts.append(pa.concat_tables(parts) if parts else REJECTS_SCHEMA.empty_table())

    def add_duplicates(
        self,
        table: pa.Table,
        kind: Kind,
        file_names: Sequence[str],
        files: np.ndarray,
        rows: np.ndarray,
        lines: np.ndarray,
        mask: np.ndarray,
        reason: str,
        detail: str,
    ) -> None:
        """The rows of ``table`` where ``mask`` is true, rejected for their key, grouped by the file they came from
        (``files``: positions in ``file_names``; ``rows`` and ``lines``: where in it, ``-1`` for no line)."""
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        duplicates = table.take(positions)
        values = key_strings(duplicates, kind)
        times = self._event_times(kind, duplicates)
        for index in np.unique(files[positions]):
            mine = files[positions] == index
            mine_arrow = pa.array(mine)
            self._parts.append(
                self._records(
                    file_names[int(index)],
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

    def _event_times(self, kind: Kind, typed: pa.Table) -> pa.Array[Any]:
        """Each row's own time where readable, else the ingest time: what retention applies to."""
        fallback = pa.scalar(self.at, _TS)
        if kind.time_column is None:
            return pa.array(np.full(typed.num_rows, fallback.value, dtype="datetime64[us]"), _TS)
        times: Any = pc.cast(typed.column(kind.time_column).combine_chunks(), _TS)
        return cast("pa.Array[Any]", pc.fill_null(times, fallback))

    def _records(
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


def rejected_rows_per_file(rejects: pa.Table) -> dict[str, int]:
    """Distinct rejected rows of each file (a row with two problems counts once)."""
    if rejects.num_rows == 0:
        return {}
    distinct = rejects.select(["file", "row"]).group_by(["file", "row"]).aggregate([])
    counts = distinct.group_by("file").aggregate([("row", "count")])
    return {
        str(name): int(count or 0)
        for name, count in zip(counts["file"].to_pylist(), counts["row_count"].to_pylist(), strict=True)
    }
