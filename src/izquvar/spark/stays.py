"""Stays from GPS pings on Spark: ``detect_stays`` per person, over person-partitioned pings.

Why per person: the sliding definition (docs/stays.md) runs over one person's pings in time order and never
looks at anyone else's, so grouping the pings by person and running the embedded ``detect_stays`` on each
group (``groupBy("person").applyInPandas``) gives exactly the embedded engine's stays, value for value, at any
number of partitions. The order of a person's pings within the group cannot matter: the store holds one ping
per (person, time), the ``gps`` feed's key, and ``detect_stays`` sorts by time. Each stay also gets the mean
accuracy of its pings, as ingest stores it (``ingest.derive.stay_accuracy``); the places (venue, areas) are
:mod:`izquvar.spark.placement`'s.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa

from izquvar.errors import InvalidInput
from izquvar.ingest.derive import stay_accuracy
from izquvar.mobility.stays import STAY_DIST_M, STAY_GAP_MIN, STAY_TIME_MIN, detect_stays

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

#: Columns of the stays detected on Spark, before placement (the stored stays' first seven).
DETECTED_SCHEMA = (
    "person string, start timestamp, `end` timestamp, lat double, lon double, n_pings long, accuracy_m double"
)
PING_COLUMNS = ("person", "time", "lat", "lon", "accuracy_m")
_TS = pa.timestamp("us", tz="UTC")


def spark_stays(
    pings: DataFrame,
    dist_m: float = STAY_DIST_M,
    time_min: float = STAY_TIME_MIN,
    gap_min: float = STAY_GAP_MIN,
    *,
    buckets: int | None = None,
) -> DataFrame:
    """Stays of a DataFrame of GPS pings (the feed's ``person, time, lat, lon, accuracy_m``), one row per stay:
    ``person, start, end, lat, lon, n_pings, accuracy_m``, with ingest's parameters by default.

    Grouped by person (one Python call each); with ``buckets`` grouped instead by a hash of the person into
    that many groups, each of whole persons (one call per bucket, the same stays): what millions of people
    need, as long as a bucket's pings fit in a Python worker's memory."""
    from pyspark.sql import functions as sf

    if buckets is not None and buckets < 1:
        raise InvalidInput(f"buckets must be a positive number of groups, not {buckets!r}")
    dist, stay, gap = float(dist_m), float(time_min), float(gap_min)

    def per_group(pings: pd.DataFrame) -> pd.DataFrame:  # a closure: Spark reads a one-argument function
        return group_stays(pings, dist, stay, gap)

    selected = pings.select(*PING_COLUMNS)
    if buckets is None:
        return selected.groupBy("person").applyInPandas(per_group, schema=DETECTED_SCHEMA)
    bucketed = selected.withColumn("bucket", sf.pmod(sf.xxhash64("person"), sf.lit(buckets)))
    return bucketed.groupBy("bucket").applyInPandas(per_group, schema=DETECTED_SCHEMA)


def group_stays(pings: pd.DataFrame, dist_m: float, time_min: float, gap_min: float) -> pd.DataFrame:
    """The stays of one group's pings (a person's, or a bucket of whole persons'), with the mean accuracy of
    each: what each group of :func:`spark_stays` runs."""
    table = pings_table(pings)
    found = detect_stays(table, dist_m=dist_m, time_min=time_min, gap_min=gap_min)
    accuracy = stay_accuracy(table, found) if found.num_rows else np.empty(0)
    frame = found.to_pandas()
    frame["person"] = frame["person"].astype(object)  # NumPy-backed: PySpark 4.0 reads no Arrow-backed strings
    frame["accuracy_m"] = pd.Series(accuracy, index=frame.index, dtype="float64")
    return frame


def pings_table(pings: pd.DataFrame) -> pa.Table:
    """A pandas batch of pings as the Arrow table the embedded engine reads (times as UTC instants: Arrow
    hands pandas UDFs zone-less times in the session's zone, which :mod:`izquvar.spark.session` sets to UTC)."""
    time = pd.to_datetime(pings["time"])
    if time.dt.tz is None:
        time = time.dt.tz_localize("UTC")
    return pa.table(
        {
            "person": pa.array(pings["person"], pa.string()),
            "time": pa.array(time, _TS),
            "lat": pa.array(pings["lat"], pa.float64()),
            "lon": pa.array(pings["lon"], pa.float64()),
            "accuracy_m": pa.array(pings["accuracy_m"], pa.float64()),
        }
    )
