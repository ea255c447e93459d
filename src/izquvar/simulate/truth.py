"""Ground truth written beside the feeds: what really happened, in raw identifiers, for judging tracing.

- ``truth/stays``: every stay of everyone (homes, venues, guest visits, rides), partitioned by the UTC date of
  its start. For homes and visits ``venue`` is the household identifier of the home. ``lat``/``lon`` (WGS 84)
  are where the person was in the stay's first 5-minute slot (a ride: where it was boarded); see
  :mod:`izquvar.simulate.stay_positions`.
- ``truth/close_contacts``: pairs within 2 m for at least 15 minutes in total on a (local) day, from the
  simulated positions every 5 minutes; ``person_a`` sorts before ``person_b``.
- ``truth/infections.<ext>``: who infected whom, when and where (index cases have no infector).
- ``truth/cases.<ext>``: every infected person: infection time, onset (none if asymptomatic), first positive
  specimen date, first day of isolation.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from izquvar.simulate.sources.common import ArrowArray

_TS = pa.timestamp("us", tz="UTC")


def _schema(fields: list[pa.Field[Any]]) -> pa.Schema:
    return pa.schema(fields)


STAYS = _schema(
    [
        pa.field("person", pa.string(), nullable=False),
        pa.field("venue", pa.string(), nullable=False),
        pa.field("zone", pa.int64(), nullable=False),
        pa.field("start", _TS, nullable=False),
        pa.field("end", _TS, nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        # always written; nullable so that outputs from before stays had positions still read with this schema
        pa.field("lat", pa.float64(), nullable=True),
        pa.field("lon", pa.float64(), nullable=True),
    ]
)
CLOSE_CONTACTS = _schema(
    [
        pa.field("person_a", pa.string(), nullable=False),
        pa.field("person_b", pa.string(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("minutes", pa.int64(), nullable=False),
    ]
)
INFECTIONS = _schema(
    [
        pa.field("infector", pa.string(), nullable=True),
        pa.field("infectee", pa.string(), nullable=False),
        pa.field("time", _TS, nullable=False),
        pa.field("venue", pa.string(), nullable=True),
        pa.field("zone", pa.int64(), nullable=True),
        pa.field("setting", pa.string(), nullable=True),
    ]
)
CASES = _schema(
    [
        pa.field("person", pa.string(), nullable=False),
        pa.field("infection_time", _TS, nullable=False),
        pa.field("onset", _TS, nullable=True),
        pa.field("asymptomatic", pa.bool_(), nullable=False),
        pa.field("specimen_date", pa.date32(), nullable=True),
        pa.field("isolation", pa.date32(), nullable=True),
    ]
)
SCHEMAS = {"stays": STAYS, "close_contacts": CLOSE_CONTACTS, "infections": INFECTIONS, "cases": CASES}


def build(name: str, columns: dict[str, ArrowArray]) -> pa.Table:
    """A truth table with its exact schema; a nullable column not given is all null (a required one raises)."""
    schema = SCHEMAS[name]
    rows = len(next(iter(columns.values()))) if columns else 0
    arrays = [
        columns[f.name].cast(f.type) if f.name in columns or not f.nullable else pa.nulls(rows, f.type) for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
