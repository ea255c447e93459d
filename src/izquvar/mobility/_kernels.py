"""Compiled kernels of stay detection: one pass over pings sorted by person, then time.

Each function mirrors one step of trackintel's ``generate_staypoints(method="sliding")`` operation for
operation (same formula, same comparison, same order of floating-point work where it decides an outcome), so
that izquvar and trackintel agree on every stay, not just on most. Comments name the trackintel line each
step reproduces; docs/stays.md explains the definition.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from numba import njit

#: Earth radius of trackintel's ``point_haversine_dist`` (metres).
EARTH_RADIUS_M = 6_371_000.0
# CPython's math.radians multiplies by this one constant; using the same constant keeps every bit equal.
_DEG_TO_RAD = math.pi / 180.0
# numpy's rad2deg multiplies by 180/pi.
_RAD_TO_DEG = 180.0 / math.pi


@njit(cache=True, nogil=True)
def great_circle_m(lon_1: float, lat_1: float, lon_2: float, lat_2: float) -> float:
    """trackintel's ``point_haversine_dist(..., float_flag=True)``: the spherical law of cosines form.

    The reference the tests hold izquvar to, bit for bit; ``_has_moved`` evaluates the same expression when
    its bounds cannot decide.
    """
    lon_1 = lon_1 * _DEG_TO_RAD
    lat_1 = lat_1 * _DEG_TO_RAD
    lon_2 = lon_2 * _DEG_TO_RAD
    lat_2 = lat_2 * _DEG_TO_RAD
    cos_lat2 = math.cos(lat_2)
    cos_lat1 = math.cos(lat_1)
    cos_lat_d = math.cos(lat_1 - lat_2)
    cos_lon_d = math.cos(lon_1 - lon_2)
    return EARTH_RADIUS_M * math.acos(cos_lat_d - cos_lat1 * cos_lat2 * (1.0 - cos_lon_d))


@njit(cache=True, nogil=True)
def is_sorted(code: npt.NDArray[np.int64], ticks: npt.NDArray[np.int64]) -> bool:
    """True when rows are already ordered by person, then time, so the sort can be skipped."""
    for i in range(1, len(code)):
        if code[i] < code[i - 1] or (code[i] == code[i - 1] and ticks[i] < ticks[i - 1]):
            return False
    return True


@njit(cache=True, nogil=True)
def string_run_starts(offsets: npt.NDArray[np.int64], data: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    """Rows where an Arrow string column differs from the row before (row 0 included).

    Pings usually arrive grouped by person, so encoding the few run heads instead of every row turns a hash
    of 10 million strings into a byte comparison with the neighbour.
    """
    n = len(offsets) - 1
    starts = np.empty(n, dtype=np.int64)
    count = 0
    for i in range(n):
        if i > 0:
            a, b = offsets[i - 1], offsets[i]
            length = offsets[i + 1] - b
            if length == b - a:
                same = True
                for k in range(length):
                    if data[a + k] != data[b + k]:
                        same = False
                        break
                if same:
                    continue
        starts[count] = i
        count += 1
    return starts[:count].copy()


@njit(cache=True, nogil=True)
def drop_rows(
    drop: npt.NDArray[np.bool_],
    code: npt.NDArray[np.int64],
    ticks: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The four kernel columns without the dropped rows, in one pass (numpy masks would take four)."""
    n = len(code) - np.count_nonzero(drop)
    out_code = np.empty(n, dtype=np.int64)
    out_time = np.empty(n, dtype=np.int64)
    out_lat = np.empty(n, dtype=np.float64)
    out_lon = np.empty(n, dtype=np.float64)
    j = 0
    for i in range(len(code)):
        if not drop[i]:
            out_code[j] = code[i]
            out_time[j] = ticks[i]
            out_lat[j] = lat[i]
            out_lon[j] = lon[i]
            j += 1
    return out_code, out_time, out_lat, out_lon


