"""Household: members of the case's registered household, at home together every evening and night.

Rules: for each local day of the window, household members are assumed home together from 00:00 to 07:00
and from 18:00 to 24:00 local time (the hours a working or schooling household shares; Uzbekistan's
time-use survey puts most people at home then). Such time is close (``p_near`` 0.9: people who share a flat
share its air and its table) and qualifies on its own. When GPS contradicts it, the data wins: if the case
or the member has GPS stays during a block and none of them is within :data:`HOME_RADIUS_M` of home, that
block is listed with detail ``gps_not_home`` and fusion counts none of its time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from izquvar.geo.distance import haversine_m
from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, clip, empty, frame
from izquvar.trace.result import Source

#: Local hours at home together: (start hour, end hour) blocks of each day.
HOME_BLOCKS = ((0, 7), (18, 24))
HOME_RADIUS_M = 150.0
P_NEAR = 0.9


class HouseholdSource:
    name: Source = "household"

    def evidence(self, case: Case, data: TraceData) -> pd.DataFrame:
        me = data.people.rows(case.person)
        if not len(me):
            return empty()
        members = data.households.rows(str(me["household"].iloc[0]))
        members = members[members["person"] != case.person]
        if not len(members):
            return empty()
        if not case.local_days():
            return empty()
        starts, ends = [], []
        for day in case.local_days():
            midnight = int(case.profile.local_midnight(day).timestamp())
            for lo, hi in HOME_BLOCKS:
                starts.append(midnight + lo * 3600)
                ends.append(midnight + hi * 3600)
        block_start = np.asarray(starts, dtype=np.int64)
        block_end = np.asarray(ends, dtype=np.int64)
        case_away = _away(data, case.person, case.home, block_start, block_end)
        frames = []
        for person, lat, lon in members[["person", "home_lat", "home_lon"]].itertuples(index=False):
            home = (
                case.home
                if case.home is not None
                else ((float(lat), float(lon)) if pd.notna(lat) and pd.notna(lon) else None)
            )
            away = case_away | _away(data, str(person), home, block_start, block_end)
            rows = frame(
                len(block_start),
                contact=str(person),
                source="household",
                start_s=block_start,
                end_s=block_end,
                lat=np.nan if home is None else home[0],
                lon=np.nan if home is None else home[1],
                p_near=np.where(away, 0.0, P_NEAR),
                grade=np.where(away, "possible", "close").astype(object),
                qualifies=~away,
                setting="home",
                detail=np.where(away, "gps_not_home", "registry"),
            )
            frames.append(rows)  # contradicted blocks stay listed (fusion ignores them) so reports can say so
        return clip(pd.concat(frames, ignore_index=True), case)


def _away(
    data: TraceData, person: str, home: tuple[float, float] | None, starts: np.ndarray, ends: np.ndarray
) -> np.ndarray:
    """Per block: GPS has stays of ``person`` then and none of them is at home."""
    away = np.zeros(len(starts), dtype=bool)
    if home is None:
        return away
    stays = data.stays_of(person, int(starts.min()), int(ends.max()))
    if not len(stays):
        return away
    at_home = haversine_m(stays["lat"].to_numpy(np.float64), stays["lon"].to_numpy(np.float64), home[0], home[1])
    at_home = np.asarray(at_home <= HOME_RADIUS_M)
    s = stays["start_s"].to_numpy(np.int64)
    e = stays["end_s"].to_numpy(np.int64)
    overlap = (s[None, :] < ends[:, None]) & (e[None, :] > starts[:, None])
    seen = overlap.any(axis=1)
    home_seen = (overlap & at_home.astype(bool)[None, :]).any(axis=1)
    away_blocks: np.ndarray = np.asarray(seen & ~home_seen, dtype=bool)
    return away_blocks
