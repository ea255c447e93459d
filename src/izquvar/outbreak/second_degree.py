"""Second-degree contacts: whom the close contacts of cases met while they might have been incubating.

A close contact exposed on day *d* may be infectious from about day *d + 2* and is told to quarantine once the
case is confirmed. So each close contact (who is not a case) is traced over ``[local midnight of the first
exposure day, quarantine day)``, where the quarantine day is the case's isolation date or, when unknown, the
day after the case's onset or specimen date (the day its result reaches the tracers). The tracer's window is
"``days_before_onset`` days before onset to isolation" (2 for COVID-19; the tracer's disease rules), so the
contact is traced with ``onset = first exposure day + days_before_onset``.

A person who is a close contact of several cases is traced once, from their earliest exposure. Only the classes
in ``classes`` (default: close) are kept among the second-degree contacts, and cases are left out: they are
traced in their own right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from izquvar.outbreak._arrow import schema, values, where
from izquvar.outbreak.cases import ConfirmedCase
from izquvar.outbreak.protocol import CaseTracer
from izquvar.outbreak.tracing import progress_bar, trace_many

SECOND_DEGREE_SCHEMA = schema(
    pa.field("case", pa.string(), nullable=False),
    pa.field("contact", pa.string(), nullable=False),
    pa.field("second", pa.string(), nullable=False),
    pa.field("klass", pa.string(), nullable=False),
    pa.field("risk", pa.float64(), nullable=False),
    pa.field("minutes", pa.float64(), nullable=False),
    pa.field("first_seen", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
)


def second_degree(
    tracer: CaseTracer,
    cases: pa.Table,
    contacts: pa.Table,
    classes: Collection[str] = ("close",),
    progress: bool = False,
    workers: int = 1,
) -> pa.Table:
    """Second-degree contacts reached through each first-degree close contact (traced in ``workers`` processes,
    like the cases; the table does not depend on their number)."""
    known_cases = set(values(cases, "person"))
    profile = tracer.profile
    exposed, index_case = exposures(cases, contacts, profile.utc_offset, known_cases, profile.days_before_onset)
    with progress_bar(progress, len(exposed), "tracing close contacts") as done:
        tables, _missing = trace_many(tracer, exposed, "en", workers, done)
    found = tables.table("contacts")
    keep = pc.and_(
        pc.is_in(found.column("klass"), value_set=pa.array(sorted(classes), pa.string())),
        pc.and_(
            pc.invert(pc.is_in(found.column("contact"), value_set=pa.array(sorted(known_cases), pa.string()))),
            pc.not_equal(found.column("contact"), found.column("case")),
        ),
    )
    found = found.filter(keep)
    traced = values(found, "case")
    columns: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {
        "case": pa.array([index_case[person] for person in traced], pa.string()),
        "contact": found.column("case"),
        "second": found.column("contact"),
        **{name: found.column(name) for name in ("klass", "risk", "minutes", "first_seen", "sources")},
    }
    return pa.Table.from_pydict(columns, schema=SECOND_DEGREE_SCHEMA)


def exposures(
    cases: pa.Table, contacts: pa.Table, utc_offset: dt.timedelta, known_cases: set[str], days_before_onset: int
) -> tuple[list[ConfirmedCase], dict[str, str]]:
    """The close contacts to trace (by pseudonym), each once from its earliest exposure, as cases whose window
    (opening ``days_before_onset`` days before their onset) is ``[local midnight of that day, quarantine day)``;
    and the case each was exposed to."""
    quarantine: dict[str, dt.date] = {
        p: (iso or onset + dt.timedelta(days=1))
        for p, onset, iso in zip(
            values(cases, "person"), values(cases, "onset"), values(cases, "isolation"), strict=True
        )
    }
    close = where(contacts, "klass", "close")
    earliest: dict[str, tuple[dt.datetime, str]] = {}
    for case, person, seen in zip(
        values(close, "case"), values(close, "contact"), values(close, "first_seen"), strict=True
    ):
        if person in known_cases:
            continue
        if person not in earliest or seen < earliest[person][0]:
            earliest[person] = (seen, case)
    exposed: list[ConfirmedCase] = []
    index_case: dict[str, str] = {}
    for person in sorted(earliest):
        seen, case = earliest[person]
        exposure_day = (seen + utc_offset).date()
        isolation = quarantine[case]
        if isolation <= exposure_day:
            continue
        exposed.append(ConfirmedCase(exposure_day + dt.timedelta(days=days_before_onset), person, isolation))
        index_case[person] = case
    return exposed, index_case