@njit(cache=True, nogil=True)
def coordinates_out_of_range(lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]) -> int:
    """First row whose latitude or longitude is missing or out of range, or -1."""
    for i in range(len(lat)):
        if not (abs(lat[i]) <= 90.0 and abs(lon[i]) <= 180.0):
            return i
    return -1


@njit(cache=True, nogil=True)
def duplicate_rows(
    code: npt.NDArray[np.int64],
    ticks: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    accuracy_m: npt.NDArray[np.float64],
) -> npt.NDArray[np.bool_]:
    """Rows equal in every GPS column to an earlier row (trackintel's ``drop_duplicates()``, keep first).

    Rows must be stably sorted by person, then time: equal rows then sit in one run of equal (person, time),
    in input order, and only those short runs are compared. Missing accuracies count as equal, as in pandas.
    """
    n = len(code)
    duplicate = np.zeros(n, dtype=np.bool_)
    run_start = 0
    for i in range(1, n + 1):
        if i < n and code[i] == code[run_start] and ticks[i] == ticks[run_start]:
            continue
        for j in range(run_start + 1, i):
            for k in range(run_start, j):
                if duplicate[k]:
                    continue
                same_accuracy = accuracy_m[j] == accuracy_m[k] or (
                    math.isnan(accuracy_m[j]) and math.isnan(accuracy_m[k])
                )
                if lat[j] == lat[k] and lon[j] == lon[k] and same_accuracy:
                    duplicate[j] = True
                    break
        run_start = i
    return duplicate


def moved_cutoff(dist_m: float) -> float:
    """The largest cosine ``x`` with ``R * acos(x) >= dist_m``: comparing ``x <= cutoff`` replaces the acos.

    ``acos`` (correctly rounded in glibc, hence monotone) and the product with R are monotone, so the test
    "distance ≥ dist_m" flips at exactly one double. Finding it once by bisection over the ordered bit
    patterns of doubles, with the very expression trackintel evaluates, keeps every decision identical.
    """

    def moved(x: float) -> bool:
        return EARTH_RADIUS_M * math.acos(x) >= dist_m

    if not moved(-1.0):
        return -2.0  # farther than half the globe: never
    lo, hi = _ordered(-1.0), _ordered(1.0)  # moved(lo) holds; moved(1.0) fails since dist_m > 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if moved(_from_ordered(mid)):
            lo = mid
        else:
            hi = mid
    return _from_ordered(lo)


def _ordered(x: float) -> int:
    bits = int(np.array([x], dtype=np.float64).view(np.int64)[0])
    return bits if bits >= 0 else -(bits & 0x7FFF_FFFF_FFFF_FFFF)


def _from_ordered(key: int) -> float:
    bits = key if key >= 0 else (-key) | -0x8000_0000_0000_0000
    return float(np.array([bits], dtype=np.int64).view(np.float64)[0])


# Far above the rounding error of the cosine expression (< 1e-15): a bound this far from the cutoff decides.
_BOUND_SLACK = 1e-14
# Beyond this many radians the Taylor bounds lose their precision: use the exact expression.
_SMALL_ANGLE = 0.1


