"""QR check-ins: the case and others checked in at the same venue (and zone, when both scanned one) at
overlapping times.

Missing check-out: the visit is assumed to last the category's typical dwell (``venues.DWELL_MINUTES``), or
until the person's next check-in if sooner. Same venue is not same table: ``p_near`` is the share a 2 m disc
covers of one zone; grade casual (Korea notified everyone in the venue's log for the hours the case was there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, clip, disc_share, empty, frame, overlapping_visits
from izquvar.trace.result import Source


def visits(rows: pd.DataFrame, data: TraceData) -> pd.DataFrame:
    """Check-in rows with ``start_s``/``end_s`` (assumed dwell when there is no check-out)."""
    start = rows["check_in_s"].to_numpy(np.int64)
    dwell = data.venue_fact("dwell_s", rows["venue_id"].to_numpy(object))
    out = rows["check_out_s"].to_numpy(dtype=np.float64, na_value=np.nan)
    end = np.where(np.isfinite(out), out, start + dwell).astype(np.int64)
    result = rows.assign(start_s=start, end_s=np.maximum(end, start + 60), assumed=~np.isfinite(out))
    return result


class CheckinSource:
    name: Source = "checkins"

    def evidence(self, case: Case, data: TraceData) -> pd.DataFrame:
        mine = data.checkins.rows(case.person)
        if not len(mine):
            return empty()
        found = overlapping_visits(
            visits(mine, data), lambda venues: visits(data.checkins_at.rows_of(venues), data), "person", case
        )
        if found is None:
            return empty()
        pairs, start, end = found
        zc = pairs["zone_case"].to_numpy(dtype=np.float64, na_value=np.nan)
        zo = pairs["zone"].to_numpy(dtype=np.float64, na_value=np.nan)
        other_zone = np.isfinite(zc) & np.isfinite(zo) & (zc != zo)
        keep = (end > start) & ~other_zone
        pairs, start, end = pairs[keep], start[keep], end[keep]
        if not len(pairs):
            return empty()
        venue = pairs["venue_id"].to_numpy(object)
        area = data.venue_fact("zone_area_m2", venue)
        lat, lon = data.venue_points(venue)
        assumed = pairs["assumed_case"].to_numpy(bool) | pairs["assumed"].to_numpy(bool)
        out = frame(
            len(pairs),
            contact=pairs["person"].to_numpy(object),
            source="checkins",
            start_s=start,
            end_s=end,
            venue_id=venue,
            lat=lat,
            lon=lon,
            p_near=disc_share(case.profile.close_distance_m, area),
            grade="casual",
            setting=data.venue_fact("category", venue),
            detail=np.where(assumed, "assumed_dwell", "checked_out"),
        )
        return clip(out, case)
