"""GPS stays: co-location of two people's stays, judged by how precisely their stay centroids are known.

A stay's centroid averages its pings, so its error is about ``accuracy / sqrt(n_pings)`` (GPS σ is ~8 m
outdoors and ~25 m indoors for phones): a long stay pins a seat to a few metres, a short walk-in does not. The
distance between two centroids therefore has an error ``σ_d = sqrt(σ_a² / n_a + σ_b² / n_b)`` (floor 1 m).
Rules:

* candidates: stays within ``gps.query_m`` (rules) overlapping in time for at least ``gps.min_minutes`` in total;
* kept when the observed distance ``d ≤ close + 2.5 σ_d`` (``gps.together_sigmas``; consistent with being
  together);
* ``p_near``, the chance the true distance was within the close distance, is the Gaussian approximation
  ``(1 - exp(-r² / 2s²)) · exp(-max(d - r, 0)² / 2s²)`` with ``s = σ_d / √2`` per axis; at a venue of several
  zones (rooms, carriages) that GPS cannot tell apart it is divided by the number of zones;
* grade close when ``p_near ≥ 0.5`` (``gps.close_p_near``; GPS alone resolves 2 m only for long, precise
  stays), else casual;
* setting ``home`` for a meeting at no venue within ``home_radius_m`` of the case's registered home.
"""

from __future__ import annotations

import numpy as np

from izquvar.trace.engine import ColocationEngine, GridEngine, encounter_query
from izquvar.trace.evidence import EvidenceBatch, TracedCase, clip, empty
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, GpsRules
from izquvar.trace.trace_data import TraceData, index_seconds


class GpsSource:
    name: Source = "gps"

    def __init__(self, rules: GpsRules = DEFAULT_RULES.gps, home_radius_m: float = DEFAULT_RULES.home_radius_m) -> None:
        self.rules = rules
        self.home_radius_m = home_radius_m

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        if data.stays.n_stays == 0 or not len(case.stays):
            return empty()
        radius = min(self.rules.query_m, data.stays.max_distance_m)
        query = encounter_query(data.stays, case.person, case.start, case.end, radius, self.rules.min_minutes)
        if query is None:
            return empty()
        mine, theirs, ov_start, ov_end, d2 = _engine(data).encounters(query)
        if not len(mine):
            return empty()
        stay = data.stay_columns
        venue_of = stay["venue"]
        case_venue, contact_venue = venue_of[mine], venue_of[theirs]
        venue = np.where(contact_venue < 0, case_venue, contact_venue)
        # a missing venue beside known ones is NaN, as the pandas string column of the former evidence frame had it
        missing: object = np.nan if (venue >= 0).any() else None
        d = np.sqrt(d2.astype(np.float64)) / 10.0
        sigma = np.sqrt(
            stay["accuracy_m"][mine].astype(np.float64) ** 2 / np.maximum(stay["n_pings"][mine], 1)
            + stay["accuracy_m"][theirs].astype(np.float64) ** 2 / np.maximum(stay["n_pings"][theirs], 1)
        )
        sigma = np.maximum(sigma, self.rules.sigma_floor_m)
        r = case.profile.close_distance_m
        keep = d <= r + self.rules.together_sigmas * sigma
        if not keep.any():
            return empty()
        mine, theirs, ov_start, ov_end = mine[keep], theirs[keep], ov_start[keep], ov_end[keep]
        d, sigma, venue = d[keep], sigma[keep], venue[keep]
        case_venue, contact_venue = case_venue[keep], contact_venue[keep]
        s2 = (sigma / np.sqrt(2.0)) ** 2
        p_near = (1.0 - np.exp(-r * r / (2.0 * s2))) * np.exp(-(np.maximum(d - r, 0.0) ** 2) / (2.0 * s2))
        at_venue = venue >= 0
        facts = data.venue_facts
        p_near = np.where(at_venue, p_near / np.where(at_venue, facts["zones"][venue], 1.0), p_near)
        setting = np.where(at_venue, facts["category"][venue], "nearby")
        setting = np.where(at_venue & (case_venue != contact_venue) & (case_venue >= 0), "nearby", setting)
        case_lat, case_lon = stay["lat"][mine].astype(np.float64), stay["lon"][mine].astype(np.float64)
        setting = np.where(_near_home(case, case_lat, case_lon, self.home_radius_m) & ~at_venue, "home", setting)
        venue_id = data.venue_names(venue)
        venue_id[~at_venue] = missing
        out = EvidenceBatch.of(
            len(d),
            contact=data.stay_persons[data.stays.person[theirs]],
            source="gps",
            start_s=index_seconds(ov_start),
            end_s=index_seconds(ov_end),
            venue_id=venue_id,
            lat=(stay["lat"][mine] + stay["lat"][theirs]) / 2.0,
            lon=(stay["lon"][mine] + stay["lon"][theirs]) / 2.0,
            distance_m=d,
            p_near=p_near,
            grade=np.where(p_near >= self.rules.close_p_near, "close", "casual"),
            setting=setting.astype(object),
            detail=np.char.add("±", np.round(sigma, 1).astype(str)).astype(object),
        )
        return clip(out, case)


def _engine(data: TraceData) -> ColocationEngine:
    """The engine the data name, else the grid over their stay index."""
    return data.colocation if data.colocation is not None else GridEngine(data.stays)


def _near_home(case: TracedCase, lat: np.ndarray, lon: np.ndarray, radius_m: float) -> np.ndarray:
    """Whether each point is within ``radius_m`` of the case's registered home."""
    if case.home is None:
        return np.zeros(len(lat), dtype=bool)
    from izquvar.geo.distance import haversine_m

    return np.asarray(haversine_m(lat, lon, case.home[0], case.home[1]) <= radius_m, dtype=bool)
