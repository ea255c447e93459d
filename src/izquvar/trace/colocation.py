"""Who was near a confirmed case, for how long: the co-location query over a :class:`StayIndex`.

Semantics (the benchmark's DuckDB and PostGIS queries implement exactly these, see docs/tracing-engine.md):

* The case's stays are those of ``person`` that overlap the window ``[start, end)``, each clipped to it.
* An *encounter* is a pair (case stay ``c``, stay ``o`` of another person) with
  ``(x_c - x_o)² + (y_c - y_o)² ≤ (10·D)²`` on the index's integer decimetre coordinates (planar distance in
  the national projection, not haversine: within 0.4 % of it, i.e. centimetres at these distances) and a
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

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]

CONTACT_SCHEMA: pa.Schema = pa.schema(
    [  # type: ignore[arg-type]  # (pyarrow-stubs mistype a list of fields)
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
    ``[start, end)``, most minutes first (ties in name order). Columns: :data:`CONTACT_SCHEMA`."""
    check_min_minutes(min_minutes)
    query = prepare_query(index, person, start, end, distance_m)
    if query is None:
        return CONTACT_SCHEMA.empty_table()
    own, w0, w1, pid, max_d2, ring, cell_dm = query
    contacts, seconds, min_d2, first, last, count = _contacts(
        own, w0, w1, pid, max_d2, ring, cell_dm, math.ceil(min_minutes * 60.0),
        index.cell_keys, index.cell_offsets, index.person, index.x_dm, index.y_dm,
        index.start_s, index.end_s, index.run_max_end,
    )  # fmt: skip
    return pa.Table.from_arrays(
        [
            index.persons.take(contacts),
            pa.array(seconds / 60.0),
            pa.array(np.sqrt(min_d2.astype(np.float64)) / 10.0),
            _timestamps(first),
            _timestamps(last),
            pa.array(count),
        ],
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
    it returns, by contact and overlap start, with both stays' times, the clipped overlap, the distance and
    the index's carried columns (prefixed ``case_`` and ``contact_``)."""
    case_pos, other_pos, ov_start, ov_end, d2 = encounter_positions(index, person, start, end, distance_m, min_minutes)
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
    return pa.Table.from_pydict(columns)


def encounter_positions(
    index: StayIndex,
    person: str,
    start: datetime,
    end: datetime,
    distance_m: float,
    min_minutes: float = 15.0,
) -> tuple[I64, I64, I64, I64, I64]:
    """:func:`encounters` as index positions, without Arrow: the case's and the contact's stay positions, the
    overlap ``[start, end)`` in index seconds and the squared distance (dm²), by contact id and overlap start.
    Why: a trace reads a few columns of these rows; building an Arrow table of every carried column first
    cost more than the query."""
    check_min_minutes(min_minutes)
    query = prepare_query(index, person, start, end, distance_m)
    if query is None:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty, empty
    return grid_encounters(index, query, math.ceil(min_minutes * 60.0))


def grid_encounters(index: StayIndex, query: Query, min_seconds: int) -> tuple[I64, I64, I64, I64, I64]:
    """:func:`encounter_positions` of a prepared query (what ``engine.GridEngine`` runs): the kernel emits
    pairs by (case stay, contact stay) position, so a stable sort by (contact, overlap start) leaves them in
    the canonical order (contact, overlap start, case stay, contact stay)."""
    empty = np.empty(0, dtype=np.int64)
    own, w0, w1, pid, max_d2, ring, cell_dm = query
    wanted = _contacts(
        own, w0, w1, pid, max_d2, ring, cell_dm, min_seconds,
        index.cell_keys, index.cell_offsets, index.person, index.x_dm, index.y_dm,
        index.start_s, index.end_s, index.run_max_end,
    )[0]  # fmt: skip
    if not len(wanted):
        return empty, empty, empty, empty, empty
    case_pos, other_pos, ov_start, ov_end, d2 = _scan(
        own, w0, w1, pid, max_d2, ring, cell_dm, index.cell_keys, index.cell_offsets, index.person,
        index.x_dm, index.y_dm, index.start_s, index.end_s, index.run_max_end,
    )  # fmt: skip
    other_pid = index.person[other_pos].astype(np.int64)
    keep = np.isin(other_pid, wanted.astype(np.int64))
    order = np.lexsort((ov_start[keep], other_pid[keep]))
    return case_pos[keep][order], other_pos[keep][order], ov_start[keep][order], ov_end[keep][order], d2[keep][order]


def check_min_minutes(min_minutes: float) -> None:
    if not (isinstance(min_minutes, int | float) and math.isfinite(min_minutes) and min_minutes >= 0):
        raise InvalidInput(f"min_minutes must be a non-negative number, got {min_minutes!r}")


# ---------------------------------------------------------------------- internals

Query = tuple[npt.NDArray[np.integer[Any]], int, int, int, float, int, int]


def prepare_query(index: StayIndex, person: str, start: datetime, end: datetime, distance_m: float) -> Query | None:
    """Validate a query and turn it into the kernel's scalars: the case's stay positions, window seconds,
    case id, squared radius (dm²), ring of cells and cell size (dm); ``None`` when nothing can match."""
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
    radius_dm = distance_m * 10.0
    return own, w0, w1, pid, radius_dm * radius_dm, math.ceil(radius_dm / index.cell_dm), index.cell_dm


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


_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _timestamps(seconds: npt.NDArray[np.integer[Any]]) -> pa.Array[Any]:
    return pa.array(seconds.astype(np.int64) * 1_000_000 + EPOCH_US, type=_TIMESTAMP)


@njit(cache=True, nogil=True)
def _scan(
    own: npt.NDArray[np.integer[Any]],
    w0: int,
    w1: int,
    case_pid: int,
    max_d2: float,
    ring: int,
    cell_dm: int,
    cell_keys: I64,
    cell_offsets: I64,
    person: I32,
    x_dm: I32,
    y_dm: I32,
    start_s: I32,
    end_s: I32,
    run_max_end: I32,
) -> tuple[I64, I64, I64, I64, I64]:
    """All encounters of the case: for each of its stays in the window (clipped to it), the ring of
    neighbour cells, each cut to the stay's time span by two binary searches; keep pairs within ``max_d2``
    that overlap in time. Case stays are visited grouped by cell so that a place the case returns to daily
    (home, work) has its neighbour cells looked up once."""
    n_own = len(own)
    centre = np.empty(n_own, dtype=np.int64)
    for k in range(n_own):
        c = own[k]
        centre[k] = (np.int64(x_dm[c]) // cell_dm) * np.int64(4294967296) + (
            np.int64(y_dm[c]) // cell_dm + np.int64(2147483648)
        )
    visit = np.argsort(centre, kind="mergesort")  # stable: by place, then by start within a place
    side = 2 * ring + 1
    slots = np.empty(side * side, dtype=np.int64)
    cursor = np.empty(side * side, dtype=np.int64)  # per neighbour cell: where the last search ended
    capacity = 1024
    out_case = np.empty(capacity, dtype=np.int64)
    out_other = np.empty(capacity, dtype=np.int64)
    out_start = np.empty(capacity, dtype=np.int64)
    out_end = np.empty(capacity, dtype=np.int64)
    out_d2 = np.empty(capacity, dtype=np.int64)
    n = 0
    last_centre = np.int64(-1)
    for v in range(n_own):
        c = np.int64(own[visit[v]])
        cs = max(np.int64(start_s[c]), np.int64(w0))
        ce = min(np.int64(end_s[c]), np.int64(w1))
        if cs >= ce:
            continue
        cx = np.int64(x_dm[c])
        cy = np.int64(y_dm[c])
        gx = cx // cell_dm
        gy = cy // cell_dm
        if centre[visit[v]] != last_centre:  # a new place: look its neighbour cells up once
            last_centre = centre[visit[v]]
            for j in range(side * side):
                key = (gx - ring + j // side) * np.int64(4294967296) + (gy - ring + j % side + np.int64(2147483648))
                slot = np.searchsorted(cell_keys, key)
                slots[j] = slot if slot < len(cell_keys) and cell_keys[slot] == key else -1
                cursor[j] = cell_offsets[slot] if slots[j] >= 0 else 0
        for j in range(side * side):
            if slots[j] < 0:
                continue
            ix = gx - ring + j // side
            iy = gy - ring + j % side
            near_x = max(ix * cell_dm - cx, np.int64(0), cx - (ix * cell_dm + cell_dm - 1))
            near_y = max(iy * cell_dm - cy, np.int64(0), cy - (iy * cell_dm + cell_dm - 1))
            if near_x * near_x + near_y * near_y > max_d2:
                continue  # no point of this cell can lie within D of the case stay
            hi = cell_offsets[slots[j] + 1]
            # Later stays at the same place start later, so both bounds only move forward: gallop from the
            # previous position instead of bisecting the whole fortnight of the cell again.
            first = _gallop(run_max_end, cursor[j], hi, cs + 1)
            cursor[j] = first
            last = _gallop(start_s, first, hi, ce)
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
def _gallop(values: I32, lo: int, hi: int, target: int | np.int64) -> int:
    """First index in ``[lo, hi)`` with ``values[i] >= target`` (``values`` sorted there), probing 1, 2, 4...
    ahead of ``lo`` before bisecting, so a nearby answer costs a few cache lines, not a full bisection."""
    step = 1
    base = lo
    while base + step < hi and values[base + step - 1] < target:
        base += step
        step *= 2
    top = min(base + step, hi)
    while base < top:
        mid = (base + top) // 2
        if values[mid] < target:
            base = mid + 1
        else:
            top = mid
    return base


@njit(cache=True, nogil=True)
def _grow(values: I64, capacity: int) -> I64:
    bigger = np.empty(capacity, dtype=values.dtype)
    bigger[: len(values)] = values
    return bigger


@njit(cache=True, nogil=True)
def _contacts(
    own: npt.NDArray[np.integer[Any]],
    w0: int,
    w1: int,
    case_pid: int,
    max_d2: float,
    ring: int,
    cell_dm: int,
    min_seconds: int,
    cell_keys: I64,
    cell_offsets: I64,
    person: I32,
    x_dm: I32,
    y_dm: I32,
    start_s: I32,
    end_s: I32,
    run_max_end: I32,
) -> tuple[I64, I64, I64, I64, I64, I64]:
    """Per contact with at least ``min_seconds`` of union overlap, most seconds first then by person id:
    person id, union seconds, closest squared distance (dm²), first and last second, encounters."""
    _case, other, ov_start, ov_end, d2 = _scan(
        own, w0, w1, case_pid, max_d2, ring, cell_dm, cell_keys, cell_offsets, person, x_dm, y_dm,
        start_s, end_s, run_max_end,
    )  # fmt: skip
    n = len(other)
    pid = np.empty(n, dtype=np.int64)
    for i in range(n):
        pid[i] = person[other[i]]
    order = np.argsort(pid << np.int64(32) | ov_start)  # ids and seconds both fit in 31 bits
    people, seconds, min_d2, first, last, count = _union_by_person(
        pid[order], ov_start[order], ov_end[order], d2[order]
    )
    keep = seconds >= min_seconds
    people, seconds, min_d2, first, last, count = (
        people[keep], seconds[keep], min_d2[keep], first[keep], last[keep], count[keep],
    )  # fmt: skip
    rank = np.argsort((np.int64(2147483647) - seconds) << np.int64(32) | people)
    return people[rank], seconds[rank], min_d2[rank], first[rank], last[rank], count[rank]


@njit(cache=True, nogil=True)
def _union_by_person(pid: I64, ov_start: I64, ov_end: I64, d2: I64) -> tuple[I64, I64, I64, I64, I64, I64]:
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
