"""Household: members of the case's registered household, at home together every evening and night.

Rules: for each local day of the window, household members are assumed home together from 00:00 to 07:00
and from 18:00 to 24:00 local time (an assumption: the hours a working or schooling household shares). Such
time is close (``p_near`` 0.9: people who share a flat share its air and its table) and qualifies on its own
once the day's blocks add up to the close minutes. When GPS contradicts it, the data wins: if the case or the
member has GPS stays during a block and none of them is within :data:`HOME_RADIUS_M` of home, that block is
listed with detail ``gps_not_home`` and fusion counts none of its time.
"""

from __future__ import annotations

import numpy as np

from izquvar.geo.distance import haversine_m
from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, EvidenceBatch, clip, empty, qualify_by_day
from izquvar.trace.result import Source

#: Local hours at home together: (start hour, end hour) blocks of each day.
HOME_BLOCKS = ((0, 7), (18, 24))
HOME_RADIUS_M = 150.0
P_NEAR = 0.9


class HouseholdSource:
    name: Source = "household"

    def evidence(self, case: Case, data: TraceData) -> EvidenceBatch:
        household = data.household_of(case.person)
        if household < 0:
            return empty()
        members = data.people.members.rows(household)
        members = members.take(members["person"] != data.person_code(case.person))
        days = case.local_days()
        if not len(members) or not days:
            return empty()
        starts, ends = [], []
        for day in days:
            midnight = int(case.profile.local_midnight(day).timestamp())
            for lo, hi in HOME_BLOCKS:
                starts.append(midnight + lo * 3600)
                ends.append(midnight + hi * 3600)
        block_start = np.asarray(starts, dtype=np.int64)
        block_end = np.asarray(ends, dtype=np.int64)
        case_away = _away(data, case.person, case.home, block_start, block_end)
        names = data.person_names(members["person"]).tolist()
        lats, lons = members["home_lat"].tolist(), members["home_lon"].tolist()
        n = len(block_start)
        lat = np.empty(len(names) * n)
        lon = np.empty(len(names) * n)
        away = np.empty(len(names) * n, dtype=bool)
        for k, person in enumerate(names):  # per member (a household's few people), not per row
            if case.home is not None:
                home: tuple[float, float] | None = case.home
            else:
                home = (lats[k], lons[k]) if lats[k] == lats[k] and lons[k] == lons[k] else None
            lat[k * n : (k + 1) * n] = np.nan if home is None else home[0]
            lon[k * n : (k + 1) * n] = np.nan if home is None else home[1]
            away[k * n : (k + 1) * n] = case_away | _away(data, person, home, block_start, block_end)
        rows = EvidenceBatch.of(
            len(away),
            contact=np.repeat(np.asarray(names, dtype=object), n),
            source="household",
            start_s=np.tile(block_start, len(names)),
            end_s=np.tile(block_end, len(names)),
            lat=lat,
            lon=lon,
            p_near=np.where(away, 0.0, P_NEAR),
            grade=np.where(away, "possible", "close").astype(object),
            qualifies=~away,
            setting="home",
            # contradicted blocks stay listed (fusion ignores them) so that reports can say so
            detail=np.where(away, "gps_not_home", "registry").astype(object),
        )
        return qualify_by_day(clip(rows, case), case)


def _away(
    data: TraceData, person: str, home: tuple[float, float] | None, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Per block: GPS has stays of ``person`` then and none of them is at home."""
    away = np.zeros(len(starts), dtype=bool)
    if home is None:
        return away
    stays = data.stay_arrays(person, int(starts.min()), int(ends.max()))
    if stays is None or not len(stays["start_s"]):
        return away
    at_home = haversine_m(stays["lat"].astype(np.float64), stays["lon"].astype(np.float64), home[0], home[1])
    at_home = np.asarray(at_home <= HOME_RADIUS_M)
    s = stays["start_s"].astype(np.int64)
    e = stays["end_s"].astype(np.int64)
    overlap = (s[None, :] < ends[:, None]) & (e[None, :] > starts[:, None])
    seen = overlap.any(axis=1)
    home_seen = (overlap & at_home.astype(bool)[None, :]).any(axis=1)
    away_blocks: np.ndarray = np.asarray(seen & ~home_seen, dtype=bool)
    return away_blocks
