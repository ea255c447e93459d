"""Where things live in an embedded store, and the schema of every stored table.

    STORE/
      store.json                         format version, pseudonym-key fingerprint, retention
      manifest.json                      the only list of live files: readers see nothing else
      .lock                              held by a writer (ingest, purge) and by orphan clean-up
      .staging/<batch>/...               a batch being written; removed at the next open if abandoned
      <event kind>/day=YYYY-MM-DD/<batch>.parquet     Hive-style partitions (Spark, DuckDB read them as-is)
      <reference kind>/<batch>.parquet   one compacted file per reference kind
      stays/day=YYYY-MM-DD/<batch>.parquet            derived stays, by start day
      rejects/day=YYYY-MM-DD/<batch>.parquet          rejected rows, by the row's day (or ingest day)

The ``day`` is not a column inside the files: like Spark's partition discovery, it comes from the path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa

from izquvar import formats
from izquvar.formats import KINDS, Kind

STORE_FORMAT_VERSION = 1
STORE_FILE = "store.json"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".lock"
STAGING_DIR = ".staging"
#: Directories of results derived from the stored rows (the tracer's persisted indexes, trace-all runs).
#: They are rebuilt on demand, so retention deletes them whole rather than filtering them.
INDEX_DIR = "index"
DERIVED_DIRS = (INDEX_DIR, "outbreak")

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
    kind: Kind = formats.KINDS[table]
    return pa.schema([*kind.arrow_schema(), *DERIVED_FIELDS.get(table, ())])


def is_partitioned(table: str) -> bool:
    return table in DAY_COLUMNS


def partition_dir(table: str, day: dt.date) -> str:
    """Relative directory of one day of a partitioned table (Hive style)."""
    return f"{table}/day={day.isoformat()}"


def day_of_path(relpath: str) -> dt.date | None:
    """The partition day encoded in a stored file's relative path, if any."""
    for part in Path(relpath).parts:
        if part.startswith("day="):
            return dt.date.fromisoformat(part[4:])
    return None


def table_of_path(relpath: str) -> str:
    return Path(relpath).parts[0]
