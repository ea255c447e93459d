"""Card payments: the case and others paid at the same venue close in time.

A payment is an instant; the visit around it is assumed to span the category's typical dwell, 80 % before
the payment (people pay on leaving). Overlapping assumed visits put the two at the venue together: grade
casual when the two payments are within :data:`SAME_QUEUE_MIN` minutes (same queue, same till), possible
otherwise. ``p_near`` is the venue's disc share, halved for the uncertainty of the assumed visit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, clip, disc_share, empty, frame, overlapping_visits
from izquvar.trace.result import Source
from izquvar.trace.sources.venues import SHARE_BEFORE_PAYMENT

SAME_QUEUE_MIN = 5.0


def payment_visits(rows: pd.DataFrame, data: TraceData) -> pd.DataFrame:
    """Card rows with an assumed visit ``start_s``/``end_s`` around each payment."""
    t = rows["time_s"].to_numpy(np.int64)
    dwell = data.venue_fact("dwell_s", rows["venue_id"].to_numpy(object))
    before = np.rint(dwell * SHARE_BEFORE_PAYMENT).astype(np.int64)
    return rows.assign(start_s=t - before, end_s=t + (dwell - before))


class CardSource:
    name: Source = "card"

    def evidence(self, case: Case, data: TraceData) -> pd.DataFrame:
        mine = data.card.rows(case.person)
        mine = mine[mine["venue_id"].notna()]
        if not len(mine):
            return empty()
        found = overlapping_visits(
            payment_visits(mine, data),
            lambda venues: payment_visits(data.card_at.rows_of(venues), data),
            "card_holder",
            case,
        )
        if found is None:
            return empty()
        pairs, start, end = found
        keep = end > start
        pairs, start, end = pairs[keep], start[keep], end[keep]
        if not len(pairs):
            return empty()
        venue = pairs["venue_id"].to_numpy(object)
        gap_min = np.abs(pairs["time_s_case"].to_numpy(np.int64) - pairs["time_s"].to_numpy(np.int64)) / 60.0
        lat, lon = data.venue_points(venue)
        out = frame(
            len(pairs),
            contact=pairs["card_holder"].to_numpy(object),
            source="card",
            start_s=start,
            end_s=end,
            venue_id=venue,
            lat=lat,
            lon=lon,
            p_near=disc_share(case.profile.close_distance_m, data.venue_fact("zone_area_m2", venue)) / 2.0,
            grade=np.where(gap_min <= SAME_QUEUE_MIN, "casual", "possible"),
            setting=data.venue_fact("category", venue),
            detail=np.char.add("payments ", np.round(gap_min).astype(int).astype(str)).astype(object),
        )
        return clip(out, case)
