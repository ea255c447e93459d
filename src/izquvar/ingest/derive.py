"""What ingest adds to the feeds: places in the area hierarchy, stays from GPS, the venue of each stay.

Records are placed through the place they name, not through a position of their own: an operator record
through its tower, a card payment through merchant → venue, a check-in through its venue. Only distinct
places are located (thousands of towers, not millions of records), then mapped back.

A stay is matched to the nearest venue within ``max(mean accuracy of its pings, 50 m)``: a phone that
reports ±200 m cannot tell two neighbouring shops apart, and a ±5 m fix still deserves the width of a
building (:data:`MIN_VENUE_RADIUS_M`).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import AREA_FIELDS, STAYS_SCHEMA
from izquvar.geo.placement import locate
from izquvar.ingest.columns import dictionary_codes, positions_in

#: Smallest radius within which a stay is matched to a venue: about one building.
MIN_VENUE_RADIUS_M = 50.0
#: Stay-detection parameters used at ingest (those of ``izquvar.detect_stays``' defaults).
STAY_DIST_M = 100.0
STAY_TIME_MIN = 5.0
STAY_GAP_MIN = 15.0

_EARTH_RADIUS_M = 6_371_008.8


def place_through(
    index: Any,
    keys: pa.Array[Any] | pa.ChunkedArray[Any],
    place_keys: pa.Array[Any],
    lat: pa.Array[Any],
    lon: pa.Array[Any],
) -> pa.Table:
    """Areas of records that name a place (tower, venue) by key, locating each distinct place once."""
    positions = positions_in(keys, place_keys)
    place_areas = locate(index, _floats(lat), _floats(lon))
    return place_areas.take(positions)


def _floats(values: pa.Array[Any] | pa.ChunkedArray[Any]) -> np.ndarray:
    """Float values as numpy, nulls as NaN."""
    column: Any = values
    filled: Any = pc.fill_null(column, np.nan)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=np.float64)


def map_through(
    keys: pa.Array[Any] | pa.ChunkedArray[Any], from_keys: pa.Array[Any], to_values: pa.Array[Any]
) -> pa.Array[Any]:
    """Look each key up in a two-column mapping (e.g. merchant → venue); unknown keys give null."""
    result = to_values.take(positions_in(keys, from_keys))
    return result.combine_chunks() if isinstance(result, pa.ChunkedArray) else result


@numba.njit(cache=True)
def _mean_accuracy(
    ping_person: np.ndarray,
    ping_time: np.ndarray,
    ping_acc: np.ndarray,
    stay_person: np.ndarray,
    stay_start: np.ndarray,
    stay_end: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """Mean accuracy of each stay's pings (``end`` is the first ping that left); inputs sorted by person, time."""
    out = np.full(stay_person.size, np.nan)
    i = 0
    n = ping_person.size
    for s in range(stay_person.size):
        while i < n and (
            ping_person[i] < stay_person[s] or (ping_person[i] == stay_person[s] and ping_time[i] < stay_start[s])
        ):
            i += 1
        total = 0.0
        count = 0
        j = i
        while j < n and ping_person[j] == stay_person[s] and ping_time[j] < stay_end[s]:
            if np.isfinite(ping_acc[j]):
                total += ping_acc[j]
                count += 1
            j += 1
        if count:
            out[s] = total / count
    return out


@numba.njit(cache=True)
def _nearest_within(
    lat: np.ndarray,
    lon: np.ndarray,
    radius: np.ndarray,
    venue_lat_sorted: np.ndarray,
    venue_lon_sorted: np.ndarray,
) -> np.ndarray:  # pragma: no cover - compiled
    """Index (into the lat-sorted venues) of the nearest venue within each point's radius, or -1."""
    out = np.full(lat.size, -1, dtype=np.int64)
    deg = np.pi / 180.0
    for k in range(lat.size):
        reach = radius[k] / 6_371_008.8 / deg
        lo = np.searchsorted(venue_lat_sorted, lat[k] - reach)
        hi = np.searchsorted(venue_lat_sorted, lat[k] + reach, side="right")
        best = radius[k]
        for v in range(lo, hi):
            dlat = (venue_lat_sorted[v] - lat[k]) * deg
            dlon = (venue_lon_sorted[v] - lon[k]) * deg
            a = np.sin(dlat / 2) ** 2 + np.cos(lat[k] * deg) * np.cos(venue_lat_sorted[v] * deg) * np.sin(dlon / 2) ** 2
            d = 2 * 6_371_008.8 * np.arcsin(min(1.0, np.sqrt(a)))
            if d <= best:
                best = d
                out[k] = v
    return out


