"""Who was near a confirmed case, for how long: the co-location query over a :class:`StayIndex`.

Semantics (the benchmark's DuckDB and PostGIS queries implement exactly these, see docs/tracing-engine.md):

* The case's stays are those of ``person`` that overlap the window ``[start, end)``, each clipped to it.
* An *encounter* is a pair (case stay ``c``, stay ``o`` of another person) with
  ``(x_c - x_o)² + (y_c - y_o)² ≤ (10·D)²`` on the index's integer decimetre coordinates (planar distance in
  the national projection, not haversine: within 0.2 % of it, i.e. millimetres at these distances) and a
  positive time overlap ``max(c.start, o.start) < min(c.end, o.end)`` (touching stays do not meet).
* A contact's ``minutes`` is the length of the *union* of its encounters' overlap intervals, in seconds / 60:
  a second in which the contact was near two of the case's stays (or two of its own stays were near the case)
  counts once. Contacts with ``minutes ≥ min_minutes`` are returned.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from numba import njit

from izquvar.errors import InvalidInput
from izquvar.trace.index import EPOCH_US, StayIndex

I64 = npt.NDArray[np.int64]

CONTACT_SCHEMA = pa.schema(
    [
        pa.field("person", pa.string(), nullable=False),
        pa.field("minutes", pa.float64(), nullable=False),
        pa.field("closest_m", pa.float64(), nullable=False),
        pa.field("first_seen", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("last_seen", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("n_encounters", pa.int64(), nullable=False),
    ]
)


def colocated(
    index: StayIndex,
    person: str,
    start: datetime,
    end: datetime,
    distance_m: float,
    min_minutes: float = 15.0,
) -> pa.Table:
    """One row per person who spent at least ``min_minutes`` within ``distance_m`` of ``person`` during
    ``[start, end)``, most minutes first (ties by person). Columns: :data:`CONTACT_SCHEMA`."""
    found = _encounters(index, person, start, end, distance_m)
    if found is None:
        return CONTACT_SCHEMA.empty_table()
    _case_pos, other_pos, ov_start, ov_end, d2 = found
    contacts, seconds, min_d2, first, last, count = _per_contact(
        index.person[other_pos], ov_start, ov_end, d2
    )
    keep = seconds >= math.ceil(min_minutes * 60.0)
    contacts, seconds, min_d2, first, last, count = (
        a[keep] for a in (contacts, seconds, min_d2, first, last, count)
    )
    order = np.lexsort((contacts, -seconds))
    return pa.table(
        {
            "person": index.persons.take(contacts[order]),
            "minutes": pa.array(seconds[order] / 60.0),
            "closest_m": pa.array(np.sqrt(min_d2[order].astype(np.float64)) / 10.0),
            "first_seen": _timestamps(first[order]),
            "last_seen": _timestamps(last[order]),
            "n_encounters": pa.array(count[order]),
        },
        schema=CONTACT_SCHEMA,
    )


def encounters(
    index: StayIndex,
    person: str,
    start: datetime,
    end: datetime,
    distance_m: float,
    min_minutes: float = 15.0,
) -> pa.Table:
    """The evidence behind :func:`colocated`: one row per (case stay, contact stay) encounter of the contacts
    it returns, with both stays' times, the clipped overlap, the distance and the index's carried columns
    (prefixed ``case_`` and ``contact_``)."""
    found = _encounters(index, person, start, end, distance_m)
    contacts = colocated(index, person, start, end, distance_m, min_minutes)
    if found is None or contacts.num_rows == 0:
        case_pos = other_pos = ov_start = ov_end = d2 = np.empty(0, dtype=np.int64)
    else:
        case_pos, other_pos, ov_start, ov_end, d2 = found
        names = [str(p) for p in contacts.column("person").to_pylist()]
        wanted = np.asarray([index.person_id(p) for p in names], dtype=np.int64)
        keep = np.isin(index.person[other_pos], wanted)
        case_pos, other_pos, ov_start, ov_end, d2 = (
            a[keep] for a in (case_pos, other_pos, ov_start, ov_end, d2)
        )
        order = np.lexsort((ov_start, index.person[other_pos]))
        case_pos, other_pos, ov_start, ov_end, d2 = (
            a[order] for a in (case_pos, other_pos, ov_start, ov_end, d2)
        )
    columns: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {
        "contact": index.persons.take(index.person[other_pos].astype(np.int64)),
        "case_start": _timestamps(index.start_s[case_pos]),
        "case_end": _timestamps(index.end_s[case_pos]),
        "contact_start": _timestamps(index.start_s[other_pos]),
        "contact_end": _timestamps(index.end_s[other_pos]),
        "overlap_start": _timestamps(ov_start),
        "overlap_end": _timestamps(ov_end),
        "distance_m": pa.array(np.sqrt(d2.astype(np.float64)) / 10.0),
    }
    if index.carried is not None:
        for name in index.carried.column_names:
            column = index.carried.column(name)
            columns[f"case_{name}"] = column.take(case_pos)
            columns[f"contact_{name}"] = column.take(other_pos)
    return pa.table(columns)


# ---------------------------------------------------------------------- internals


def _encounters(
    index: StayIndex, person: str, start: datetime, end: datetime, distance_m: float
) -> tuple[I64, I64, I64, I64, I64] | None:
    """Raw encounter arrays (case position, other position, overlap start/end in s, squared distance in dm²),
    or ``None`` when the case has no stays in the window."""
    if not (isinstance(distance_m, int | float) and math.isfinite(distance_m) and distance_m > 0):
        raise InvalidInput(f"distance_m must be a positive number of metres, got {distance_m!r}")
    if distance_m > index.max_distance_m:
        raise InvalidInput(
            f"distance_m={distance_m} exceeds this index's limit of {index.max_distance_m:g} m "
            f"({index.cell_m:g} m cells); rebuild the index with a larger cell_m"
        )
    w0, w1 = _window_seconds(start, end)
    pid = index.person_id(person)
    if pid is None or w0 >= w1:
        return None
    own = index.person_stays[index.person_offsets[pid] : index.person_offsets[pid + 1]]
    in_window = (index.start_s[own] < w1) & (index.end_s[own] > w0)
    case_pos = own[in_window].astype(np.int64)
    if len(case_pos) == 0:
        return None
    radius_dm = distance_m * 10.0
    ring = math.ceil(radius_dm / index.cell_dm)
    return _scan(  # type: ignore[no-any-return]
        case_pos,
        w0,
        w1,
        pid,
        radius_dm * radius_dm,
        ring,
        index.cell_dm,
        index.cell_keys,
        index.cell_offsets,
        index.person,
        index.x_dm,
        index.y_dm,
        index.start_s,
        index.end_s,
        index.run_max_end,
    )


def _window_seconds(start: datetime, end: datetime) -> tuple[int, int]:
    """The window in index seconds: ``start`` floored, ``end`` ceiled, so no second of the window is lost."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise InvalidInput(f"{name} must be a tz-aware datetime, got {value!r}")
    if end < start:
        raise InvalidInput(f"window end {end.isoformat()} is before its start {start.isoformat()}")
    epoch = EPOCH_US // 1_000_000
    w0 = math.floor(start.timestamp()) - epoch
    w1 = math.ceil(end.timestamp()) - epoch
    return max(w0, 0), min(max(w1, 0), np.iinfo(np.int32).max)


