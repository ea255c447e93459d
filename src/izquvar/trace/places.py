"""The case's movement path: GPS stays fused with check-ins, card payments and operator records.

Rules (docs/tracing.md):

* every GPS stay in the window is a place (clipped to the window); certainty ``0.95 · exp(-accuracy / 200 m)``;
* a check-in or a card payment's assumed visit at the venue of an overlapping GPS stay adds its source to
  that place (certainty combined as independent confirmations, ``1 - Π(1 - c)``); otherwise it is a place of
  its own at the venue (certainty 0.7 with a check-out, 0.6 with an assumed dwell, 0.5 for a payment);
* operator records fill only the time no other source covers: consecutive records of one cell (gaps under an
  hour) make a place at the tower, ±15 minutes, certainty 0.2 (a cell spans hundreds of metres);
* a place within 150 m of the case's registered home and at no venue is the private setting ``home``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from izquvar.geo.distance import haversine_m
from izquvar.i18n import Lang
from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case
from izquvar.trace.fuse import SOURCE_ORDER, area_ref, venue_ref
from izquvar.trace.result import AreaRef, Place, Source
from izquvar.trace.sources.card import payment_visits
from izquvar.trace.sources.checkins import visits
from izquvar.trace.sources.venues import point
from izquvar.trace.sources.visits import at_someones_home

HOME_RADIUS_M = 150.0
CELL_GAP_S = 3600
CELL_PAD_S = 15 * 60
CERTAINTY = {"checkins": 0.7, "checkins_assumed": 0.6, "card": 0.5, "cell": 0.2}


@dataclass
class _Stop:
    start_s: int
    end_s: int
    lat: float
    lon: float
    venue_id: str | None
    areas: tuple[object, object, object]
    sources: set[str] = field(default_factory=set)
    #: Error of the position (GPS stays: accuracy / √pings), for matching it to a registered home.
    sigma_m: float = 25.0
    doubt: float = 1.0  # Π(1 - certainty) over its sources

    def confirm(self, source: str, certainty: float) -> None:
        self.sources.add(source)
        self.doubt *= 1.0 - certainty


def case_places(case: Case, data: TraceData, lang: Lang, areas: Any) -> list[Place]:
    """The case's places in the window, by start."""
    stops = _gps_stops(case)
    for visit_rows, source in (
        (_visits(data.checkins.rows(case.person), data, case), "checkins"),
        (_payments(data.card.rows(case.person), data, case), "card"),
    ):
        for venue_id, start, end, certainty in visit_rows:
            match = next((s for s in stops if s.venue_id == venue_id and s.start_s < end and s.end_s > start), None)
            if match is None:
                where = point(data.venues, venue_id)
                if where is None:
                    continue
                v = data.venues.loc[venue_id]
                match = _Stop(int(start), int(end), where[0], where[1], venue_id,
                              (v.get("region_id"), v.get("district_id"), v.get("mahalla_id")))  # fmt: skip
                stops.append(match)
            match.confirm(source, certainty)
    stops.extend(_cell_stops(case, data, stops))
    stops.sort(key=lambda s: (s.start_s, s.end_s))
    return [_place(s, case, data, lang, areas) for s in stops]


def _gps_stops(case: Case) -> list[_Stop]:
    stays = case.stays
    if not len(stays):
        return []
    start = np.maximum(stays["start_s"].to_numpy(np.int64), case.start_s)
    end = np.minimum(stays["end_s"].to_numpy(np.int64), case.end_s)
    accuracy = stays["accuracy_m"].fillna(25.0).to_numpy(np.float64)
    certainty = 0.95 * np.exp(-accuracy / 200.0)
    stops = []
    for k, row in enumerate(stays.itertuples(index=False)):
        if end[k] <= start[k]:
            continue
        venue = row.venue_id if isinstance(row.venue_id, str) else None
        stop = _Stop(int(start[k]), int(end[k]), _float(row.lat), _float(row.lon), venue,
                     (row.region_id, row.district_id, row.mahalla_id))  # fmt: skip
        stop.sigma_m = float(accuracy[k] / np.sqrt(max(_float(row.n_pings), 1.0)))
        stop.confirm("gps", float(certainty[k]))
        stops.append(stop)
    return stops


