"""Who was near whom: positions inside places every 5 minutes, and the pairs close enough to matter.

Stays are cut into 5-minute slots (a person is in a slot when the stay covers its midpoint). Each slot gets a
position inside the stay's zone: a fixed seat where people sit (classes, offices, carriages, prayer rows) and
a fresh random spot every 10–20 minutes where they walk about (bazaars, shops, parks, homes by day). Pairs are
found without pairwise loops: rows are sorted by (place, zone, slot, grid cell) and each row is joined to its
own and four neighbouring cells with ``searchsorted``, so work grows with local density, not group size
squared. Places are processed in chunks so memory stays bounded at a million people.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.simulate.schedule import Stays

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SLOT_MIN = 5
SLOTS_PER_DAY = 1440 // SLOT_MIN
#: Night at home (before 06:30, after 22:30): people sleep in place, in bedrooms shared by about two.
NIGHT_SLOTS = (78, 270)
PEOPLE_PER_BEDROOM = 2
BEDROOM_SIDE_M = 3.5
_CELL_BITS = 11
_CELL_MASK = (1 << _CELL_BITS) - 1


@dataclass(frozen=True)
class PlaceGeometry:
    """Per place (venues then homes): zone rectangle, indoor flag and whether people move about inside."""

    zone_w: FloatArray
    zone_h: FloatArray
    indoor: BoolArray
    mobile: BoolArray
    is_home: BoolArray
    #: Metres east/north of each place's reference point, for absolute positions.
    x: FloatArray
    y: FloatArray
    underground: BoolArray


@dataclass(frozen=True)
class SlotRows:
    """People present per slot in one chunk of places, sorted by (place, zone, slot, cell)."""

    person: IntArray
    place: IntArray
    zone: IntArray
    slot: IntArray
    x: FloatArray  # position inside the zone, metres
    y: FloatArray
    stay: IntArray  # index into the day's stays
    #: Size of the zone the row is in (a bedroom at night at home), metres.
    w: FloatArray
    h: FloatArray


def expand(
    stays: Stays, rows: IntArray, geometry: PlaceGeometry, bedroom: IntArray, rng: np.random.Generator
) -> SlotRows:
    """Slot rows with positions for the stays ``rows`` (indices into ``stays``).

    ``bedroom`` is each person's bedroom number (≥ 1) at home; zone 0 of a home is its shared living space.
    """
    first = np.ceil((stays.start[rows] - SLOT_MIN / 2) / SLOT_MIN).astype(np.int64)
    last = np.ceil((stays.end[rows] - SLOT_MIN / 2) / SLOT_MIN).astype(np.int64)
    first = np.clip(first, 0, SLOTS_PER_DAY)
    last = np.clip(last, 0, SLOTS_PER_DAY)
    count = np.maximum(last - first, 0)
    total = int(count.sum())
    stay = np.repeat(rows, count)
    offsets = np.r_[0, np.cumsum(count)][:-1]
    within = np.arange(total, dtype=np.int64) - np.repeat(offsets, count)
    slot = np.repeat(first, count) + within
    place = stays.place[stay]
    mobile = geometry.mobile[place]
    night = (slot < NIGHT_SLOTS[0]) | (slot >= NIGHT_SLOTS[1])
    asleep = geometry.is_home[place] & night
    mobile = mobile & ~asleep
    person = stays.person[stay]
    zone = np.where(asleep, bedroom[person], stays.zone[stay])
    w = np.where(asleep, BEDROOM_SIDE_M, geometry.zone_w[place])
    h = np.where(asleep, BEDROOM_SIDE_M, geometry.zone_h[place])
    # a walker re-draws position every 2–4 slots (10–20 min), with a per-stay phase so not all move together
    block = rng.integers(2, 5, size=len(rows))
    phase = rng.integers(0, 4, size=len(rows))
    local_block = np.repeat(block, count)
    local_phase = np.repeat(phase, count)
    redraw = (within == 0) | (mobile & ((slot + local_phase) % local_block == 0))
    redraw |= np.r_[True, (mobile[1:] != mobile[:-1]) | (zone[1:] != zone[:-1])]
    source = np.maximum.accumulate(np.where(redraw, np.arange(total), 0))
    ux = rng.random(total)[source]
    uy = rng.random(total)[source]
    return SlotRows(person=person, place=place, zone=zone, slot=slot, x=ux * w, y=uy * h, stay=stay, w=w, h=h)


def absolute_xy(rows: SlotRows, geometry: PlaceGeometry, sel: IntArray) -> tuple[FloatArray, FloatArray]:
    """City metres (east, north) of the slot rows ``sel``: a zone is centred on its place's reference point.

    The one conversion from positions inside a zone to the city frame, shared by GPS fixes and truth stays so
    that both say the same thing about where a person was.
    """
    place = rows.place[sel]
    x = geometry.x[place] + rows.x[sel] - rows.w[sel] / 2.0
    y = geometry.y[place] + rows.y[sel] - rows.h[sel] / 2.0
    return x, y


def chunks_by_place(stays: Stays, budget_rows: int) -> Iterator[IntArray]:
    """Groups of stay indices, whole places at a time, each expanding to about ``budget_rows`` slot rows."""
    order = np.argsort(stays.place, kind="stable")
    slots = np.maximum(np.ceil((stays.end - stays.start) / SLOT_MIN), 1.0)[order]
    cumulative = np.cumsum(slots)
    place_sorted = stays.place[order]
    boundary = np.r_[True, place_sorted[1:] != place_sorted[:-1]]
    lo = 0
    n = len(order)
    while lo < n:
        target = (cumulative[lo - 1] if lo else 0.0) + budget_rows
        hi = int(np.searchsorted(cumulative, target, side="right"))
        hi = max(hi, lo + 1)
        # extend to the end of the place so that a place is never split
        while hi < n and not boundary[hi]:
            nxt = np.flatnonzero(boundary[hi:])
            hi = n if len(nxt) == 0 else hi + int(nxt[0])
        yield order[lo:hi]
        lo = hi


def group_keys(rows: SlotRows, cell_m: float) -> tuple[IntArray, IntArray]:
    """Sort order and sorted keys of (place, zone, slot, cell) for pair search with cells of ``cell_m``."""
    group = (rows.place * 10_007 + rows.zone) * SLOTS_PER_DAY + rows.slot
    _, dense = np.unique(group, return_inverse=True)
    cx = np.minimum((rows.x / cell_m).astype(np.int64) + 1, _CELL_MASK - 1)
    cy = np.minimum((rows.y / cell_m).astype(np.int64) + 1, _CELL_MASK - 1)
    key = (dense.astype(np.int64) << (2 * _CELL_BITS)) | (cx << _CELL_BITS) | cy
    order = np.argsort(key, kind="stable")
    return order, key[order]


def pairs_within(key: IntArray, x: FloatArray, y: FloatArray, radius: float) -> tuple[IntArray, IntArray, FloatArray]:
    """All pairs (i < j in sorted order) of a group within ``radius``, from keys sorted with cells ≥ radius.

    ``x`` and ``y`` are in the sorted order of ``key``.
    """
    n = len(key)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    idx = np.arange(n, dtype=np.int64)
    # runs of equal keys (one occupied cell of one group): neighbours are looked up once per cell, not per row
    first = np.r_[True, key[1:] != key[:-1]]
    run = np.cumsum(first) - 1
    run_start = np.flatnonzero(first)
    run_end = np.r_[run_start[1:], n]
    cells = key[run_start]
    out_i: list[IntArray] = []
    out_j: list[IntArray] = []
    out_d: list[FloatArray] = []
    for dx, dy in ((0, 0), (1, -1), (1, 0), (1, 1), (0, 1)):
        if dx == 0 and dy == 0:
            lo = idx + 1
            hi = run_end[run]
        else:
            target = cells + (dx << _CELL_BITS) + dy
            pos = np.searchsorted(cells, target, side="left")
            found = pos < len(cells)
            found[found] = cells[pos[found]] == target[found]
            pos = np.minimum(pos, len(cells) - 1)
            lo = np.where(found, run_start[pos], 0)[run]
            hi = np.where(found, run_end[pos], 0)[run]
        count = np.maximum(hi - lo, 0)
        total = int(count.sum())
        if total == 0:
            continue
        i = np.repeat(idx, count)
        start = np.repeat(lo - np.r_[0, np.cumsum(count)][:-1], count)
        j = start + np.arange(total, dtype=np.int64)
        d = np.hypot(x[i] - x[j], y[i] - y[j])
        keep = d <= radius
        out_i.append(i[keep])
        out_j.append(j[keep])
        out_d.append(d[keep])
    if not out_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)