def _timestamps(seconds: npt.NDArray[np.integer]) -> pa.Array:  # type: ignore[type-arg]
    micros = seconds.astype(np.int64) * 1_000_000 + EPOCH_US
    return pa.array(micros, type=pa.int64()).cast(pa.timestamp("us", tz="UTC"))


@njit(cache=True, nogil=True)
def _scan(
    case_pos,
    w0,
    w1,
    case_pid,
    max_d2,
    ring,
    cell_dm,
    cell_keys,
    cell_offsets,  # type: ignore[no-untyped-def]
    person,
    x_dm,
    y_dm,
    start_s,
    end_s,
    run_max_end,
):
    """For every (clipped) case stay, scan the ring of neighbour cells, each cut to the case stay's time span
    by two binary searches; keep pairs within ``max_d2`` that overlap in time."""
    capacity = 1024
    out_case = np.empty(capacity, dtype=np.int64)
    out_other = np.empty(capacity, dtype=np.int64)
    out_start = np.empty(capacity, dtype=np.int64)
    out_end = np.empty(capacity, dtype=np.int64)
    out_d2 = np.empty(capacity, dtype=np.int64)
    n = 0
    for k in range(len(case_pos)):
        c = case_pos[k]
        cs = max(np.int64(start_s[c]), np.int64(w0))
        ce = min(np.int64(end_s[c]), np.int64(w1))
        if cs >= ce:
            continue
        cx = np.int64(x_dm[c])
        cy = np.int64(y_dm[c])
        gx = cx // cell_dm
        gy = cy // cell_dm
        for ix in range(gx - ring, gx + ring + 1):
            for iy in range(gy - ring, gy + ring + 1):
                near_x = max(ix * cell_dm - cx, np.int64(0), cx - (ix * cell_dm + cell_dm - 1))
                near_y = max(iy * cell_dm - cy, np.int64(0), cy - (iy * cell_dm + cell_dm - 1))
                if near_x * near_x + near_y * near_y > max_d2:
                    continue  # no point of this cell can lie within D of the case stay
                key = ix * np.int64(4294967296) + (iy + np.int64(2147483648))
                slot = np.searchsorted(cell_keys, key)
                if slot >= len(cell_keys) or cell_keys[slot] != key:
                    continue
                lo = cell_offsets[slot]
                hi = cell_offsets[slot + 1]
                first = lo + np.searchsorted(run_max_end[lo:hi], cs, side="right")
                last = lo + np.searchsorted(start_s[lo:hi], ce, side="left")
                for i in range(first, last):
                    if person[i] == case_pid:
                        continue
                    os_ = max(np.int64(start_s[i]), cs)
                    oe = min(np.int64(end_s[i]), ce)
                    if os_ >= oe:
                        continue
                    dx = np.int64(x_dm[i]) - cx
                    dy = np.int64(y_dm[i]) - cy
                    d2 = dx * dx + dy * dy
                    if d2 > max_d2:
                        continue
                    if n == capacity:
                        capacity *= 2
                        out_case = _grow(out_case, capacity)
                        out_other = _grow(out_other, capacity)
                        out_start = _grow(out_start, capacity)
                        out_end = _grow(out_end, capacity)
                        out_d2 = _grow(out_d2, capacity)
                    out_case[n] = c
                    out_other[n] = i
                    out_start[n] = os_
                    out_end[n] = oe
                    out_d2[n] = d2
                    n += 1
    return out_case[:n], out_other[:n], out_start[:n], out_end[:n], out_d2[:n]


