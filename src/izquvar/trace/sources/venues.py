"""Assumptions about venues that the feeds do not carry: floor area per person and how long a visit lasts.

Why: a check-in without a check-out, or a card payment, says someone was at a venue but not for how long, and
"same venue" only says "same room" in proportion to the room's size. The figures are the ``venues`` section of
:mod:`izquvar.trace.rules` (each a published norm or a stated assumption, named there); these functions apply
them to the venues table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.trace.rules import DEFAULT_RULES, VenueRules


def point(venues: pd.DataFrame, venue_id: str) -> tuple[float, float] | None:
    """A venue's latitude and longitude, ``None`` for an unknown venue."""
    if venue_id not in venues.index:
        return None
    row = int(venues.index.get_loc(venue_id))  # type: ignore[arg-type]  # venue ids are unique
    return float(venues["lat"].to_numpy(np.float64)[row]), float(venues["lon"].to_numpy(np.float64)[row])


def zone_area_m2(
    venues: pd.DataFrame, venue_ids: npt.ArrayLike, rules: VenueRules = DEFAULT_RULES.venues
) -> npt.NDArray[np.float64]:
    """Floor area of one zone of each venue: capacity per zone times the category's area per person."""
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    per_person = rules.m2_per_person
    m2 = rows["category"].map(per_person).fillna(per_person["other"]).to_numpy(np.float64)
    zones = rows["zones"].fillna(1).clip(lower=1).to_numpy(np.float64)
    capacity = rows["capacity"].fillna(rules.default_capacity).to_numpy(np.float64)
    area: npt.NDArray[np.float64] = np.maximum(capacity / zones * m2, rules.min_zone_area_m2)
    return area


def dwell_seconds(
    venues: pd.DataFrame, venue_ids: npt.ArrayLike, rules: VenueRules = DEFAULT_RULES.venues
) -> npt.NDArray[np.int64]:
    """Typical visit length of each venue's category, seconds."""
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    dwell = rules.dwell_minutes
    minutes = rows["category"].map(dwell).fillna(dwell["other"]).to_numpy(np.float64)
    seconds: npt.NDArray[np.int64] = np.rint(minutes * 60.0).astype(np.int64)
    return seconds


def before_payment_seconds(
    dwell_s: npt.NDArray[np.int64], rules: VenueRules = DEFAULT_RULES.venues
) -> npt.NDArray[np.int64]:
    """Of each dwell, the seconds before a card payment (people pay on leaving)."""
    before: npt.NDArray[np.int64] = np.rint(dwell_s * rules.share_before_payment).astype(np.int64)
    return before


def zones_of(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.float64]:
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    return rows["zones"].fillna(1).clip(lower=1).to_numpy(np.float64)


def categories(venues: pd.DataFrame, venue_ids: npt.ArrayLike) -> npt.NDArray[np.object_]:
    rows = venues.reindex(np.asarray(venue_ids, dtype=object))
    return rows["category"].fillna("other").to_numpy(object)
