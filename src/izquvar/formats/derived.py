"""The tables ingest derives beside the feeds (``stays``, ``rejects``, the area columns of placed records), and
with the feeds every stored table's schema and the column that decides its day.

Why here, at the bottom: ingest writes these shapes, the store keeps them and the tracer reads them; each of
them imports this module rather than another's.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from izquvar.formats.feeds import KINDS, Kind

STAYS = "stays"
REJECTS = "rejects"

#: Area columns added to every record placed in the hierarchy.
AREA_FIELDS: tuple[pa.Field[Any], ...] = (
    pa.field("region_id", pa.string()),
    pa.field("district_id", pa.string()),
    pa.field("mahalla_id", pa.string()),
)

_TS = pa.timestamp("us", tz="UTC")

#: Columns added at ingest to the kinds that are placed in the area hierarchy.
DERIVED_FIELDS: dict[str, tuple[pa.Field[Any], ...]] = {
    "cell": AREA_FIELDS,
    "card": (pa.field("venue_id", pa.string()), *AREA_FIELDS),
    "checkins": AREA_FIELDS,
}

_STAYS_FIELDS: list[pa.Field[Any]] = [
    pa.field("person", pa.string(), nullable=False),
    pa.field("start", _TS, nullable=False),
    pa.field("end", _TS, nullable=False),
    pa.field("lat", pa.float64(), nullable=False),
    pa.field("lon", pa.float64(), nullable=False),
    pa.field("n_pings", pa.int64(), nullable=False),
    pa.field("accuracy_m", pa.float64()),
    pa.field("venue_id", pa.string()),
    *AREA_FIELDS,
]
STAYS_SCHEMA = pa.schema(_STAYS_FIELDS)

_REJECTS_FIELDS: list[pa.Field[Any]] = [
    pa.field("batch", pa.string(), nullable=False),
    pa.field("file", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("row", pa.int64(), nullable=False),
    pa.field("line", pa.int64()),
    pa.field("field", pa.string(), nullable=False),
    pa.field("value", pa.string()),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("detail", pa.string(), nullable=False),
    #: When the rejected row happened (its own time) or, when unreadable, when it was ingested:
    #: what retention applies to.
    pa.field("time", _TS, nullable=False),
    pa.field("ingested_at", _TS, nullable=False),
]
REJECTS_SCHEMA = pa.schema(_REJECTS_FIELDS)

#: Every table a store holds: the feed kinds plus the derived ``stays`` and ``rejects``.
ALL_TABLES: tuple[str, ...] = (*KINDS, STAYS, REJECTS)

#: Tables partitioned by day (what retention purges), with the column that decides the day.
DAY_COLUMNS: dict[str, str] = {
    **{k.name: k.time_column for k in KINDS.values() if k.time_column is not None},
    STAYS: "start",
    REJECTS: "time",
}


def stored_schema(table: str) -> pa.Schema:
    """The schema of a stored table: the feed's columns plus what ingest derives."""
    if table == STAYS:
        return STAYS_SCHEMA
    if table == REJECTS:
        return REJECTS_SCHEMA
    kind: Kind = KINDS[table]
    return pa.schema([*kind.arrow_schema(), *DERIVED_FIELDS.get(table, ())])


def is_partitioned(table: str) -> bool:
    return table in DAY_COLUMNS
