"""Assumptions about venues that the feeds do not carry: floor area per person and how long a visit lasts.

Why: a check-in without a check-out, or a card payment, says someone was at a venue but not for how long, and
"same venue" only says "same room" in proportion to the room's size. Each figure is a published norm or a
stated assumption (docs/tracing.md): classrooms 2.5 m² per pupil (SanPiN 2.4.2.2821-10), offices 6 m² per
worker (SanPiN 2.2.2/2.4.1340-03), dining 1.5 m² per seat (catering design norms 1.4-2.0), prayer halls about
1 m² per worshipper, rail and bus vehicles at their rated crush load.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.trace.rules import VenueRules

#: Today's defaults, kept importable (the figures themselves live in izquvar.trace.rules).
_DEFAULTS = VenueRules()

M2_PER_PERSON: dict[str, float] = dict(_DEFAULTS.m2_per_person)
#: Typical visit length in minutes, assumed when a check-in has no check-out or for a card payment.
DWELL_MINUTES: dict[str, float] = dict(_DEFAULTS.dwell_minutes)
#: A card is paid near the end of a visit: this share of the dwell lies before the payment.
SHARE_BEFORE_PAYMENT = _DEFAULTS.share_before_payment


def point(venues: pd.DataFrame, venue_id: str) -> tuple[float, float] | None:
    """A venue's latitude and longitude, ``None`` for an unknown venue."""
    if venue_id not in venues.index:
        return None
    row = int(venues.index.get_loc(venue_id))  # type: ignore[arg-type]  # venue ids are unique
    return float(venues["lat"].to_numpy(np.float64)[row]), float(venues["lon"].to_numpy(np.float64)[row])


def zone_area_m2(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Floor area of one zone of each venue: capacity per zone times the category's area per person."""
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    per_person = rows["category"].map(M2_PER_PERSON).fillna(M2_PER_PERSON["other"]).to_numpy(np.float64)
    zones = rows["zones"].fillna(1).clip(lower=1).to_numpy(np.float64)
    capacity = rows["capacity"].fillna(50).to_numpy(np.float64)
    area: npt.NDArray[np.float64] = np.maximum(capacity / zones * per_person, 4.0)
    return area


def dwell_seconds(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Typical visit length of each venue's category, seconds."""
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    minutes = rows["category"].map(DWELL_MINUTES).fillna(DWELL_MINUTES["other"]).to_numpy(np.float64)
    seconds: npt.NDArray[np.int64] = np.rint(minutes * 60.0).astype(np.int64)
    return seconds


def zones_of(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    return rows["zones"].fillna(1).clip(lower=1).to_numpy(np.float64)


def categories(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.object_]:
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    return rows["category"].fillna("other").to_numpy(object)
