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

from typing import Any

import numpy as np
import numpy.typing as npt
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
        events = data.cell_events
        own_t, own_cell = events.own(case.phone)
        if not len(own_t):
            return empty()
        code = events.code_of(case.phone)
        phone_code = -1 if code is None else code
        sites = exposure_sites(case, data)
        parts: dict[str, list[npt.NDArray[Any]]] = {k: [] for k in ("code", "start", "end", "venue", "cell")}
        for venue_id, start, end in sites.itertuples(index=False):
            during = (own_t >= start - PAD_S) & (own_t <= end + PAD_S)
            cells = [str(c) for c in np.unique(own_cell[during])]
            found = [events.during_codes(c, int(start) - PAD_S, int(end) + PAD_S) for c in cells]
            if not found:
                continue
            codes = np.concatenate([f[0] for f in found])
            times = np.concatenate([f[1] for f in found])
            cell_of = np.repeat(np.arange(len(cells)), [len(f[0]) for f in found])
            others = codes != phone_code
            codes, times, cell_of = codes[others], times[others], cell_of[others]
            if not len(codes):
                continue
            # per subscriber: first and last event, how many, and the cell of its first event (listing order)
            order = np.argsort(codes, kind="stable")
            codes, times, cell_of = codes[order], times[order], cell_of[order]
            heads = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
            first = np.minimum.reduceat(times, heads)
            last = np.maximum.reduceat(times, heads)
            count = np.diff(np.r_[heads, len(codes)])
            subscriber = codes[heads]
            # most events first, ties by subscriber name
            top = np.lexsort((events.name_rank[subscriber], -count))[:MAX_PER_SITE]
            parts["code"].append(subscriber[top])
            parts["start"].append(np.maximum(first[top] - PAD_S, int(start)))
            parts["end"].append(np.minimum(last[top] + PAD_S, int(end)))
            parts["venue"].append(np.full(len(top), venue_id, dtype=object))
            parts["cell"].append(np.asarray(cells, dtype=object)[cell_of[heads][top]])
        if not parts["code"]:
            return empty()
        column = {k: np.concatenate(v) for k, v in parts.items()}
        keep = column["end"] > column["start"]
        column = {k: v[keep] for k, v in column.items()}
        phones = events.subscriber_names[column["code"]]
        people = data.persons_by_phone(phones)
        contact = np.asarray([people.get(p, p) for p in phones.tolist()], dtype=object)
        chosen = _most_minutes(contact, column["end"] - column["start"], MAX_TOTAL)
        venue = column["venue"][chosen]
        lat, lon = data.venue_points(venue)
        out = frame(
            int(chosen.sum()),
            contact=contact[chosen],
            source="cell",
            start_s=column["start"][chosen],
            end_s=column["end"][chosen],
            venue_id=venue,
            lat=lat,
            lon=lon,
            p_near=P_NEAR,
            grade="possible",
            setting="cell",
            detail=column["cell"][chosen],
        )
        return clip(out, case)


def _most_minutes(
    contact: npt.NDArray[np.object_], seconds: npt.NDArray[np.int64], limit: int
) -> npt.NDArray[np.bool_]:
    """Rows of the ``limit`` contacts with the most time in total (ties as pandas' descending sort puts them)."""
    names, which = np.unique(contact.astype(str), return_inverse=True)
    if len(names) <= limit:
        return np.ones(len(contact), dtype=bool)
    total = np.zeros(len(names), dtype=np.int64)
    np.add.at(total, which, seconds.astype(np.int64))
    kept = pd.Series(total).sort_values(ascending=False).head(limit).index.to_numpy(np.int64)
    wanted = np.zeros(len(names), dtype=bool)
    wanted[kept] = True
    chosen: npt.NDArray[np.bool_] = wanted[which]
    return chosen
