"""The Spark engine's steps over one embedded store: its pings to placed stays, its stays to contacts.

Each step reads the Parquet files the store's manifest lists and returns a DataFrame; nothing is collected to
the driver except the small reference tables (venues, areas) placement broadcasts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from izquvar.formats import STAYS
from izquvar.spark.contacts import CaseWindow, contacts, encounters
from izquvar.spark.layout import read_table
from izquvar.spark.placement import place_stays
from izquvar.spark.stays import PING_COLUMNS, spark_stays
from izquvar.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def stays_of_store(
    spark: SparkSession, store: EmbeddedStore, partitions: int | None = None, buckets: int | None = None
) -> DataFrame:
    """The store's GPS pings as placed stays, in the stored stays' columns (what its ingest stored in
    ``stays/``). ``partitions`` repartitions the pings by person first (default: as Spark reads them);
    ``buckets`` groups persons into that many hash buckets (:func:`izquvar.spark.stays.spark_stays`)."""
    pings = read_table(spark, store, "gps", list(PING_COLUMNS))
    if partitions is not None:
        pings = pings.repartition(partitions, "person")
    detected = spark_stays(pings, buckets=buckets)
    return place_stays(spark, detected, store.table("venues"), store.table("areas"))


def contacts_of_store(
    spark: SparkSession,
    store: EmbeddedStore,
    cases: Sequence[CaseWindow],
    distance_m: float,
    min_minutes: float,
    stays: DataFrame | None = None,
) -> tuple[DataFrame, DataFrame]:
    """The cases' GPS co-location encounters and contacts over the store's stays (or ``stays``, e.g. those
    :func:`stays_of_store` gives)."""
    source = stays if stays is not None else read_table(spark, store, STAYS)
    found = encounters(spark, source, cases, distance_m, min_minutes)
    return found, contacts(found)


def write_parquet(frame: DataFrame, out: Path, name: str) -> Path:
    """``frame`` written as the Parquet dataset ``out/name/`` (replaced if present): Spark's part files."""
    target = Path(out) / name
    frame.write.mode("overwrite").parquet(str(target))
    return target
