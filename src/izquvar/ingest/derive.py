"""What ingest adds to the feeds: places in the area hierarchy, stays from GPS, the venue of each stay.

Records are placed through the place they name, not through a position of their own: an operator record
through its tower, a card payment through merchant → venue, a check-in through its venue. Only distinct
places are located (thousands of towers, not millions of records), then mapped back.

A stay is matched to the nearest venue within ``max(mean accuracy of its pings, 50 m)``: a phone that
reports ±200 m cannot tell two neighbouring shops apart, and a ±5 m fix still deserves the width of a
building (:data:`MIN_VENUE_RADIUS_M`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from typing import Any

import numba
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.formats import AREA_FIELDS, STAYS, STAYS_SCHEMA, stored_schema
from izquvar.geo.placement import empty_areas, locate
from izquvar.ingest.batch import TableReader
from izquvar.ingest.columns import dictionary_codes, positions_in
from izquvar.ingest.partition import days_of
from izquvar.mobility.stays import STAY_DIST_M, STAY_GAP_MIN, STAY_TIME_MIN, detect_stays

#: A reference table as it will be after the batch, by name (``venues``, ``towers``, ``merchants``).
References = Callable[[str], pa.Table]

#: Smallest radius within which a stay is matched to a venue: about one building.
MIN_VENUE_RADIUS_M = 50.0

_EARTH_RADIUS_M = 6_371_008.8


def place_records(name: str, table: pa.Table, index: Any, references: References) -> pa.Table:
    """The stored form of a batch's operator records, payments or check-ins: their areas (``index`` ``None``:
    null areas) and, for payments, the merchant's venue."""
    venues = references("venues")
    if index is None:
        areas = empty_areas(table.num_rows)
    elif name == "cell":
        towers = references("towers")
        areas = place_through(
            index,
            table["cell_id"],
            towers["cell_id"].combine_chunks(),
            towers["lat"].combine_chunks(),
            towers["lon"].combine_chunks(),
        )
    else:
        venue_ids = table["venue_id"] if name == "checkins" else _venue_of_merchant(table, references)
        areas = place_through(
            index,
            venue_ids,
            venues["venue_id"].combine_chunks(),
            venues["lat"].combine_chunks(),
            venues["lon"].combine_chunks(),
        )
    if name == "card":
        table = table.append_column("venue_id", _venue_of_merchant(table, references))
    for area in areas.schema:
        table = table.append_column(area, areas[area.name])
    return table.cast(stored_schema(name))


def _venue_of_merchant(table: pa.Table, references: References) -> pa.Array[Any]:
    merchants = references("merchants")
    return map_through(
        table["merchant_id"],
        merchants["merchant_id"].combine_chunks(),
        merchants["venue_id"].combine_chunks(),
    )


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
    if pings.num_rows == 0:
        return STAYS_SCHEMA.empty_table()
    pings = pings.select(["person", "time", "lat", "lon", "accuracy_m"])
    found = detect_stays(pings, dist_m=STAY_DIST_M, time_min=STAY_TIME_MIN, gap_min=STAY_GAP_MIN)
    if found.num_rows == 0:
        return STAYS_SCHEMA.empty_table()
    accuracy = stay_accuracy(pings, found)
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


def recompute_stays(
    new_pings: pa.Table,
    ping_days: np.ndarray,
    read: TableReader,
    stored_stay_days: AbstractSet[dt.date | None],
    venues: pa.Table,
    index: Any,
) -> tuple[pa.Table, set[dt.date], int]:
    """The stays of the people who got pings, recomputed over the touched days ±1 (read ±2) so that a stay across
    midnight is one stay, merged with the other people's stored stays of those days.

    Gives the stays of every replaced day, the stored days they replace, and how many stays were recomputed.
    """
    touched = set(np.unique(ping_days).tolist())
    one = dt.timedelta(days=1)
    replace_days = {d + k * one for d in touched for k in (-1, 0, 1)}
    read_days = {d + k * one for d in replace_days for k in (-1, 0, 1)}
    people = pc.unique(new_pings["person"])
    stored = read("gps", ["person", "time", "lat", "lon", "accuracy_m"], read_days)
    stored = stored.filter(pc.is_in(stored["person"], value_set=people))
    pings = pa.concat_tables([stored.cast(new_pings.schema), new_pings])
    stays = derive_stays(pings, venues, index)
    stays = stays.filter(
        pc.is_in(days_of(stays["start"], arrow=True), value_set=pa.array(sorted(replace_days), pa.date32()))
    )
    old_days = {d for d in stored_stay_days if d is not None and d in replace_days}
    kept = [
        t.filter(pc.invert(pc.is_in(t["person"], value_set=people)))
        for t in (read(STAYS, None, {day}) for day in sorted(old_days))
    ]
    combined = pa.concat_tables([*kept, stays]) if kept else stays
    return combined, old_days, stays.num_rows


def stay_accuracy(pings: pa.Table, stays: pa.Table) -> np.ndarray:
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
