"""The case's movement path: GPS stays fused with check-ins, card payments and operator records.

Rules (docs/tracing.md; the figures are the ``places`` section of :mod:`izquvar.trace.rules`):

* every GPS stay in the window is a place (clipped to the window); certainty ``0.95 · exp(-accuracy / 200 m)``;
* a check-in or a card payment's assumed visit at the venue of an overlapping GPS stay adds its source to
  that place (certainty combined as independent confirmations, ``1 - Π(1 - c)``); otherwise it is a place of
  its own at the venue (certainty 0.7 with a check-out, 0.6 with an assumed dwell, 0.5 for a payment);
* operator records fill only the time no other source covers: consecutive records of one cell (gaps under an
  hour) make a place at the tower, ±15 minutes, certainty 0.2 (a cell spans hundreds of metres);
* a place within ``home_radius_m`` (150 m) of the case's registered home and at no venue is the private
  setting ``home``; a GPS-only place at someone else's registered home (the visit rules) is a ``visit``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from izquvar.i18n import Lang
from izquvar.trace.columnar import Columns
from izquvar.trace.evidence import TracedCase
from izquvar.trace.fuse import SOURCE_ORDER, area_ref, trusted, venue_ref
from izquvar.trace.result import AreaRef, Place, Source
from izquvar.trace.rules import DEFAULT_RULES, PlaceRules, TracingRules
from izquvar.trace.sources.card import payment_visits
from izquvar.trace.sources.checkins import visits
from izquvar.trace.sources.visits import at_someones_home, within_m
from izquvar.trace.trace_data import TraceData


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


def case_places(
    case: TracedCase, data: TraceData, lang: Lang, areas: Any, rules: TracingRules = DEFAULT_RULES
) -> list[Place]:
    """The case's places in the window, by start, under ``rules`` (places, visits, check-ins, home radius)."""
    place_rules = rules.places
    stops = _gps_stops(case, place_rules)
    person = data.person_code(case.person)
    facts = data.venue_facts
    known_venues = len(data.venues)
    for visit_rows, source in (
        (_visits(data.checkins.rows(person), data, case, rules), "checkins"),
        (_payments(data.card.rows(person), data, case, place_rules), "card"),
    ):
        for venue, start, end, certainty in visit_rows:
            venue_id = str(data.venue_ids.names[venue])
            match = next((s for s in stops if s.venue_id == venue_id and s.start_s < end and s.end_s > start), None)
            if match is None:
                if venue >= known_venues:
                    continue
                areas_of = (facts["region_id"][venue], facts["district_id"][venue], facts["mahalla_id"][venue])
                where = (float(facts["lat"][venue]), float(facts["lon"][venue]))
                match = _Stop(int(start), int(end), where[0], where[1], venue_id, areas_of)
                stops.append(match)
            match.confirm(source, certainty)
    stops.extend(_cell_stops(case, data, stops, place_rules))
    stops.sort(key=lambda s: (s.start_s, s.end_s))
    area_refs = _AreaRefs(areas, lang)
    gps_only = [k for k, s in enumerate(stops) if s.sources == {"gps"}]
    at_home = at_someones_home(
        data,
        np.asarray([stops[k].lat for k in gps_only], dtype=np.float64),
        np.asarray([stops[k].lon for k in gps_only], dtype=np.float64),
        np.asarray([stops[k].sigma_m for k in gps_only], dtype=np.float64),
        rules.visits,
    )
    visited = set(np.asarray(gps_only, dtype=np.int64)[at_home].tolist())
    lat = np.asarray([s.lat for s in stops], dtype=np.float64)
    lon = np.asarray([s.lon for s in stops], dtype=np.float64)
    near = rules.home_radius_m
    home = within_m(lat, lon, case.home, near).tolist() if case.home is not None else [False] * len(stops)
    return [_place(s, data, area_refs, home[k], k in visited) for k, s in enumerate(stops)]


class _AreaRefs:
    """Area references of one trace, each made once: a path visits the same few areas again and again, and the
    models are immutable, so places share them."""

    def __init__(self, areas: Any, lang: Lang) -> None:
        self.areas, self.lang = areas, lang
        self.made: dict[tuple[object, object, object], AreaRef] = {}

    def of(self, ids: tuple[object, object, object]) -> AreaRef:
        ref = self.made.get(ids)
        if ref is None:
            ref = area_ref(self.areas, *ids, self.lang) or AreaRef()
            self.made[ids] = ref
        return ref


def _gps_stops(case: TracedCase, rules: PlaceRules) -> list[_Stop]:
    stays = case.stays
    if not len(stays):
        return []
    start = np.maximum(stays["start_s"], case.start_s)
    end = np.minimum(stays["end_s"], case.end_s)
    accuracy = stays["accuracy_m"].astype(np.float64)
    accuracy = np.where(np.isnan(accuracy), 25.0, accuracy)
    certainty = rules.gps_certainty * np.exp(-accuracy / rules.gps_certainty_scale_m)
    sigma = accuracy / np.sqrt(np.maximum(stays["n_pings"].astype(np.float64), 1.0))
    kept = np.flatnonzero(end > start)
    columns = ("venue_id", "lat", "lon", "region_id", "district_id", "mahalla_id")
    venue, lat, lon, region, district, mahalla = (stays[name][kept].tolist() for name in columns)
    stops = []
    for k, row in enumerate(kept.tolist()):  # one stop per stay: each becomes a place
        stop = _Stop(int(start[row]), int(end[row]), float(lat[k]), float(lon[k]),
                     venue[k] if isinstance(venue[k], str) else None, (region[k], district[k], mahalla[k]))  # fmt: skip
        stop.sigma_m = float(sigma[row])
        stop.confirm("gps", float(certainty[row]))
        stops.append(stop)
    return stops


