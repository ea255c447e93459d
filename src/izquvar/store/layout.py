"""Where things live in an embedded store: directories, file names, the manifest (schemas: :mod:`izquvar.formats`).

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

STORE_FORMAT_VERSION = 1
STORE_FILE = "store.json"
MANIFEST_FILE = "manifest.json"
LOCK_FILE = ".lock"
STAGING_DIR = ".staging"
#: Directories of results derived from the stored rows (the tracer's persisted indexes, trace-all runs).
#: They are rebuilt on demand, so retention deletes them whole rather than filtering them.
INDEX_DIR = "index"
DERIVED_DIRS = (INDEX_DIR, "outbreak")


def partition_dir(table: str, day: dt.date) -> str:
    """Relative directory of one day of a partitioned table (Hive style)."""
    return f"{table}/day={day.isoformat()}"


def batch_file(table: str, day: dt.date | None, batch: str) -> str:
    """Relative path of a batch's file of a table: in its day partition, or (no day) the table's own file."""
    return f"{partition_dir(table, day)}/{batch}.parquet" if day else f"{table}/{batch}.parquet"
