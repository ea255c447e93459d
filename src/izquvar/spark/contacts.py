"""GPS co-location on Spark: who was near each case's stays, for how long, as one distributed join.

The semantics are the embedded tracer's (``trace/colocation.py``, docs/tracing-engine.md), in the stay index's
integers so that the answers are identical, not merely close: coordinates are whole decimetres in the national
projection, times whole seconds since the index epoch. An *encounter* is a pair (case stay clipped to the
case's window, another person's stay) at most ``distance_m`` apart with a positive time overlap; a *contact* is
a person whose encounters' overlaps cover at least ``min_minutes`` (their union: a second counts once).

How it scales (never a cross join): every stay is keyed by (grid cell, day) with cells at least the radius
wide (:data:`MIN_CELL_DM`), a stay spanning midnight once per day; each case stay probes its 3 x 3 neighbour
cells on each of its days, an equi-join that Spark shuffles by key. Exact distance and overlap then filter the
candidates, and a pair is kept only on the day its overlap starts, so it comes once. This is the DuckDB
engine's plan (``trace/engines/duckdb.py``), partitioned by day and cell.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from izquvar.errors import InvalidInput
from izquvar.geo.distance import to_metres
from izquvar.trace.colocation import check_min_minutes
from izquvar.trace.index import EPOCH_US

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: The smallest grid cell (dm), as the DuckDB engine's: finer cells only multiply the probe's rows.
MIN_CELL_DM = 100
DAY_S = 86_400
EPOCH_S = EPOCH_US // 1_000_000
#: Stays in the index's integers (person, start and end seconds since the epoch, decimetres).
INDEXED_SCHEMA = "person string, s long, e long, x long, y long"
#: One row per encounter, in the canonical order of :func:`encounters`.
ENCOUNTER_COLUMNS = ("case_id", "case_person", "contact", "case_stay_s", "contact_stay_s", "ov_s", "ov_e", "d2")


@dataclass(frozen=True)
class CaseWindow:
    """A case to look for contacts of: its pseudonym and infectious window ``[start, end)`` (UTC)."""

    person: str
    start: datetime
    end: datetime


def indexed_stays(stays: DataFrame) -> DataFrame:
    """Stays (``person, start, end, lat, lon``) in the stay index's integers, partition by partition: seconds
    since the epoch (floored) and projected decimetres (rounded), exactly as ``StayIndex.build`` makes them."""
    return stays.select("person", "start", "end", "lat", "lon").mapInPandas(_to_index_units, schema=INDEXED_SCHEMA)


def _to_index_units(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for stays in batches:
        x_m, y_m = to_metres(stays["lat"].to_numpy(np.float64), stays["lon"].to_numpy(np.float64))
        yield pd.DataFrame(
            {
                "person": stays["person"].astype(object),
                "s": _index_seconds(stays["start"]),
                "e": _index_seconds(stays["end"]),
                "x": np.rint(x_m * 10.0).astype(np.int64),
                "y": np.rint(y_m * 10.0).astype(np.int64),
            }
        )


def _index_seconds(times: pd.Series) -> np.ndarray:
    """Whole seconds since the index epoch, floored (pandas UDFs see zone-less UTC times)."""
    values = pd.to_datetime(times)
    if values.dt.tz is not None:
        values = values.dt.tz_convert("UTC").dt.tz_localize(None)
    micros = values.to_numpy().astype("datetime64[us]").astype(np.int64)
    return np.floor_divide(micros - EPOCH_US, 1_000_000)


def case_frame(spark: SparkSession, cases: Sequence[CaseWindow]) -> DataFrame:
    """The cases as a small DataFrame ``case_id, case_person, w0, w1`` (window in index seconds)."""
    rows = []
    for case_id, case in enumerate(cases):
        if case.start.tzinfo is None or case.end.tzinfo is None:
            raise InvalidInput(f"case {case.person}: the window must be time-zone aware (UTC)")
        w0 = math.floor(case.start.astimezone(UTC).timestamp()) - EPOCH_S
        w1 = math.floor(case.end.astimezone(UTC).timestamp()) - EPOCH_S
        rows.append((case_id, case.person, w0, w1))
    return spark.createDataFrame(rows, "case_id long, case_person string, w0 long, w1 long")


def cell_dm(distance_m: float) -> int:
    """The grid's cell (dm) for a radius: at least the radius, so the 3 x 3 neighbours hold every stay within it."""
    return max(math.ceil(distance_m * 10.0), MIN_CELL_DM)


