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
import pandas as pd

from izquvar.geo.distance import haversine_m
from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, clip, empty, frame, qualify_by_day
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
        columns: dict[str, list[np.ndarray]] = {k: [] for k in ("contact", "lat", "lon", "away", "start", "end")}
        for person, lat, lon in members[["person", "home_lat", "home_lon"]].itertuples(index=False):
            home = (
                case.home
                if case.home is not None
                else ((float(lat), float(lon)) if pd.notna(lat) and pd.notna(lon) else None)
            )
            n = len(block_start)
            columns["contact"].append(np.full(n, str(person), dtype=object))
            columns["lat"].append(np.full(n, np.nan if home is None else home[0]))
            columns["lon"].append(np.full(n, np.nan if home is None else home[1]))
            columns["away"].append(case_away | _away(data, str(person), home, block_start, block_end))
            columns["start"].append(block_start)
            columns["end"].append(block_end)
        away = np.concatenate(columns["away"])
        rows = frame(
            len(away),
            contact=np.concatenate(columns["contact"]),
            source="household",
            start_s=np.concatenate(columns["start"]),
            end_s=np.concatenate(columns["end"]),
            lat=np.concatenate(columns["lat"]),
            lon=np.concatenate(columns["lon"]),
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
