"""Rosters: classmates and department colleagues of the case, on the days both were there.

Presence on a day: the case's GPS stays at the roster's venue give the hours; otherwise, on a weekday (Monday to
Friday) with nothing saying otherwise, a school or work day is assumed (school 08:00-13:00, work 09:00-18:00
local; the ``roster`` section of :mod:`izquvar.trace.rules`). "Something saying otherwise" is GPS: a person
with stays that day and none at the roster's venue was not there. The contact's own GPS is checked the same way.

Closeness: people seated in one room for hours are within 2 m of a given other with about the chance that
a 2 m disc covers of the room (room area = the group's size × the category's area per person, see
the venue rules: 2.5 m² per pupil, 6 m² per office worker). Over ``k`` shared days the chance of at least
one close day is ``1 - (1 - p)^k``; the contact is close when that reaches ``close_probability`` (0.5: more
likely than not), otherwise casual.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.trace.evidence import EvidenceBatch, TracedCase, disc_share, empty, qualify_by_day
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, RosterRules, VenueRules
from izquvar.trace.trace_data import TraceData, index_seconds


class RosterSource:
    name: Source = "roster"

    def __init__(self, rules: RosterRules = DEFAULT_RULES.roster, venues: VenueRules = DEFAULT_RULES.venues) -> None:
        self.rules = rules
        self.venues = venues

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
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
        self, case: TracedCase, data: TraceData, group: int, kind: str, venue: int, members: npt.NDArray[np.int64]
    ) -> EvidenceBatch:
        group_id = str(data.rosters.groups.names[group])
        venue_id = str(data.venue_ids.names[venue])
        lo_h, hi_h = self.rules.hours.get(kind, self.rules.hours["department"])
        days = case.local_days()
        if not days:
            return empty()
        mid = np.asarray([int(case.profile.local_midnight(d).timestamp()) for d in days], dtype=np.int64)
        weekday = np.asarray([d.weekday() in self.rules.weekdays for d in days])
        names = data.person_names(members)
        # presence per person (the case first, then each member) and day
        s, e, known = _presence(data, [case.person, *names.tolist()], venue, mid, lo_h, hi_h, weekday)
        area = group_area_m2(data, venue, len(members) + 1, self.venues)
        p_day = float(disc_share(case.profile.close_distance_m, area))
        start = np.maximum(s[0], s[1:])
        end = np.minimum(e[0], e[1:])
        together = end > start
        n_days = together.sum(axis=1)
        # the chance of a close day among the shared ones, as Python floats (exactly the former arithmetic)
        likely_by_count = {n: 1.0 - (1.0 - p_day) ** n >= self.rules.close_probability for n in set(n_days.tolist())}
        likely = np.asarray([likely_by_count[n] for n in n_days.tolist()], dtype=bool)
        basis = np.where(known[0] & known[1:], "gps", np.where(known[0] | known[1:], "gps+schedule", "schedule"))
        member = np.repeat(np.arange(len(members)), len(mid)).reshape(len(members), len(mid))[together]
        start, end, basis = start[together], end[together], basis[together]
        # clipped to the window before the rows are made
        start, end = np.maximum(start, case.start_s), np.minimum(end, case.end_s)
        inside = end > start
        if not inside.any():
            return empty()
        member, start, end, basis = member[inside], start[inside], end[inside], basis[inside]
        close = likely[member]
        out = EvidenceBatch.of(
            len(member),
            contact=names[member],
            source="roster",
            start_s=start,
            end_s=end,
            venue_id=venue_id,
            lat=data.venue_facts["lat"][venue],
            lon=data.venue_facts["lon"][venue],
            p_near=p_day,
            grade=np.where(close, "close", "casual").astype(object),
            qualifies=close,
            setting=kind,
            detail=np.char.add(f"{group_id};", basis.astype(str)).astype(object),
        )
        return qualify_by_day(out, case, contact=members[member])


def group_area_m2(data: TraceData, venue: int, members: int, rules: VenueRules = DEFAULT_RULES.venues) -> float:
    """The room a group uses: its members times the venue category's area per person (the group is what fills
    the room, unlike the venue's capacity, which counts every shift and every room)."""
    category = str(data.venue_facts["category"][venue])
    return max(members, 1) * rules.m2_per_person.get(category, rules.m2_per_person["other"])


def _presence(
    data: TraceData,
    persons: list[str],
    venue: int,
    midnights: npt.NDArray[np.int64],
    lo_h: int,
    hi_h: int,
    weekday: npt.NDArray[np.bool_],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """Per person and day: presence interval at the venue (empty when absent) and whether GPS, not the
    schedule, says so. A person's GPS decides a day when it has daytime stays then: at the venue, their hours
    there; elsewhere only, absent."""
    shape = (len(persons), len(midnights))
    start = np.broadcast_to(np.where(weekday, midnights + lo_h * 3600, 0), shape).copy()
    end = np.broadcast_to(np.where(weekday, midnights + hi_h * 3600, 0), shape).copy()
    seen = np.zeros(shape, dtype=bool)
    rows, owner = data.stay_rows(persons)
    stays = data.stays
    s, e = index_seconds(stays.start_s[rows]), index_seconds(stays.end_s[rows])
    inside = (s < int(midnights.max()) + 86_400) & (e > int(midnights.min()))
    rows, owner, s, e = rows[inside], owner[inside], s[inside], e[inside]
    if not len(rows):
        return start, end, seen
    here = data.stay_columns["venue"][rows] == venue
    day_lo = midnights[None, :]
    day_hi = day_lo + 86_400
    # daytime stays only: a night at home that spills past midnight says nothing about the school day
    overlap = (s[:, None] < day_lo + hi_h * 3600) & (e[:, None] > day_lo + lo_h * 3600)
    at_venue = overlap & here[:, None]
    first = np.full(shape, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.zeros(shape, dtype=np.int64)
    present = np.zeros(shape, dtype=bool)
    np.logical_or.at(seen, owner, overlap)
    np.logical_or.at(present, owner, at_venue)
    np.minimum.at(first, owner, np.where(at_venue, np.maximum(s[:, None], day_lo), np.iinfo(np.int64).max))
    np.maximum.at(last, owner, np.where(at_venue, np.minimum(e[:, None], day_hi), 0))
    start = np.where(present, first, np.where(seen, 0, start))
    end = np.where(present, last, np.where(seen, 0, end))
    return start, end, seen
