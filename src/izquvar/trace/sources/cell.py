"""Mobile-operator records: everyone the same cell served while the case was at an exposure site.

Korea's rule for the Itaewon clubs (May 2020): everyone whose phone was near the site that night was asked
to get tested. A cell covers hundreds of metres, so this is never more than **possible**. Rules:

* exposure sites are the case's visits to venues (GPS stays matched to a venue, check-ins, card payments);
  homes are never sites;
* the cells are those that served the case during the visit; other subscribers served by one of them during
  the visit are possible contacts, their presence spanning their first to last event there ±15 minutes,
  clipped to the visit;
* a subscriber is mapped to a person through the registry's phone number (else reported by phone pseudonym);
* at most :data:`MAX_PER_SITE` people per site and :data:`MAX_TOTAL` per trace, most events first: the list
  is for a text message asking people to get tested, not for individual follow-up.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from izquvar.trace.data import TraceData
from izquvar.trace.evidence import Case, clip, empty, frame
from izquvar.trace.result import Source
from izquvar.trace.sources.card import payment_visits
from izquvar.trace.sources.checkins import visits

MAX_PER_SITE = 200
MAX_TOTAL = 1000
PAD_S = 15 * 60
P_NEAR = 0.001


def exposure_sites(case: Case, data: TraceData) -> pd.DataFrame:
    """The case's venue visits in the window: ``venue_id``, ``start_s``, ``end_s``."""
    parts = []
    if len(case.stays) and "venue_id" in case.stays:
        at = case.stays[case.stays["venue_id"].notna()]
        parts.append(at[["venue_id", "start_s", "end_s"]])
    checkins = data.checkins.rows(case.person)
    if len(checkins):
        parts.append(visits(checkins, data)[["venue_id", "start_s", "end_s"]])
    card = data.card.rows(case.person)
    card = card[card["venue_id"].notna()]
    if len(card):
        parts.append(payment_visits(card, data)[["venue_id", "start_s", "end_s"]])
    if not parts:
        return pd.DataFrame({"venue_id": [], "start_s": [], "end_s": []})
    sites = pd.concat(parts, ignore_index=True)
    sites = sites.assign(
        start_s=np.maximum(sites["start_s"].to_numpy(np.int64), case.start_s),
        end_s=np.minimum(sites["end_s"].to_numpy(np.int64), case.end_s),
    )
    return sites[sites["end_s"] > sites["start_s"]].reset_index(drop=True)


class CellSource:
    name: Source = "cell"

    def evidence(self, case: Case, data: TraceData) -> pd.DataFrame:
        if case.phone is None:
            return empty()
        own_t, own_cell = data.cell_events.own(case.phone)
        if not len(own_t):
            return empty()
        sites = exposure_sites(case, data)
        frames = []
        for venue_id, start, end in sites.itertuples(index=False):
            during = (own_t >= start - PAD_S) & (own_t <= end + PAD_S)
            subs_parts, time_parts, cell_parts = [], [], []
            for cell_id in np.unique(own_cell[during]):
                subs, times = data.cell_events.during(str(cell_id), int(start) - PAD_S, int(end) + PAD_S)
                subs_parts.append(subs)
                time_parts.append(times)
                cell_parts.append(np.full(len(subs), str(cell_id), dtype=object))
            if not subs_parts:
                continue
            events = pd.DataFrame(
                {
                    "subscriber": np.concatenate(subs_parts),
                    "time_s": np.concatenate(time_parts),
                    "cell_id": np.concatenate(cell_parts),
                }
            )
            events = events[events["subscriber"] != case.phone]
            if not len(events):
                continue
            per = events.groupby("subscriber").agg(
                first=("time_s", "min"), last=("time_s", "max"), n=("time_s", "size"), cell=("cell_id", "first")
            )
            per = per.sort_values("n", ascending=False, kind="stable").head(MAX_PER_SITE)
            venue = data.venues.loc[venue_id] if venue_id in data.venues.index else None
            frames.append(
                frame(
                    len(per),
                    contact=per.index.to_numpy(object),
                    source="cell",
                    start_s=np.maximum(per["first"].to_numpy(np.int64) - PAD_S, int(start)),
                    end_s=np.minimum(per["last"].to_numpy(np.int64) + PAD_S, int(end)),
                    venue_id=venue_id,
                    lat=np.nan if venue is None else float(venue["lat"]),
                    lon=np.nan if venue is None else float(venue["lon"]),
                    p_near=P_NEAR,
                    grade="possible",
                    setting="cell",
                    detail=per["cell"].to_numpy(object),
                )
            )
        if not frames:
            return empty()
        out = pd.concat(frames, ignore_index=True)
        out = out[out["end_s"] > out["start_s"]]
        people = data.persons_by_phone(out["contact"].to_numpy(str))
        out["contact"] = out["contact"].map(people).fillna(out["contact"])
        # keep the MAX_TOTAL contacts with the most cell time
        minutes = (out["end_s"] - out["start_s"]).groupby(out["contact"]).transform("sum")
        top = minutes.groupby(out["contact"]).first().sort_values(ascending=False).head(MAX_TOTAL).index
        return clip(out[out["contact"].isin(top)].reset_index(drop=True), case)
