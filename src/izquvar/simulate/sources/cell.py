"""The mobile operator: a tower table and, for every phone owner, network events with the serving cell.

Events come every 30–60 minutes (calls, messages, data sessions, periodic updates) and whenever the phone
arrives somewhere new (handover / location update). The serving cell is usually the nearest one, not always:
load balancing, walls and terrain make the second or third nearest serve a share of events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.simulate.city import City, to_lat_lon
from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.schedule import Stays
from izquvar.simulate.sources.common import ArrowArray, locate, table, take, timestamps

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Mobile country code of Uzbekistan and the network code used for the simulated operator.
MCC, MNC = "434", "05"
_SERVING_BATCH = 1_000_000
_SEARCH = 1  # grid cells searched in each direction for candidate towers (jitter keeps the nearest within)


@dataclass(frozen=True)
class Towers:
    """Cells on a jittered square grid over the city; ``grid[ix, iy]`` is a cell index or -1."""

    cell_id: ArrowArray
    x: FloatArray
    y: FloatArray
    range_m: FloatArray
    grid: IntArray
    x0: float
    y0: float
    spacing: float

    @classmethod
    def build(cls, city: City, config: SimConfig, rng: np.random.Generator) -> Towers:
        # the grid covers the city's bounding box with a margin: a straight trip across a bay of the city
        # boundary, or Tashkent region around it, is served too
        s = config.tower_spacing_m
        minx, miny, maxx, maxy = city.bounds
        minx, miny, maxx, maxy = minx - 2 * s, miny - 2 * s, maxx + 2 * s, maxy + 2 * s
        nx = int(np.ceil((maxx - minx) / s)) + 1
        ny = int(np.ceil((maxy - miny) / s)) + 1
        mesh_x, mesh_y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
        ix, iy = mesh_x.ravel(), mesh_y.ravel()
        cx = minx + (ix + 0.5) * s
        cy = miny + (iy + 0.5) * s
        x = cx + rng.uniform(-0.3, 0.3, len(cx)) * s
        y = cy + rng.uniform(-0.3, 0.3, len(cy)) * s
        range_m = np.clip(
            s * rng.lognormal(np.log(1.3), 0.35, len(x)), config.tower_range_min_m, config.tower_range_max_m
        )
        grid = np.full((nx, ny), -1, dtype=np.int64)
        grid[ix, iy] = np.arange(len(x))
        lac = 1000 + ix // 10 * 100 + iy // 10
        ci = np.arange(len(x)) + 10001
        ids = np.char.add(np.char.add(f"{MCC}-{MNC}-", lac.astype(str)), np.char.add("-", ci.astype(str)))
        return cls(pa.array(ids), x, y, np.round(range_m, 0), grid, minx, miny, s)

    def table(self) -> pa.Table:
        lat, lon = to_lat_lon(self.x, self.y)
        return table("towers", {"cell_id": self.cell_id, "lat": lat, "lon": lon, "range_m": self.range_m})

    def serving(self, x: FloatArray, y: FloatArray, not_nearest: float, rng: np.random.Generator) -> IntArray:
        """Serving cell of each point: the nearest, or with some probability the 2nd or 3rd nearest."""
        nx, ny = self.grid.shape
        gx = np.clip(((x - self.x0) / self.spacing).astype(np.int64), 0, nx - 1)
        gy = np.clip(((y - self.y0) / self.spacing).astype(np.int64), 0, ny - 1)
        offsets = np.arange(-_SEARCH, _SEARCH + 1)
        ox, oy = np.meshgrid(offsets, offsets, indexing="ij")
        cand_x = np.clip(gx[:, None] + ox.ravel()[None, :], 0, nx - 1)
        cand_y = np.clip(gy[:, None] + oy.ravel()[None, :], 0, ny - 1)
        cand = self.grid[cand_x, cand_y]
        d2 = (self.x[cand] - x[:, None]) ** 2 + (self.y[cand] - y[:, None]) ** 2
        d2 = np.where(cand >= 0, d2, np.inf)
        order = np.argsort(d2, axis=1)[:, :3]
        rank = np.where(rng.random(len(x)) < not_nearest, rng.integers(1, 3, len(x)), 0)
        rows = np.arange(len(x))
        chosen = cand[rows, order[rows, rank]]
        fallback = cand[rows, order[:, 0]]
        served: IntArray = np.where(np.isfinite(d2[rows, order[rows, rank]]), chosen, fallback)
        return served


def events(
    stays: Stays,
    has_phone: BoolArray,
    subscriber: ArrowArray,
    towers: Towers,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """The day's network events of every phone owner."""
    owners = np.flatnonzero(has_phone)
    lo, hi = config.cell_interval_min_min, config.cell_interval_max_min
    per_person = int(np.ceil(1440.0 / lo)) + 1
    parts_person: list[IntArray] = []
    parts_minute: list[FloatArray] = []
    step = max(1, 2_000_000 // per_person)
    for a in range(0, len(owners), step):
        who = owners[a : a + step]
        gaps = rng.uniform(lo, hi, (len(who), per_person))
        gaps[:, 0] = rng.uniform(0.0, hi, len(who))
        t = np.cumsum(gaps, axis=1)
        ok = t < 1440.0
        parts_person.append(np.broadcast_to(who[:, None], t.shape)[ok])
        parts_minute.append(t[ok])
    # arrivals: a location update when the phone reaches a new place (after the first stay of the day)
    arrive = np.flatnonzero(has_phone[stays.person] & np.r_[False, stays.person[1:] == stays.person[:-1]])
    parts_person.append(stays.person[arrive])
    parts_minute.append(stays.start[arrive] + rng.uniform(0.0, 2.0, len(arrive)))
    person = np.concatenate(parts_person)
    minute = np.concatenate(parts_minute)
    x, y, _, _ = locate(stays, person, minute)
    cell = np.empty(len(x), dtype=np.int64)
    for lo_row in range(0, len(x), _SERVING_BATCH):  # bounded memory: 9 candidates per event
        batch = slice(lo_row, lo_row + _SERVING_BATCH)
        cell[batch] = towers.serving(x[batch], y[batch], config.cell_not_nearest_share, rng)
    us = clock.to_utc_us(day, minute)
    order = np.lexsort((cell, us, person))
    person, us, cell = person[order], us[order], cell[order]
    dup = np.r_[False, (person[1:] == person[:-1]) & (us[1:] == us[:-1]) & (cell[1:] == cell[:-1])]
    keep = ~dup
    return table(
        "cell",
        {
            "subscriber": take(subscriber, person[keep]),
            "time": timestamps(us[keep]),
            "cell_id": take(towers.cell_id, cell[keep]),
        },
    )