def nearest_venue(lat: np.ndarray, lon: np.ndarray, radius_m: np.ndarray, venues: pa.Table) -> pa.Array[Any]:
    """``venue_id`` of the nearest venue within each point's radius (null where none is)."""
    if venues.num_rows == 0 or lat.size == 0:
        return pa.nulls(lat.size, pa.string())
    v_lat = np.asarray(venues["lat"].to_numpy(), dtype=np.float64)
    order = np.argsort(v_lat, kind="stable")
    v_lon = np.asarray(venues["lon"].to_numpy(), dtype=np.float64)[order]
    index = _nearest_within(lat, lon, radius_m, v_lat[order], v_lon)
    ids = venues["venue_id"].combine_chunks().take(order)
    found: Any = pa.array(index, mask=index < 0)
    return ids.take(found)


def derive_stays(pings: pa.Table, venues: pa.Table, index: Any) -> pa.Table:
    """Stays of the pings (all of a person's pings over the recomputed days), placed and matched."""
    from izquvar.mobility.stays import detect_stays

    if pings.num_rows == 0:
        return STAYS_SCHEMA.empty_table()
    pings = pings.select(["person", "time", "lat", "lon", "accuracy_m"])
    found = detect_stays(pings, dist_m=STAY_DIST_M, time_min=STAY_TIME_MIN, gap_min=STAY_GAP_MIN)
    if found.num_rows == 0:
        return STAYS_SCHEMA.empty_table()
    accuracy = _stay_accuracy(pings, found)
    lat = np.asarray(found["lat"].to_numpy(), dtype=np.float64)
    lon = np.asarray(found["lon"].to_numpy(), dtype=np.float64)
    radius = np.fmax(np.nan_to_num(accuracy, nan=MIN_VENUE_RADIUS_M), MIN_VENUE_RADIUS_M)
    areas = locate(index, lat, lon)
    columns = {
        "person": found["person"],
        "start": found["start"],
        "end": found["end"],
        "lat": found["lat"],
        "lon": found["lon"],
        "n_pings": found["n_pings"],
        "accuracy_m": pa.array(accuracy, mask=np.isnan(accuracy)),
        "venue_id": nearest_venue(lat, lon, radius, venues),
        **{f.name: areas[f.name] for f in AREA_FIELDS},
    }
    return pa.table({f.name: pc.cast(columns[f.name], f.type) for f in STAYS_SCHEMA}, schema=STAYS_SCHEMA)


def _stay_accuracy(pings: pa.Table, stays: pa.Table) -> np.ndarray:
    """Mean accuracy of each stay's pings; sorts integer codes (not strings) to pair pings with stays."""
    ping_person, persons = dictionary_codes(pings["person"])
    stay_person = np.asarray(positions_in(stays["person"], persons).to_numpy(zero_copy_only=False), dtype=np.int64)
    ping_time, stay_start, stay_end = _micros(pings["time"]), _micros(stays["start"]), _micros(stays["end"])
    ping_order = _order_by(ping_person, ping_time)
    stay_order = _order_by(stay_person, stay_start)
    accuracy = _floats(pings["accuracy_m"])
    sorted_result = _mean_accuracy(
        ping_person[ping_order],
        ping_time[ping_order],
        accuracy[ping_order],
        stay_person[stay_order],
        stay_start[stay_order],
        stay_end[stay_order],
    )
    result = np.empty_like(sorted_result)
    result[stay_order] = sorted_result
    return result


def _order_by(group: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Positions sorted by (group, time); feeds usually come sorted already, which costs one pass to see."""
    if group.size < 2:
        return np.arange(group.size)
    step = np.diff(group)
    if np.all((step > 0) | ((step == 0) & (np.diff(time) >= 0))):
        return np.arange(group.size)
    return np.lexsort((time, group))


def _micros(values: pa.ChunkedArray[Any] | pa.Array[Any]) -> np.ndarray:
    cast = pc.cast(values, pa.timestamp("us", tz="UTC")).cast(pa.int64())
    return np.asarray(cast.to_numpy(), dtype=np.int64)
