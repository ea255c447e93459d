"""Stays on Spark are the embedded ingest's stays, row for row and value for value, venue and areas included.

Why it holds: the sliding definition runs per person (docs/stays.md), so ``detect_stays`` on each person's group
gives what it gives on the whole table, and placement reads only the stay and the reference tables.
"""

from __future__ import annotations

from typing import Any

import pyarrow.compute as pc

from izquvar.spark.layout import arrow_of, read_table
from izquvar.spark.pipeline import stays_of_store
from sparkkit import City

KEY = [("person", "ascending"), ("start", "ascending")]


def test_spark_stays_are_the_stored_stays_row_for_row(spark: Any, spark_city: City) -> None:
    stored = spark_city.store.table("stays").sort_by(KEY)
    found = arrow_of(stays_of_store(spark, spark_city.store, partitions=3)).sort_by(KEY)
    assert found.column_names == stored.column_names
    assert stored.num_rows > 500 and found.num_rows == stored.num_rows
    found = found.cast(stored.schema)
    for name in stored.column_names:
        assert found[name].equals(stored[name]), f"column {name} differs"
    # the columns compared are not trivially empty: stays meet venues and lie in mahallas
    assert pc.count(stored["venue_id"]).as_py() > 100
    assert pc.count(stored["mahalla_id"]).as_py() > 100
    assert pc.count(stored["accuracy_m"]).as_py() == stored.num_rows


def test_stays_grouped_by_hash_buckets_of_persons_are_the_same(spark: Any, spark_city: City) -> None:
    stored = spark_city.store.table("stays").sort_by(KEY)
    found = arrow_of(stays_of_store(spark, spark_city.store, buckets=3)).sort_by(KEY).cast(stored.schema)
    assert found.equals(stored)


def test_the_store_is_read_through_its_manifest(spark: Any, spark_city: City) -> None:
    """An unlisted file in a partition (what a killed ingest leaves) is not read; an empty table keeps its columns."""
    store = spark_city.store
    listed = store.files("gps")
    stray = listed[0].parent / "killed-batch.parquet"
    stray.write_bytes(listed[0].read_bytes())
    try:
        assert read_table(spark, store, "gps").count() == store.table("gps").num_rows
    finally:
        stray.unlink()
    assert store.files("areas") == []  # the city ships no areas of its own
    areas = read_table(spark, store, "areas")
    assert areas.count() == 0 and areas.columns == store.table("areas").column_names
