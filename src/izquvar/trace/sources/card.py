"""Card payments: the case and others paid at the same venue close in time.

A payment is an instant; the visit around it is assumed to span the category's typical dwell, 80 % before
the payment (people pay on leaving). Overlapping assumed visits put the two at the venue together: grade
casual when the two payments are within ``card.same_queue_minutes`` (rules; 5) of each other (same queue,
same till), possible otherwise. ``p_near`` is the venue's disc share, halved (``card.p_near_factor``) for the
uncertainty of the assumed visit.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.trace.columnar import Columns
from izquvar.trace.evidence import EvidenceBatch, TracedCase, clip, disc_share, empty, visit_pairs
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, CardRules
from izquvar.trace.trace_data import TraceData

I64 = npt.NDArray[np.int64]


def payment_visits(rows: Columns, data: TraceData) -> tuple[I64, I64]:
    """The assumed visit ``[start, end)`` around each card payment (rows with a venue), by the venue rules the
    data were loaded with."""
    t = rows["time_s"]
    dwell = data.venue_facts["dwell_s"][rows["venue"]]
    before = data.venue_facts["before_payment_s"][rows["venue"]]
    return t - before, t + (dwell - before)


class CardSource:
    name: Source = "card"

    def __init__(self, rules: CardRules = DEFAULT_RULES.card) -> None:
        self.rules = rules

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        person = data.person_code(case.person)
        mine = data.card.rows(person)
        mine = mine.take(mine["venue"] >= 0)
        if not len(mine):
            return empty()
        my_start, my_end = payment_visits(mine, data)
        inside = (my_start < case.end_s) & (my_end > case.start_s)
        if not inside.any():
            return empty()
        mine = mine.take(inside)
        left, right = visit_pairs(mine["venue"], data.card_at, person)
        theirs = data.card_at.columns.take(right)
        their_start, their_end = payment_visits(theirs, data)
        start = np.maximum(my_start[inside][left], their_start)
        end = np.minimum(my_end[inside][left], their_end)
        keep = end > start
        if not keep.any():
            return empty()
        venue = theirs["venue"][keep]
        gap_min = np.abs(mine["time_s"][left][keep] - theirs["time_s"][keep]) / 60.0
        facts = data.venue_facts
        out = EvidenceBatch.of(
            int(keep.sum()),
            contact=data.person_names(theirs["person"][keep]),
            source="card",
            start_s=start[keep],
            end_s=end[keep],
            venue_id=data.venue_names(venue),
            lat=facts["lat"][venue],
            lon=facts["lon"][venue],
            p_near=disc_share(case.profile.close_distance_m, facts["zone_area_m2"][venue]) * self.rules.p_near_factor,
            grade=np.where(gap_min <= self.rules.same_queue_minutes, "casual", "possible"),
            setting=facts["category"][venue],
            detail=np.char.add("payments ", np.round(gap_min).astype(int).astype(str)).astype(object),
        )
        return clip(out, case)