@njit(cache=True, nogil=True)
def _grow(values, capacity):  # type: ignore[no-untyped-def]
    bigger = np.empty(capacity, dtype=values.dtype)
    bigger[: len(values)] = values
    return bigger


def _per_contact(
    other_pid: npt.NDArray[np.int32], ov_start: I64, ov_end: I64, d2: I64
) -> tuple[I64, I64, I64, I64, I64, I64]:
    """Per contact: union length of overlaps (s), closest squared distance, first/last second, encounters."""
    order = np.lexsort((ov_start, other_pid))
    return _union_by_person(other_pid[order].astype(np.int64), ov_start[order], ov_end[order], d2[order])  # type: ignore[no-any-return]


@njit(cache=True, nogil=True)
def _union_by_person(pid, ov_start, ov_end, d2):  # type: ignore[no-untyped-def]
    """Sweep encounters sorted by (person, overlap start), merging overlapping intervals per person."""
    n = len(pid)
    n_groups = 0
    for i in range(n):
        if i == 0 or pid[i] != pid[i - 1]:
            n_groups += 1
    people = np.empty(n_groups, dtype=np.int64)
    seconds = np.zeros(n_groups, dtype=np.int64)
    min_d2 = np.empty(n_groups, dtype=np.int64)
    first = np.empty(n_groups, dtype=np.int64)
    last = np.empty(n_groups, dtype=np.int64)
    count = np.zeros(n_groups, dtype=np.int64)
    g = -1
    run_start = np.int64(0)
    run_end = np.int64(0)
    for i in range(n):
        if i == 0 or pid[i] != pid[i - 1]:
            if g >= 0:
                seconds[g] += run_end - run_start
            g += 1
            people[g] = pid[i]
            min_d2[g] = d2[i]
            first[g] = ov_start[i]
            last[g] = ov_end[i]
            run_start = ov_start[i]
            run_end = ov_end[i]
        else:
            if ov_start[i] > run_end:
                seconds[g] += run_end - run_start
                run_start = ov_start[i]
                run_end = ov_end[i]
            elif ov_end[i] > run_end:
                run_end = ov_end[i]
            min_d2[g] = min(min_d2[g], d2[i])
            last[g] = max(last[g], ov_end[i])
        count[g] += 1
    if g >= 0:
        seconds[g] += run_end - run_start
    return people, seconds, min_d2, first, last, count
