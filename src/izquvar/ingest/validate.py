"""Row checks on typed feed rows: required fields, ranges, choices, plausible times, cross-field sense.

Every check is one vectorised expression over a column and adds a reject for each row it fails; a row can
fail several checks and is then reported once per problem. References and duplicates need the whole
batch and the store, so :mod:`izquvar.ingest.pipeline` checks them after this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import Column, Kind
from izquvar.ingest.problems import ProblemSet, Reason

#: Earliest plausible time of any record: izquvar's feeds (smartphones, QR check-ins) do not predate it.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TimeWindow:
    """Plausible times: not before :data:`EARLIEST`, not after now plus the allowed clock skew."""

    now: dt.datetime
    skew: dt.timedelta

    @property
    def latest(self) -> dt.datetime:
        return self.now + self.skew


def validate_rows(table: pa.Table, kind: Kind, window: TimeWindow, problems: ProblemSet) -> None:
    """Add a problem for every value that breaks the kind's column rules."""
    for column in kind.columns:
        values = table.column(column.name).combine_chunks()
        if column.required:
            unreadable = problems.flagged(column.name, table.num_rows)
            missing = np.asarray(pc.is_null(values).to_numpy(zero_copy_only=False), dtype=bool) & ~unreadable
            problems.add(missing, column.name, Reason.MISSING, "required value is empty", None)
        _check_column(column, values, window, problems)
    _check_consistency(table, kind, problems)


def _check_column(column: Column, values: pa.Array[Any], window: TimeWindow, problems: ProblemSet) -> None:
    if column.type == "float":
        problems.add(pc.invert(pc.is_finite(values)), column.name, Reason.NOT_FINITE, "not a finite number", values)
        finite = pc.is_finite(values)
        _check_range(column, values, finite, problems)
    elif column.type == "int":
        _check_range(column, values, pc.is_valid(values), problems)
    elif column.type == "timestamp":
        earliest = pa.scalar(EARLIEST, pa.timestamp("us", tz="UTC"))
        latest = pa.scalar(window.latest, pa.timestamp("us", tz="UTC"))
        problems.add(
            pc.less(values, earliest),
            column.name,
            Reason.TOO_EARLY,
            f"before {EARLIEST.date().isoformat()}",
            values,
        )
        problems.add(
            pc.greater(values, latest),
            column.name,
            Reason.IN_FUTURE,
            f"after now ({window.now.isoformat()}) plus the allowed clock skew",
            values,
        )
    elif column.type == "date":
        problems.add(
            pc.less(values, pa.scalar(EARLIEST.date(), pa.date32())),
            column.name,
            Reason.TOO_EARLY,
            f"before {EARLIEST.date().isoformat()}",
            values,
        )
        problems.add(
            pc.greater(values, pa.scalar(window.latest.date(), pa.date32())),
            column.name,
            Reason.IN_FUTURE,
            "after today",
            values,
        )
    if column.choices:
        problems.add(
            pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, pa.array(column.choices)))),
            column.name,
            Reason.NOT_A_CHOICE,
            f"not one of {', '.join(column.choices)}",
            values,
        )


def _check_range(column: Column, values: pa.Array[Any], checkable: pa.Array[Any], problems: ProblemSet) -> None:
    bounds = []
    if column.minimum is not None:
        bounds.append(pc.less(values, pa.scalar(column.minimum).cast(values.type)))
    if column.maximum is not None:
        bounds.append(pc.greater(values, pa.scalar(column.maximum).cast(values.type)))
    if not bounds:
        return
    outside = bounds[0] if len(bounds) == 1 else pc.or_(bounds[0], bounds[1])
    unit = f" {column.unit}" if column.unit else ""
    problems.add(
        pc.and_(checkable, outside),
        column.name,
        Reason.OUT_OF_RANGE,
        f"outside [{column.minimum}, {column.maximum}]{unit}",
        values,
    )


def _check_consistency(table: pa.Table, kind: Kind, problems: ProblemSet) -> None:
    """Checks that involve two columns of the same row."""
    if kind.name == "checkins":
        problems.add(
            pc.less(table["check_out"], table["check_in"]),
            "check_out",
            Reason.INCONSISTENT,
            "check-out before check-in",
            table["check_out"],
        )
    elif kind.name == "lab":
        problems.add(
            pc.less(table["result_date"], table["specimen_date"]),
            "result_date",
            Reason.INCONSISTENT,
            "result before the specimen was taken",
            table["result_date"],
        )
    elif kind.name == "ble":
        problems.add(
            pc.equal(table["person_a"], table["person_b"]),
            "person_b",
            Reason.INCONSISTENT,
            "a phone cannot meet itself",
            None,
        )
    elif kind.name == "interviews":
        _check_interviews(table, problems)
    elif kind.name == "areas":
        _check_geometry(table, problems)


def _check_interviews(table: pa.Table, problems: ProblemSet) -> None:
    """A named person must be named somehow, met on days that make sense, and not be the case."""
    named = pc.or_(
        pc.or_(pc.is_valid(table["contact_person"]), pc.is_valid(table["contact_phone"])),
        pc.is_valid(table["contact_name"]),
    )
    problems.add(
        pc.invert(named),
        "contact_person",
        Reason.MISSING,
        "the named person has no identifier, phone or name",
        None,
    )
    problems.add(
        pc.less(table["last_met"], table["first_met"]),
        "last_met",
        Reason.INCONSISTENT,
        "last day met before the first",
        table["last_met"],
    )
    problems.add(
        pc.greater(table["last_met"], table["interview_date"]),
        "last_met",
        Reason.INCONSISTENT,
        "met after the interview",
        table["last_met"],
    )
    problems.add(
        pc.equal(table["contact_person"], table["case_person"]),
        "contact_person",
        Reason.INCONSISTENT,
        "a case cannot name themselves",
        None,
    )


def _check_geometry(table: pa.Table, problems: ProblemSet) -> None:
    import shapely

    wkt = table["geometry_wkt"].combine_chunks()
    text = np.asarray(wkt.to_numpy(zero_copy_only=False), dtype=object)
    geometries = shapely.from_wkt(text, on_invalid="ignore")
    kinds = shapely.get_type_id(geometries)
    polygonal = np.isin(kinds, (3, 6))  # Polygon, MultiPolygon
    present = np.asarray(pc.is_valid(wkt).to_numpy(zero_copy_only=False), dtype=bool)
    problems.add(present & ~polygonal, "geometry_wkt", Reason.BAD_GEOMETRY, "not a WKT polygon or multipolygon", None)
