"""Rosters: classmates and department colleagues of the case, on the days both were there.

Presence on a day: the case's GPS stays at the roster's venue give the hours; otherwise, on a weekday (Monday to
Friday) with nothing saying otherwise, a school or work day is assumed (school 08:00-13:00, work 09:00-18:00
local). "Something saying otherwise" is GPS: a person with stays that day and none at the roster's venue was
not there. The contact's own GPS is checked the same way.

Closeness: people seated in one room for hours are within 2 m of a given other with about the chance that
a 2 m disc covers of the room (room area = the group's size × the category's area per person, see
``venues``: 2.5 m² per pupil, 6 m² per office worker). Over ``k``
shared days the chance of at least one close day is ``1 - (1 - p)^k``; the contact is close when that reaches
0.5 (more likely than not), otherwise casual.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, EvidenceBatch, clip, disc_share, empty, qualify_by_day
from izquvar.trace.result import Source
from izquvar.trace.sources.venues import M2_PER_PERSON

#: Assumed local hours of presence when no data says otherwise.
HOURS = {"school_class": (8, 13), "department": (9, 18)}
WEEKDAYS = (0, 1, 2, 3, 4)
CLOSE_PROBABILITY = 0.5


class RosterSource:
    name: Source = "roster"

    def evidence(self, case: Case, data: TraceData) -> EvidenceBatch:
        person = data.person_code(case.person)
        groups = data.rosters.by_person.rows(person)
        if not len(groups):
            return empty()
        batches = []
        rows = zip(groups["group"].tolist(), groups["kind"].tolist(), groups["venue"].tolist(), strict=True)
        for group, kind, venue in rows:
            members = data.rosters.by_group.rows(group)["person"]
            members = members[members != person]
            if len(members):
                batches.append(self._group(case, data, group, str(kind), venue, members))
        return EvidenceBatch.concat([b for b in batches if len(b)])

    def _group(
        self, case: Case, data: TraceData, group: int, kind: str, venue: int, members: npt.NDArray[np.int64]
    ) -> EvidenceBatch:
        group_id = str(data.rosters.groups.names[group])
        venue_id = str(data.venue_ids.names[venue])
        lo_h, hi_h = HOURS.get(kind, HOURS["department"])
        days = case.local_days()
        if not days:
            return empty()
        mid = np.asarray([int(case.profile.local_midnight(d).timestamp()) for d in days], dtype=np.int64)
        weekday = np.asarray([d.weekday() in WEEKDAYS for d in days])
        case_start, case_end, case_known = _presence(data, case.person, venue, mid, lo_h, hi_h, weekday)
        area = group_area_m2(data, venue, len(members) + 1)
        p_day = float(disc_share(case.profile.close_distance_m, area))
        people, starts, ends, bases, likely = [], [], [], [], []
        for person in data.person_names(members).tolist():  # per member, not per row
            s, e, known = _presence(data, person, venue, mid, lo_h, hi_h, weekday)
            start = np.maximum(case_start, s)
            end = np.minimum(case_end, e)
            together = end > start
            n_days = int(together.sum())
            if n_days == 0:
                continue
            p_any = 1.0 - (1.0 - p_day) ** n_days
            basis = np.where(case_known & known, "gps", np.where(case_known | known, "gps+schedule", "schedule"))
            people.append(np.full(n_days, person, dtype=object))
            starts.append(start[together])
            ends.append(end[together])
            bases.append(basis[together])
            likely.append(np.full(n_days, p_any >= CLOSE_PROBABILITY))
        if not people:
            return empty()
        close = np.concatenate(likely)
        out = EvidenceBatch.of(
            len(close),
            contact=np.concatenate(people),
            source="roster",
            start_s=np.concatenate(starts),
            end_s=np.concatenate(ends),
            venue_id=venue_id,
            lat=data.venue_facts["lat"][venue],
            lon=data.venue_facts["lon"][venue],
            p_near=p_day,
            grade=np.where(close, "close", "casual").astype(object),
            qualifies=close,
            setting=kind,
            detail=np.char.add(f"{group_id};", np.concatenate(bases).astype(str)).astype(object),
        )
        return qualify_by_day(clip(out, case), case)


def group_area_m2(data: TraceData, venue: int, members: int) -> float:
    """The room a group uses: its members times the venue category's area per person (the group is what fills
    the room, unlike the venue's capacity, which counts every shift and every room)."""
    category = str(data.venue_facts["category"][venue])
    return max(members, 1) * M2_PER_PERSON.get(category, M2_PER_PERSON["other"])


def _presence(
    data: TraceData,
    person: str,
    venue: int,
    midnights: np.ndarray,
    lo_h: int,
    hi_h: int,
    weekday: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day: presence interval at the venue (empty when absent) and whether GPS, not the schedule, says so."""
    start = np.where(weekday, midnights + lo_h * 3600, 0)
    end = np.where(weekday, midnights + hi_h * 3600, 0)
    known: npt.NDArray[np.bool_] = np.zeros(len(midnights), dtype=bool)
    stays = data.stay_arrays(person, int(midnights.min()), int(midnights.max()) + 86_400)
    if stays is None or not len(stays["start_s"]):
        return start, end, known
    s = stays["start_s"].astype(np.int64)
    e = stays["end_s"].astype(np.int64)
    here = np.asarray(stays["venue"] == venue, dtype=bool)
    day_lo = midnights[:, None]
    day_hi = midnights[:, None] + 86_400
    # daytime stays only: a night at home that spills past midnight says nothing about the school day
    overlap = (s[None, :] < day_lo + hi_h * 3600) & (e[None, :] > day_lo + lo_h * 3600)
    seen = overlap.any(axis=1)
    at_venue = overlap & here[None, :]
    first = np.where(at_venue, np.maximum(s[None, :], day_lo), np.iinfo(np.int64).max).min(axis=1)
    last = np.where(at_venue, np.minimum(e[None, :], day_hi), 0).max(axis=1)
    present = at_venue.any(axis=1)
    start = np.where(present, first, np.where(seen, 0, start))
    end = np.where(present, last, np.where(seen, 0, end))
    return start, end, np.asarray(seen, dtype=bool)