def _visits(rows: pd.DataFrame, data: TraceData, case: Case) -> list[tuple[str, int, int, float]]:
    if not len(rows):
        return []
    v = visits(rows, data)
    v = v[(v["start_s"] < case.end_s) & (v["end_s"] > case.start_s)]
    certainty = np.where(v["assumed"].to_numpy(bool), CERTAINTY["checkins_assumed"], CERTAINTY["checkins"])
    return [
        (str(a), max(int(b), case.start_s), min(int(c), case.end_s), float(d))
        for a, b, c, d in zip(v["venue_id"], v["start_s"], v["end_s"], certainty, strict=True)
    ]


def _payments(rows: pd.DataFrame, data: TraceData, case: Case) -> list[tuple[str, int, int, float]]:
    rows = rows[rows["venue_id"].notna()]
    if not len(rows):
        return []
    v = payment_visits(rows, data)
    v = v[(v["start_s"] < case.end_s) & (v["end_s"] > case.start_s)]
    return [
        (str(a), max(int(b), case.start_s), min(int(c), case.end_s), CERTAINTY["card"])
        for a, b, c in zip(v["venue_id"], v["start_s"], v["end_s"], strict=True)
    ]


def _cell_stops(case: Case, data: TraceData, covered: list[_Stop]) -> list[_Stop]:
    """Runs of one cell's records at times no other place covers."""
    if case.phone is None:
        return []
    t, own_cells = data.cell_events.own(case.phone)
    keep = (t >= case.start_s) & (t < case.end_s)
    if covered:
        s = np.asarray([c.start_s for c in covered])
        e = np.asarray([c.end_s for c in covered])
        keep &= ~((t[:, None] >= s[None, :]) & (t[:, None] < e[None, :])).any(axis=1)
    t = t[keep]
    cells = own_cells[keep]
    if not len(t):
        return []
    new_run = np.r_[True, (cells[1:] != cells[:-1]) | (np.diff(t) > CELL_GAP_S)]
    run = np.cumsum(new_run) - 1
    first = pd.Series(t).groupby(run).min().to_numpy(np.int64)
    last = pd.Series(t).groupby(run).max().to_numpy(np.int64)
    run_cell = cells[new_run]
    towers = data.towers.reindex(run_cell)
    lat = towers["lat"].to_numpy(np.float64)
    lon = towers["lon"].to_numpy(np.float64)
    known = np.isfinite(lat)
    region, district, mahalla = (towers[c].to_numpy(object) for c in ("region_id", "district_id", "mahalla_id"))
    stops = []
    for k in np.flatnonzero(known):
        stop = _Stop(max(int(first[k]) - CELL_PAD_S, case.start_s), min(int(last[k]) + CELL_PAD_S, case.end_s),
                     float(lat[k]), float(lon[k]), None, (region[k], district[k], mahalla[k]))  # fmt: skip
        stop.confirm("cell", CERTAINTY["cell"])
        stops.append(stop)
    return stops


def _place(stop: _Stop, case: Case, data: TraceData, lang: Lang, areas: Any) -> Place:
    venue = venue_ref(data, stop.venue_id)
    if venue is not None:
        setting = venue.category
    elif stop.sources == {"cell"}:
        setting = "area"
    elif case.home is not None and float(haversine_m(stop.lat, stop.lon, case.home[0], case.home[1])) <= HOME_RADIUS_M:
        setting = "home"
    elif stop.sources == {"gps"} and at_someones_home(data, stop.lat, stop.lon, stop.sigma_m):
        setting = "visit"
    else:
        setting = "unknown"
    area = area_ref(areas, *stop.areas, lang)
    sources: list[Source] = [s for s in SOURCE_ORDER if s in stop.sources]
    return Place(
        start=dt.datetime.fromtimestamp(stop.start_s, dt.UTC),
        end=dt.datetime.fromtimestamp(stop.end_s, dt.UTC),
        minutes=round((stop.end_s - stop.start_s) / 60.0, 2),
        lat=stop.lat,
        lon=stop.lon,
        venue=venue,
        setting=setting,
        area=area if area is not None else AreaRef(),
        sources=sources,
        certainty=round(1.0 - stop.doubt, 3),
    )


def _float(value: object) -> float:
    return float(value)  # type: ignore[arg-type]  # pandas row values are untyped scalars
