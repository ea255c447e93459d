"""Second-degree contacts: whom the close contacts of cases met while they might have been incubating.

A close contact exposed on day *d* may be infectious from about day *d + 2* and is told to quarantine once the
case is confirmed. So each close contact (who is not a case) is traced over ``[local midnight of the first
exposure day, quarantine day)``, where the quarantine day is the case's isolation date or, when unknown, the
day after the case's onset or specimen date (the day its result reaches the tracers). The tracer's window is
"2 days before onset to isolation", so the contact is traced with ``onset = first exposure day + 2 days``.

A person who is a close contact of several cases is traced once, from their earliest exposure. Only the classes
in ``classes`` (default: close) are kept among the second-degree contacts, and cases are left out: they are
traced in their own right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

import pyarrow as pa

from izquvar.errors import NotFound
from izquvar.localtime import UZBEKISTAN_UTC_OFFSET
from izquvar.outbreak._arrow import schema, values, where
from izquvar.outbreak.protocol import CaseTracer

DAYS_BEFORE_ONSET = 2
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
    utc_offset: dt.timedelta = UZBEKISTAN_UTC_OFFSET,
    advance: Callable[[], None] | None = None,
) -> pa.Table:
    """Second-degree contacts reached through each first-degree close contact."""
    known_cases = set(values(cases, "person"))
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
    columns: dict[str, list[object]] = {f.name: [] for f in SECOND_DEGREE_SCHEMA}
    for person in sorted(earliest):
        seen, case = earliest[person]
        exposure_day = (seen + utc_offset).date()
        isolation = quarantine[case]
        if advance is not None:
            advance()
        if isolation <= exposure_day:
            continue
        try:
            result = tracer.trace(person, exposure_day + dt.timedelta(days=DAYS_BEFORE_ONSET), isolation)
        except NotFound:
            continue
        for found in result.contacts:
            if found.klass not in classes or found.person in known_cases or found.person == person:
                continue
            columns["case"].append(case)
            columns["contact"].append(person)
            columns["second"].append(found.person)
            columns["klass"].append(found.klass)
            columns["risk"].append(found.risk)
            columns["minutes"].append(found.minutes)
            columns["first_seen"].append(found.first_seen.astimezone(dt.UTC))
            columns["sources"].append(list(found.sources))
    return pa.Table.from_pydict(columns, schema=SECOND_DEGREE_SCHEMA)