def encounters(
    spark: SparkSession,
    stays: DataFrame,
    cases: Sequence[CaseWindow],
    distance_m: float,
    min_minutes: float,
) -> DataFrame:
    """Every encounter of the cases' contacts (those with at least ``min_minutes`` of union overlap): one row
    per (case, case stay, contact stay) with the case stay's and the contact stay's start (index seconds; with
    the person they name the stay), the overlap ``[ov_s, ov_e)`` and the squared distance ``d2`` (dm²).
    Sort by ``case_id, contact, ov_s, case_stay_s, contact_stay_s`` for the tracer's canonical order.

    The stays in index units and the candidate pairs are each read twice, so they are persisted (in the
    session's cache until it ends or ``spark.catalog.clearCache()``)."""
    from pyspark.sql import functions as sf

    if not (math.isfinite(distance_m) and distance_m > 0):
        raise InvalidInput(f"distance_m must be a finite distance in metres > 0, not {distance_m!r}")
    check_min_minutes(min_minutes)
    radius_dm = distance_m * 10.0
    cell = cell_dm(distance_m)
    min_s = math.ceil(min_minutes * 60.0)
    indexed = indexed_stays(stays).persist()
    grid = (
        indexed.where(sf.col("e") > sf.col("s"))
        .withColumn("gx", sf.floor(sf.col("x") / cell))
        .withColumn("gy", sf.floor(sf.col("y") / cell))
        .withColumn("day", sf.explode(sf.expr(f"sequence(s div {DAY_S}, (e - 1) div {DAY_S})")))
    )
    windows = sf.broadcast(case_frame(spark, cases))
    case_stays = (
        indexed.join(windows, indexed["person"] == windows["case_person"])
        .where((sf.col("s") < sf.col("w1")) & (sf.col("e") > sf.col("w0")))
        .select(
            "case_id",
            "case_person",
            sf.col("s").alias("case_stay_s"),
            sf.greatest("s", "w0").alias("cs"),
            sf.least("e", "w1").alias("ce"),
            sf.col("x").alias("cx"),
            sf.col("y").alias("cy"),
        )
        .where(sf.col("ce") > sf.col("cs"))
    )
    around = sf.array(sf.lit(-1), sf.lit(0), sf.lit(1))
    probe = (
        case_stays.withColumn("dx", sf.explode(around))
        .withColumn("dy", sf.explode(around))
        .withColumn("gx", sf.floor(sf.col("cx") / cell) + sf.col("dx"))
        .withColumn("gy", sf.floor(sf.col("cy") / cell) + sf.col("dy"))
        .withColumn("day", sf.explode(sf.expr(f"sequence(cs div {DAY_S}, (ce - 1) div {DAY_S})")))
        .drop("dx", "dy")
    )
    pairs = (
        probe.join(grid, ["gx", "gy", "day"])
        .where(sf.col("person") != sf.col("case_person"))
        .withColumn("ov_s", sf.greatest("cs", "s"))
        .withColumn("ov_e", sf.least("ce", "e"))
        .withColumn(
            "d2",
            (sf.col("x") - sf.col("cx")) * (sf.col("x") - sf.col("cx"))
            + (sf.col("y") - sf.col("cy")) * (sf.col("y") - sf.col("cy")),
        )
        .where((sf.col("ov_s") < sf.col("ov_e")) & (sf.floor(sf.col("ov_s") / DAY_S) == sf.col("day")))
        .where(sf.col("d2") <= sf.lit(radius_dm * radius_dm))
        .select(
            "case_id",
            "case_person",
            sf.col("person").alias("contact"),
            "case_stay_s",
            sf.col("s").alias("contact_stay_s"),
            "ov_s",
            "ov_e",
            "d2",
        )
    ).persist()
    met = (
        _union_parts(pairs)
        .groupBy("case_id", "contact")
        .agg(sf.sum("adds").alias("seconds"))
        .where(sf.col("seconds") >= min_s)
    )
    return pairs.join(met.select("case_id", "contact"), ["case_id", "contact"], "left_semi").select(*ENCOUNTER_COLUMNS)


def contacts(found: DataFrame) -> DataFrame:
    """Each case's contacts from its encounters: ``case_id, case_person, contact, seconds`` (the union of the
    overlaps), ``minutes``, ``closest_m``, ``first_seen``, ``last_seen`` (UTC) and ``n_encounters``."""
    from pyspark.sql import functions as sf

    return (
        _union_parts(found)
        .groupBy("case_id", "case_person", "contact")
        .agg(
            sf.sum("adds").alias("seconds"),
            sf.min("d2").alias("d2"),
            sf.min("ov_s").alias("first_s"),
            sf.max("ov_e").alias("last_s"),
            sf.count(sf.lit(1)).alias("n_encounters"),
        )
        .select(
            "case_id",
            "case_person",
            "contact",
            "seconds",
            (sf.col("seconds") / 60.0).alias("minutes"),
            (sf.sqrt(sf.col("d2").cast("double")) / 10.0).alias("closest_m"),
            sf.timestamp_seconds(sf.col("first_s") + EPOCH_S).alias("first_seen"),
            sf.timestamp_seconds(sf.col("last_s") + EPOCH_S).alias("last_seen"),
            "n_encounters",
        )
    )


def _union_parts(found: DataFrame) -> DataFrame:
    """Encounters with ``adds``, the seconds each adds to its contact's union of overlaps: one window pass, in
    which an overlap (sorted by start) adds only what lies beyond the furthest end before it."""
    from pyspark.sql import functions as sf
    from pyspark.sql.window import Window

    before = Window.partitionBy("case_id", "contact").orderBy("ov_s", "ov_e").rowsBetween(Window.unboundedPreceding, -1)
    return found.withColumn("reach", sf.max("ov_e").over(before)).withColumn(
        "adds", sf.greatest(sf.lit(0), sf.col("ov_e") - sf.greatest("ov_s", sf.coalesce("reach", "ov_s")))
    )
