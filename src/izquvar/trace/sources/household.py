"""Household: members of the case's registered household, at home together every evening and night.

Rules (the ``household`` section of :mod:`izquvar.trace.rules`): for each local day of the window, household
members are assumed home together from 00:00 to 07:00 and from 18:00 to 24:00 local time (``home_blocks``, an
assumption: the hours a working or schooling household shares). Such time is close (``p_near`` 0.9: people who
share a flat share its air and its table) and qualifies on its own once the day's blocks add up to the close
minutes. When GPS contradicts it, the data wins: if the case or the member has GPS stays during a block and
none of them is within ``home_radius_m`` (150 m) of home, that block is listed with detail ``gps_not_home`` and
fusion counts none of its time.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.geo.distance import haversine_m
from izquvar.trace.evidence import EvidenceBatch, TracedCase, empty, qualify_by_day
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, HouseholdRules
from izquvar.trace.trace_data import TraceData, index_seconds


class HouseholdSource:
    name: Source = "household"

    def __init__(
        self, rules: HouseholdRules = DEFAULT_RULES.household, home_radius_m: float = DEFAULT_RULES.home_radius_m
    ) -> None:
        self.rules = rules
        self.home_radius_m = home_radius_m

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        household = data.household_of(case.person)
        if household < 0:
            return empty()
        members = data.people.members.rows(household)
        members = members.take(members["person"] != data.person_code(case.person))
        days = case.local_days()
        if not len(members) or not days:
            return empty()
        midnights = np.asarray([int(case.profile.local_midnight(day).timestamp()) for day in days], dtype=np.int64)
        blocks = self.rules.home_blocks
        block_start = (midnights[:, None] + np.asarray([lo * 3600 for lo, _ in blocks])).reshape(-1)
        block_end = (midnights[:, None] + np.asarray([hi * 3600 for _, hi in blocks])).reshape(-1)
        # each member's home: the case's, else the member's own registered one
        lat, lon = members["home_lat"], members["home_lon"]
        if case.home is not None:
            lat, lon = np.full(len(members), case.home[0]), np.full(len(members), case.home[1])
        known = np.isfinite(lat) & np.isfinite(lon)
        lat, lon = np.where(known, lat, np.nan), np.where(known, lon, np.nan)
        names = data.person_names(members["person"])
        case_lat, case_lon = case.home if case.home is not None else (np.nan, np.nan)
        homes = (np.r_[case.home is not None, known], np.r_[case_lat, lat], np.r_[case_lon, lon])
        away = _away(data, [case.person, *names.tolist()], *homes, block_start, block_end, self.home_radius_m)
        away = away[1:] | away[0]  # the case away or the member away: not home together
        # clipped to the window before the rows are made: every member shares the blocks
        start, end = np.maximum(block_start, case.start_s), np.minimum(block_end, case.end_s)
        inside = end > start
        n, m = int(inside.sum()), len(members)
        if not n:
            return empty()
        away = away[:, inside].reshape(-1)
        rows = EvidenceBatch.of(
            n * m,
            contact=np.repeat(names, n),
            source="household",
            start_s=np.broadcast_to(start[inside], (m, n)).reshape(-1),
            end_s=np.broadcast_to(end[inside], (m, n)).reshape(-1),
            lat=np.repeat(lat, n),
            lon=np.repeat(lon, n),
            p_near=np.where(away, 0.0, self.rules.p_near),
            grade=np.where(away, "possible", "close").astype(object),
            qualifies=~away,
            setting="home",
            # contradicted blocks stay listed (fusion ignores them) so that reports can say so
            detail=np.where(away, "gps_not_home", "registry").astype(object),
        )
        return qualify_by_day(rows, case, contact=np.repeat(members["person"], n))


def _away(
    data: TraceData,
    persons: list[str],
    has_home: npt.NDArray[np.bool_],
    home_lat: npt.NDArray[np.float64],
    home_lon: npt.NDArray[np.float64],
    starts: npt.NDArray[np.int64],
    ends: npt.NDArray[np.int64],
    home_radius_m: float,
) -> npt.NDArray[np.bool_]:
    """Per person and block: GPS has stays of the person then and none of them is within ``home_radius_m`` of
    the person's home (never for a person without a known home)."""
    away = np.zeros((len(persons), len(starts)), dtype=bool)
    rows, owner = data.stay_rows([p for p, h in zip(persons, has_home.tolist(), strict=True) if h])
    if not len(rows):
        return away
    owner = np.flatnonzero(has_home)[owner]
    stays = data.stays
    s, e = index_seconds(stays.start_s[rows]), index_seconds(stays.end_s[rows])
    inside = (s < ends.max()) & (e > starts.min())
    rows, owner, s, e = rows[inside], owner[inside], s[inside], e[inside]
    lat = data.stay_columns["lat"][rows].astype(np.float64)
    lon = data.stay_columns["lon"][rows].astype(np.float64)
    distance = np.asarray(haversine_m(lat, lon, home_lat[owner], home_lon[owner]), dtype=np.float64)
    # a distance within a micrometre of the radius is computed again as the per-person call did (one home as
    # scalars): numpy's broadcast and array paths may differ in the last bit
    for person in np.unique(owner[np.abs(distance - home_radius_m) < 1e-6]).tolist():
        own = owner == person
        home = float(home_lat[person]), float(home_lon[person])
        distance[own] = haversine_m(lat[own], lon[own], *home)
    at_home = distance <= home_radius_m
    overlap = (s[:, None] < ends[None, :]) & (e[:, None] > starts[None, :])
    seen = np.zeros_like(away)
    home_seen = np.zeros_like(away)
    np.logical_or.at(seen, owner, overlap)
    np.logical_or.at(home_seen, owner, overlap & at_home[:, None])
    result: npt.NDArray[np.bool_] = seen & ~home_seen
    return result