@njit(cache=True, nogil=True, inline="always")
def _has_moved(lat_s: float, lon_s: float, cos_lat_s: float, lat_c: float, lon_c: float, cutoff: float) -> bool:
    """``great_circle_m(start, curr) >= dist_m``, decided without trig when Taylor bounds settle it.

    The cosine expression x = cos(Δlat) − cos(lat₁)cos(lat₂)(1 − cos(Δlon)) lies within
    1 − Δlat²/2 − c·Δlon²/2 ≤ x ≤ 1 − Δlat²/2 + Δlat⁴/24 − c'·(Δlon²/2 − Δlon⁴/24), with cos(lat₂) bounded by
    cos(lat₁) ± |Δlat|; only pings within a few metres of the threshold need the exact, trackintel-identical
    evaluation.
    """
    lat_1 = lat_s * _DEG_TO_RAD
    lat_2 = lat_c * _DEG_TO_RAD
    d_lat = lat_1 - lat_2
    d_lon = lon_s * _DEG_TO_RAD - lon_c * _DEG_TO_RAD
    if abs(d_lat) < _SMALL_ANGLE and abs(d_lon) < _SMALL_ANGLE:
        a2 = d_lat * d_lat
        b2 = d_lon * d_lon
        c_hi = min(1.0, cos_lat_s * min(1.0, cos_lat_s + abs(d_lat)))
        c_lo = max(0.0, cos_lat_s * max(0.0, cos_lat_s - abs(d_lat)))
        x_lo = 1.0 - 0.5 * a2 - c_hi * 0.5 * b2 - _BOUND_SLACK
        x_hi = 1.0 - 0.5 * a2 + a2 * a2 / 24.0 - c_lo * (0.5 * b2 - b2 * b2 / 24.0) + _BOUND_SLACK
        if x_hi <= cutoff:
            return True
        if x_lo > cutoff:
            return False
    cos_lat2 = math.cos(lat_2)
    cos_lat_d = math.cos(d_lat)
    cos_lon_d = math.cos(d_lon)
    x = cos_lat_d - cos_lat_s * cos_lat2 * (1.0 - cos_lon_d)
    # acos of x < -1 is undefined (trackintel raises there; antipodal pings only): not "moved".
    return x <= cutoff and x >= -1.0


@njit(cache=True, nogil=True)
def _person_stays(
    ticks: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    person_start: int,
    person_end: int,
    cutoff: float,
    min_stay_ticks: int,
    max_gap_ticks: int,
    include_last: bool,
    out: npt.NDArray[np.int64],
    count: int,
) -> int:
    """One person's stays appended to ``out`` (rows: first, stop, finish); -1 when ``out`` is full.

    Kept free of array reallocation so the compiled loop stays tight; the caller grows ``out`` and retries.
    """
    capacity = out.shape[0]
    start = person_start
    cos_lat_s = math.cos(lat[start] * _DEG_TO_RAD)
    curr = person_start
    for curr in range(person_start + 1, person_end):
        # trackintel's gap_times[curr]: a silence longer than the gap threshold restarts at curr.
        if ticks[curr] - ticks[curr - 1] > max_gap_ticks:
            start = curr
            cos_lat_s = math.cos(lat[start] * _DEG_TO_RAD)
            continue
        if _has_moved(lat[start], lon[start], cos_lat_s, lat[curr], lon[curr], cutoff):
            if ticks[curr] - ticks[start] >= min_stay_ticks:
                if count == capacity:
                    return -1
                out[count, 0] = start
                out[count, 1] = curr
                out[count, 2] = curr
                count += 1
            start = curr
            cos_lat_s = math.cos(lat[start] * _DEG_TO_RAD)
    if include_last and ticks[curr] - ticks[start] >= min_stay_ticks:
        if count == capacity:
            return -1
        out[count, 0] = start
        out[count, 1] = person_end
        out[count, 2] = curr
        count += 1
    return count


