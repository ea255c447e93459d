"""GPS stays: co-location of two people's stays, judged by how precisely their stay centroids are known.

A stay's centroid averages its pings, so its error is about ``accuracy / sqrt(n_pings)`` (GPS σ is ~8 m
outdoors and ~25 m indoors for phones): a long stay pins a seat to a few metres, a short walk-in does not. The
distance between two centroids therefore has an error ``σ_d = sqrt(σ_a² / n_a + σ_b² / n_b)`` (floor 1 m).
Rules:

* candidates: stays within :data:`QUERY_M` overlapping in time for at least :data:`MIN_MINUTES` in total;
* kept when the observed distance ``d ≤ close + 2.5 σ_d`` (consistent with being together);
* ``p_near``, the chance the true distance was within the close distance, is the Gaussian approximation
  ``(1 - exp(-r² / 2s²)) · exp(-max(d - r, 0)² / 2s²)`` with ``s = σ_d / √2`` per axis; at a venue of several
  zones (rooms, carriages) that GPS cannot tell apart it is divided by the number of zones;
* grade close when ``p_near ≥ 0.5`` (GPS alone resolves 2 m only for long, precise stays), else casual.
"""

from __future__ import annotations

import numpy as np

from izquvar.trace.colocation import encounters
from izquvar.trace.data import TraceData, seconds
from izquvar.trace.evidence import Case, EvidenceBatch, clip, empty
from izquvar.trace.result import Source

QUERY_M = 50.0
MIN_MINUTES = 5.0
SIGMA_FLOOR_M = 1.0
#: Standard errors of distance within which two stays count as together.
TOGETHER_SIGMAS = 2.5


class GpsSource:
    name: Source = "gps"

    def evidence(self, case: Case, data: TraceData) -> EvidenceBatch:
        if data.stays.n_stays == 0 or not len(case.stays):
            return empty()
        radius = min(QUERY_M, data.stays.max_distance_m)
        pairs = encounters(data.stays, case.person, case.start, case.end, radius, MIN_MINUTES)
        if pairs.num_rows == 0:
            return empty()
        col = {name: pairs.column(name).to_numpy(zero_copy_only=False) for name in pairs.column_names}
        d = col["distance_m"].astype(np.float64)
        sigma = np.sqrt(
            col["case_accuracy_m"].astype(np.float64) ** 2 / np.maximum(col["case_n_pings"], 1)
            + col["contact_accuracy_m"].astype(np.float64) ** 2 / np.maximum(col["contact_n_pings"], 1)
        )
        sigma = np.maximum(sigma, SIGMA_FLOOR_M)
        r = case.profile.close_distance_m
        keep = d <= r + TOGETHER_SIGMAS * sigma
        s2 = (sigma / np.sqrt(2.0)) ** 2
        p_near = (1.0 - np.exp(-r * r / (2.0 * s2))) * np.exp(-(np.maximum(d - r, 0.0) ** 2) / (2.0 * s2))
        case_venue = np.asarray(col["case_venue_id"], dtype=object)
        contact_venue = np.asarray(col["contact_venue_id"], dtype=object)
        venue = np.where(_missing(contact_venue), case_venue, contact_venue)
        same_venue = np.asarray(case_venue == contact_venue, dtype=bool)
        at_venue = ~_missing(venue)
        # a missing venue beside known ones is NaN, as pandas' string column of the former evidence frame gave
        missing: object = np.nan if at_venue.any() else None
        venue = np.where(at_venue, venue, np.asarray(missing, dtype=object))
        zones = np.where(at_venue, data.venue_fact("zones", np.where(at_venue, venue, "")), 1.0)
        p_near = np.where(at_venue, p_near / zones, p_near)
        setting = np.where(at_venue, data.venue_fact("category", np.where(at_venue, venue, "")), "nearby")
        setting = np.where(at_venue & ~same_venue & ~_missing(case_venue), "nearby", setting)
        home = _near_home(case, col["case_lat"].astype(np.float64), col["case_lon"].astype(np.float64))
        setting = np.where(home & ~at_venue, "home", setting)
        out = EvidenceBatch.of(
            len(d),
            contact=col["contact"].astype(object),
            source="gps",
            start_s=seconds(pairs.column("overlap_start")),
            end_s=seconds(pairs.column("overlap_end")),
            venue_id=venue,
            lat=(col["case_lat"] + col["contact_lat"]) / 2.0,
            lon=(col["case_lon"] + col["contact_lon"]) / 2.0,
            distance_m=d,
            p_near=p_near,
            grade=np.where(p_near >= 0.5, "close", "casual"),
            setting=setting.astype(object),
            detail=np.char.add("±", np.round(sigma, 1).astype(str)).astype(object),
        )
        return clip(out.take(keep), case)


def _missing(values: np.ndarray) -> np.ndarray:
    """Where an Arrow string column (as numpy objects) has no value."""
    return np.asarray(np.equal(values, np.asarray(None, dtype=object)), dtype=bool)


def _near_home(case: Case, lat: np.ndarray, lon: np.ndarray, radius_m: float = 100.0) -> np.ndarray:
    """Whether each point is within ``radius_m`` of the case's registered home."""
    if case.home is None:
        return np.zeros(len(lat), dtype=bool)
    from izquvar.geo.distance import haversine_m

    return np.asarray(haversine_m(lat, lon, case.home[0], case.home[1]) <= radius_m, dtype=bool)
