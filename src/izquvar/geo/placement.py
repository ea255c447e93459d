"""Placing points in the area hierarchy as Arrow columns (``region_id``, ``district_id``, ``mahalla_id``): what
ingest adds to records and stays and what the tracer adds to venues and towers, one way for both.

The hierarchy is the shipped one extended by the areas ingested into a store (:func:`area_index`); only known
positions are located, the rest get null areas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import AREA_FIELDS
from izquvar.geo.areas import AreaIndex

_AREA_SCHEMA = pa.schema(list(AREA_FIELDS))


def area_index(ingested_areas: pa.Table | None) -> AreaIndex:
    """The shipped area hierarchy, extended or overridden by areas ingested into the store."""
    index = AreaIndex.default()
    if ingested_areas is not None and ingested_areas.num_rows:
        index = index.merged(AreaIndex.from_table(ingested_areas))
    return index


def empty_areas(n: int) -> pa.Table:
    """``n`` rows of null areas."""
    return pa.table({f.name: pa.nulls(n, pa.string()) for f in AREA_FIELDS}, schema=_AREA_SCHEMA)


def locate(index: AreaIndex, lat: np.ndarray, lon: np.ndarray) -> pa.Table:
    """Region, district and mahalla of each point (nulls outside or where the position is unknown)."""
    n = len(lat)
    known = np.isfinite(lat) & np.isfinite(lon)
    if n == 0 or not known.any():
        return empty_areas(n)
    found: Any = index.locate(lat[known], lon[known])
    positions = np.full(n, -1, dtype=np.int64)
    positions[known] = np.arange(int(known.sum()))
    take = pa.array(positions, mask=~known)
    return pa.table(
        {f.name: pc.cast(found.column(f.name), pa.string()).take(take) for f in AREA_FIELDS},
        schema=_AREA_SCHEMA,
    )


def locate_places(index: AreaIndex, places: pd.DataFrame) -> pa.Table:
    """The areas of a table of places with ``lat`` and ``lon`` columns (venues, towers)."""
    if not len(places):
        return empty_areas(0)
    return locate(index, places["lat"].to_numpy(np.float64), places["lon"].to_numpy(np.float64))


def with_areas(places: pd.DataFrame, areas: pa.Table) -> pd.DataFrame:
    """A table of places with the area ids of their points (:func:`locate_places`) as more columns."""
    if len(places):
        return pd.concat([places.reset_index(drop=True), areas.to_pandas()], axis=1)
    for name in areas.column_names:
        places[name] = pd.Series(dtype=object)
    return places
