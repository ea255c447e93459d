"""Bad rows found while reading and validating one file: collected column-wise, never row by row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


class Reason:
    """Why a row was rejected: the ``reason`` column of the ``rejects`` table."""

    MALFORMED_LINE = "malformed_line"
    MISSING = "missing"
    UNPARSEABLE = "unparseable"
    NO_TIMEZONE = "no_timezone"
    NOT_FINITE = "not_finite"
    OUT_OF_RANGE = "out_of_range"
    NOT_A_CHOICE = "not_a_choice"
    NOT_A_PHONE_NUMBER = "not_a_phone_number"
    TOO_EARLY = "too_early"
    IN_FUTURE = "in_future"
    INCONSISTENT = "inconsistent"
    BAD_GEOMETRY = "bad_geometry"
    UNKNOWN_REFERENCE = "unknown_reference"
    DUPLICATE = "duplicate"
    DUPLICATE_STORED = "duplicate_stored"

    ALL = (
        MALFORMED_LINE,
        MISSING,
        UNPARSEABLE,
        NO_TIMEZONE,
        NOT_FINITE,
        OUT_OF_RANGE,
        NOT_A_CHOICE,
        NOT_A_PHONE_NUMBER,
        TOO_EARLY,
        IN_FUTURE,
        INCONSISTENT,
        BAD_GEOMETRY,
        UNKNOWN_REFERENCE,
        DUPLICATE,
        DUPLICATE_STORED,
    )


def as_text(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> pa.Array[Any]:
    """Values as text for the ``value`` column of rejects."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_string(values.type):
        return values
    if pa.types.is_timestamp(values.type):
        return pc.strftime(values, format="%Y-%m-%dT%H:%M:%SZ")
    return pc.cast(values, pa.string())


@dataclass
class ProblemSet:
    """Problems of one table: positions (0-based, into the table) with field, reason and value."""

    positions: list[np.ndarray] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    values: list[pa.Array[Any]] = field(default_factory=list)

    def add(
        self,
        mask: np.ndarray | pa.Array[Any] | pa.ChunkedArray[Any],
        field_name: str,
        reason: str,
        detail: str,
        values: pa.Array[Any] | pa.ChunkedArray[Any] | None,
    ) -> None:
        """Record a problem for every row where ``mask`` is true (nulls in the mask count as false)."""
        if not isinstance(mask, np.ndarray):
            arrow_mask: Any = mask
            filled: Any = pc.fill_null(arrow_mask, False)
            mask = np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)
        positions = np.flatnonzero(mask)
        if positions.size == 0:
            return
        self.add_positions(positions, field_name, reason, detail, values)

    def add_positions(
        self,
        positions: np.ndarray,
        field_name: str,
        reason: str,
        detail: str,
        values: pa.Array[Any] | pa.ChunkedArray[Any] | None,
    ) -> None:
        if positions.size == 0:
            return
        text: pa.Array[Any] = (
            pa.nulls(positions.size, pa.string()) if values is None else as_text(values.take(pa.array(positions)))
        )
        self.positions.append(positions.astype(np.int64))
        self.fields.append(field_name)
        self.reasons.append(reason)
        self.details.append(detail)
        self.values.append(text)

    def flagged(self, field_name: str, num_rows: int) -> np.ndarray:
        """True for rows that already have a problem in ``field_name`` (so it is not reported twice)."""
        flagged = np.zeros(num_rows, dtype=bool)
        for positions, name in zip(self.positions, self.fields, strict=True):
            if name == field_name:
                flagged[positions] = True
        return flagged

    def bad_mask(self, num_rows: int) -> np.ndarray:
        """True for every row with at least one problem."""
        bad = np.zeros(num_rows, dtype=bool)
        for positions in self.positions:
            bad[positions] = True
        return bad

    def __len__(self) -> int:
        return sum(p.size for p in self.positions)
