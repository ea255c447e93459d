"""QR check-ins: the case and others checked in at the same venue (and zone, when both scanned one) at
overlapping times.

Missing check-out: the visit is assumed to last the category's typical dwell (``venues.dwell_minutes`` of
:mod:`izquvar.trace.rules`); every visit lasts at least ``checkins.min_visit_s``. Same venue is not same table:
``p_near`` is the share a 2 m disc covers of one zone; grade casual (Korea notified everyone in the venue's log
for the hours the case was there).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.trace.columnar import Columns
from izquvar.trace.evidence import EvidenceBatch, TracedCase, clip, disc_share, empty, visit_pairs
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, CheckinRules
from izquvar.trace.trace_data import TraceData

I64 = npt.NDArray[np.int64]


def visits(
    rows: Columns, data: TraceData, rules: CheckinRules = DEFAULT_RULES.checkins
) -> tuple[I64, I64, npt.NDArray[np.bool_]]:
    """Start, end and whether the end is assumed (no check-out: the category's dwell) of check-in rows."""
    start = rows["check_in_s"]
    dwell = data.venue_facts["dwell_s"][rows["venue"]]
    out = rows["check_out_s"]
    known = np.isfinite(out)
    end = np.where(known, out, start + dwell).astype(np.int64)
    return start, np.maximum(end, start + rules.min_visit_s), ~known


class CheckinSource:
    name: Source = "checkins"

    def __init__(self, rules: CheckinRules = DEFAULT_RULES.checkins) -> None:
        self.rules = rules

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        person = data.person_code(case.person)
        mine = data.checkins.rows(person)
        if not len(mine):
            return empty()
        my_start, my_end, my_assumed = visits(mine, data, self.rules)
        inside = (my_start < case.end_s) & (my_end > case.start_s)
        if not inside.any():
            return empty()
        mine = mine.take(inside)
        my_start, my_end, my_assumed = my_start[inside], my_end[inside], my_assumed[inside]
        left, right = visit_pairs(mine["venue"], data.checkins_at, person)
        theirs = data.checkins_at.columns.take(right)
        their_start, their_end, their_assumed = visits(theirs, data, self.rules)
        start = np.maximum(my_start[left], their_start)
        end = np.minimum(my_end[left], their_end)
        zc = mine["zone"][left]
        zo = theirs["zone"]
        other_zone = np.isfinite(zc) & np.isfinite(zo) & (zc != zo)
        keep = (end > start) & ~other_zone
        if not keep.any():
            return empty()
        venue = theirs["venue"][keep]
        facts = data.venue_facts
        assumed = my_assumed[left][keep] | their_assumed[keep]
        out = EvidenceBatch.of(
            int(keep.sum()),
            contact=data.person_names(theirs["person"][keep]),
            source="checkins",
            start_s=start[keep],
            end_s=end[keep],
            venue_id=data.venue_names(venue),
            lat=facts["lat"][venue],
            lon=facts["lon"][venue],
            p_near=disc_share(case.profile.close_distance_m, facts["zone_area_m2"][venue]),
            grade="casual",
            setting=facts["category"][venue],
            detail=np.where(assumed, "assumed_dwell", "checked_out"),
        )
        return clip(out, case)