def _visits(rows: Columns, data: TraceData, case: TracedCase, rules: TracingRules) -> list[tuple[int, int, int, float]]:
    if not len(rows):
        return []
    start, end, assumed = visits(rows, data, rules.checkins)
    inside = (start < case.end_s) & (end > case.start_s)
    certainty = np.where(
        assumed[inside], rules.places.certainty["checkins_assumed"], rules.places.certainty["checkins"]
    )
    return list(
        zip(
            rows["venue"][inside].tolist(),
            np.maximum(start[inside], case.start_s).tolist(),
            np.minimum(end[inside], case.end_s).tolist(),
            certainty.tolist(),
            strict=True,
        )
    )


def _payments(rows: Columns, data: TraceData, case: TracedCase, rules: PlaceRules) -> list[tuple[int, int, int, float]]:
    rows = rows.take(rows["venue"] >= 0)
    if not len(rows):
        return []
    start, end = payment_visits(rows, data)
    inside = (start < case.end_s) & (end > case.start_s)
    return [
        (venue, lo, hi, rules.certainty["card"])
        for venue, lo, hi in zip(
            rows["venue"][inside].tolist(),
            np.maximum(start[inside], case.start_s).tolist(),
            np.minimum(end[inside], case.end_s).tolist(),
            strict=True,
        )
    ]


def _cell_stops(case: TracedCase, data: TraceData, covered: list[_Stop], rules: PlaceRules) -> list[_Stop]:
    """Runs of one cell's records at times no other place covers."""
    if case.phone is None:
        return []
    t, cells = data.cell_events.own_codes(case.phone)
    inside = slice(int(np.searchsorted(t, case.start_s, "left")), int(np.searchsorted(t, case.end_s, "left")))
    t, cells = t[inside], cells[inside]  # the phone's records are by time
    if covered and len(t):
        # a record is covered when some place starting at or before it ends after it: by start, the furthest
        # end reached so far says so with one binary search per record
        s = np.asarray([c.start_s for c in covered], dtype=np.int64)
        e = np.asarray([c.end_s for c in covered], dtype=np.int64)
        order = np.argsort(s, kind="stable")
        reach = np.maximum.accumulate(e[order])
        before = np.searchsorted(s[order], t, side="right") - 1
        free = ~((before >= 0) & (reach[np.maximum(before, 0)] > t))
        t, cells = t[free], cells[free]
    if not len(t):
        return []
    new_run = np.r_[True, (cells[1:] != cells[:-1]) | (np.diff(t) > rules.cell_gap_s)]
    heads = np.flatnonzero(new_run)
    start = np.maximum(np.minimum.reduceat(t, heads) - rules.cell_pad_s, case.start_s)
    end = np.minimum(np.maximum.reduceat(t, heads) + rules.cell_pad_s, case.end_s)
    towers = data.tower_columns
    located = np.isfinite(towers["lat"][cells[heads]])  # a cell without a known tower makes no place
    run_cell, start, end = cells[heads][located], start[located], end[located]
    columns = ("lat", "lon", "region_id", "district_id", "mahalla_id")
    lat, lon, region, district, mahalla = (towers[name][run_cell].tolist() for name in columns)
    stops = []
    for k, (lo, hi) in enumerate(zip(start.tolist(), end.tolist(), strict=True)):  # one stop per run of records
        stop = _Stop(lo, hi, lat[k], lon[k], None, (region[k], district[k], mahalla[k]))
        stop.confirm("cell", rules.certainty["cell"])
        stops.append(stop)
    return stops


def _place(stop: _Stop, data: TraceData, area_refs: _AreaRefs, near_home: bool, at_a_home: bool) -> Place:
    """The place of a stop; ``near_home``: within the home radius of the case's registered home;
    ``at_a_home``: a GPS-only stop at someone's registered home."""
    venue = venue_ref(data, stop.venue_id)
    if venue is not None:
        setting = venue.category
    elif stop.sources == {"cell"}:
        setting = "area"
    elif near_home:
        setting = "home"
    elif at_a_home:
        setting = "visit"
    else:
        setting = "unknown"
    sources: list[Source] = [s for s in SOURCE_ORDER if s in stop.sources]
    # every field is already of its model type and within its bounds (stops end after they start, points come
    # from validated feeds): built as fusion builds contacts, without re-validating each place
    return trusted(
        Place,
        {
            "start": dt.datetime.fromtimestamp(stop.start_s, dt.UTC),
            "end": dt.datetime.fromtimestamp(stop.end_s, dt.UTC),
            "minutes": round((stop.end_s - stop.start_s) / 60.0, 2),
            "lat": stop.lat,
            "lon": stop.lon,
            "venue": venue,
            "setting": setting,
            "area": area_refs.of(stop.areas),
            "sources": sources,
            "certainty": round(1.0 - stop.doubt, 3),
        },
    )