@njit(cache=True, nogil=True)
def sliding_stays(
    code: npt.NDArray[np.int64],
    ticks: npt.NDArray[np.int64],
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    cutoff: float,
    min_stay_ticks: int,
    max_gap_ticks: int,
    include_last: bool,
) -> npt.NDArray[np.int64]:
    """Li et al.'s sliding window, exactly as trackintel's ``_generate_staypoints_sliding_user``.

    ``cutoff`` is :func:`moved_cutoff` of the distance threshold. Returns one row per stay: the index of its
    first ping, the index one past its last ping (the pings whose centroid is its place) and the index of
    the ping whose time ends it: the first ping that left, or the person's last ping when ``include_last``
    closes a stay still open at the end.
    """
    n = len(code)
    out = np.empty((max(16, n // 64), 3), dtype=np.int64)
    count = 0
    person_start = 0
    while person_start < n:
        person_end = person_start + 1
        while person_end < n and code[person_end] == code[person_start]:
            person_end += 1
        done = _person_stays(
            ticks,
            lat,
            lon,
            person_start,
            person_end,
            cutoff,
            min_stay_ticks,
            max_gap_ticks,
            include_last,
            out,
            count,
        )
        if done < 0:
            bigger = np.empty((2 * out.shape[0], 3), dtype=np.int64)
            bigger[:count] = out[:count]
            out = bigger
            continue
        count = done
        person_start = person_end
    return out[:count].copy()


# Below this many radians from the stay's first longitude, sin and cos come from their Taylor series (exact
# to double precision there: the first omitted term is < 1e-25) instead of two libm calls per ping.
_SERIES_ANGLE = 1e-3
_HASH_MULTIPLIER_A = np.uint64(0x9E3779B97F4A7C15)
_HASH_MULTIPLIER_B = np.uint64(0xC2B2AE3D27D4EB4F)


@njit(cache=True, nogil=True)
def stay_centroids(
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    first: npt.NDArray[np.int64],
    stop: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """trackintel's stay place: ``angle_centroid_multipoints`` of the ``union_all()`` of the stay's pings.

    ``union_all`` merges identical points, so each distinct location counts once however many pings repeat
    it (found here with a hash set of coordinate bit patterns); latitude is the plain mean, longitude the
    circular mean, atan2 of the mean sine and cosine, accumulated relative to the stay's first longitude.
    """
    k = len(first)
    out_lat = np.empty(k, dtype=np.float64)
    out_lon = np.empty(k, dtype=np.float64)
    longest = 1
    for s in range(k):
        longest = max(longest, stop[s] - first[s])
    size = 1
    while size < 2 * longest:
        size *= 2
    mask = np.uint64(size - 1)
    slot_lat = np.zeros(size, dtype=np.uint64)
    slot_lon = np.zeros(size, dtype=np.uint64)
    slot_owner = np.full(size, -1, dtype=np.int64)
    for s in range(k):
        base = lon[first[s]] * _DEG_TO_RAD
        sum_lat = 0.0
        sum_sin_d = 0.0
        sum_cos_d = 0.0
        sum_sin = 0.0
        sum_cos = 0.0
        distinct = 0
        for i in range(first[s], stop[s]):
            # -0.0 + 0.0 is 0.0: the same point whichever zero it was written with.
            lat_bits = np.float64(lat[i] + 0.0).view(np.uint64)
            lon_bits = np.float64(lon[i] + 0.0).view(np.uint64)
            slot = ((lat_bits * _HASH_MULTIPLIER_A) ^ (lon_bits * _HASH_MULTIPLIER_B)) >> np.uint64(17)
            slot &= mask
            seen = False
            while slot_owner[slot] == s:
                if slot_lat[slot] == lat_bits and slot_lon[slot] == lon_bits:
                    seen = True
                    break
                slot = (slot + np.uint64(1)) & mask
            if seen:
                continue
            slot_owner[slot] = s
            slot_lat[slot] = lat_bits
            slot_lon[slot] = lon_bits
            distinct += 1
            sum_lat += lat[i]
            angle = lon[i] * _DEG_TO_RAD
            d = angle - base
            if abs(d) < _SERIES_ANGLE:
                d2 = d * d
                sum_sin_d += d * (1.0 - d2 / 6.0 * (1.0 - d2 / 20.0))
                sum_cos_d += 1.0 - d2 / 2.0 * (1.0 - d2 / 12.0 * (1.0 - d2 / 30.0))
            else:
                sum_sin += math.sin(angle)
                sum_cos += math.cos(angle)
        sin_base = math.sin(base)
        cos_base = math.cos(base)
        mean_sin = (sum_sin + sin_base * sum_cos_d + cos_base * sum_sin_d) / distinct
        mean_cos = (sum_cos + cos_base * sum_cos_d - sin_base * sum_sin_d) / distinct
        out_lat[s] = sum_lat / distinct
        out_lon[s] = math.atan2(mean_sin, mean_cos) * _RAD_TO_DEG
    return out_lat, out_lon
