"""Stays placed on Spark: each stay's venue and areas, computed partition by partition.

Why by partition: placing a stay reads only the stay itself and two small reference tables (the venues and
the area hierarchy, shipped to every executor once as a broadcast), so any partitioning of the stays gives
the same rows. Each partition runs the embedded engine's own functions (``geo.placement.locate``,
``ingest.derive.nearest_venue``, the radius rule of ``ingest.derive``), so a stay gets exactly the venue and
areas the embedded ingest stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from izquvar.formats import AREA_FIELDS, STAYS_SCHEMA
from izquvar.geo.placement import area_index, locate
from izquvar.ingest.derive import MIN_VENUE_RADIUS_M, nearest_venue

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Per Python worker: the area index and venues of each broadcast already unpacked (the hierarchy is parsed
#: once per worker, not once per partition).
_UNPACKED: dict[str, tuple[Any, pa.Table]] = {}


def place_stays(spark: SparkSession, stays: DataFrame, venues: pa.Table, areas: pa.Table | None) -> DataFrame:
    """Detected stays (:func:`izquvar.spark.stays.spark_stays`) with ``venue_id`` and the area columns: the
    stored stays' columns and order. ``venues`` and ``areas`` are the store's reference tables."""
    from izquvar.spark.layout import spark_schema

    venue_bytes = _ipc(venues.select(["venue_id", "lat", "lon"]))
    area_bytes = _ipc(areas) if areas is not None and areas.num_rows else b""
    key = hashlib.sha256(venue_bytes + b"|" + area_bytes).hexdigest()
    context = spark.sparkContext
    placer = _Placer(key, context.broadcast(venue_bytes), context.broadcast(area_bytes))
    return stays.mapInPandas(placer, schema=spark_schema(STAYS_SCHEMA))


class _Placer:
    """Places the stays of one partition (a picklable callable carrying the broadcasts)."""

    def __init__(self, key: str, venues: Any, areas: Any) -> None:
        self.key, self.venues, self.areas = key, venues, areas

    def __call__(self, batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        index, venues = self._unpacked()
        for stays in batches:
            yield placed(stays, venues, index)

    def _unpacked(self) -> tuple[Any, pa.Table]:
        if self.key not in _UNPACKED:
            areas = _table(self.areas.value) if self.areas.value else None
            _UNPACKED.clear()
            _UNPACKED[self.key] = (area_index(areas), _table(self.venues.value))
        return _UNPACKED[self.key]


def placed(stays: pd.DataFrame, venues: pa.Table, index: Any) -> pd.DataFrame:
    """One batch of stays with their venue (nearest within ``max(accuracy, 50 m)``) and areas, as
    ``ingest.derive.derive_stays`` places them."""
    lat = stays["lat"].to_numpy(np.float64)
    lon = stays["lon"].to_numpy(np.float64)
    accuracy = stays["accuracy_m"].to_numpy(np.float64)
    radius = np.fmax(np.nan_to_num(accuracy, nan=MIN_VENUE_RADIUS_M), MIN_VENUE_RADIUS_M)
    out = stays.copy()
    out["person"] = out["person"].astype(object)  # NumPy-backed: PySpark 4.0 reads no Arrow-backed strings
    out["venue_id"] = pd.Series(nearest_venue(lat, lon, radius, venues).to_pylist(), index=out.index, dtype=object)
    areas = locate(index, lat, lon)
    for field in AREA_FIELDS:
        out[field.name] = pd.Series(areas[field.name].to_pylist(), index=out.index, dtype=object)
    return out[list(STAYS_SCHEMA.names)]


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def _table(payload: bytes) -> pa.Table:
    return pa.ipc.open_stream(pa.py_buffer(payload)).read_all()
