"""Mobile-operator records: everyone the same cell served while the case was at an exposure site.

Korea's rule for the Itaewon clubs (May 2020): everyone whose phone was near the site that night was asked
to get tested. A cell covers hundreds of metres, so this is never more than **possible**. Rules:

* exposure sites are the case's visits to venues (GPS stays matched to a venue, check-ins, card payments);
  homes are never sites;
* the cells are those that served the case during the visit; other subscribers served by one of them during
  the visit are possible contacts, their presence spanning their first to last event there ±15 minutes
  (``cell.pad_s`` of :mod:`izquvar.trace.rules`), clipped to the visit;
* a subscriber is mapped to a person through the registry's phone number (else reported by phone pseudonym);
* at most ``cell.max_per_site`` (200) people per site and ``cell.max_total`` (1000) per trace, most events
  first: the list is for a text message asking people to get tested, not for individual follow-up.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.trace.columnar import ranges, stable_order
from izquvar.trace.evidence import EvidenceBatch, TracedCase, clip, empty
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, CellRules, CheckinRules
from izquvar.trace.sources.card import payment_visits
from izquvar.trace.sources.checkins import visits
from izquvar.trace.trace_data import TraceData

I64 = npt.NDArray[np.int64]


def exposure_sites(
    case: TracedCase, data: TraceData, checkin_rules: CheckinRules = DEFAULT_RULES.checkins
) -> tuple[I64, I64, I64]:
    """The case's venue visits in the window: venue codes, starts and ends (GPS stays at a venue, then
    check-ins, then card payments)."""
    venues, starts, ends = [], [], []
    if len(case.stays) and "venue" in case.stays:
        at = case.stays["venue"] >= 0
        venues.append(case.stays["venue"][at])
        starts.append(case.stays["start_s"][at])
        ends.append(case.stays["end_s"][at])
    person = data.person_code(case.person)
    checkins = data.checkins.rows(person)
    if len(checkins):
        start, end, _ = visits(checkins, data, checkin_rules)
        venues.append(checkins["venue"])
        starts.append(start)
        ends.append(end)
    card = data.card.rows(person)
    card = card.take(card["venue"] >= 0)
    if len(card):
        start, end = payment_visits(card, data)
        venues.append(card["venue"])
        starts.append(start)
        ends.append(end)
    if not venues:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)
    venue = np.concatenate(venues).astype(np.int64)
    start = np.maximum(np.concatenate(starts).astype(np.int64), case.start_s)
    end = np.minimum(np.concatenate(ends).astype(np.int64), case.end_s)
    keep = end > start
    return venue[keep], start[keep], end[keep]


class CellSource:
    name: Source = "cell"

    def __init__(self, rules: CellRules = DEFAULT_RULES.cell, checkins: CheckinRules = DEFAULT_RULES.checkins) -> None:
        self.rules = rules
        self.checkins = checkins

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        if case.phone is None:
            return empty()
        events = data.cell_events
        own_t, own_cell = events.own_codes(case.phone)
        if not len(own_t):
            return empty()
        code = events.code_of(case.phone)
        phone_code = -1 if code is None else code
        site_venue, site_start, site_end = exposure_sites(case, data, self.checkins)
        found = _site_subscribers(data, own_t, own_cell, phone_code, site_start, site_end, self.rules)
        if found is None:
            return empty()
        site, subscriber, start, end, cell = found
        keep = end > start
        site, subscriber, start, end, cell = site[keep], subscriber[keep], start[keep], end[keep], cell[keep]
        contact = data.subscriber_contact[subscriber]
        chosen = _most_minutes(data.subscriber_contact_rank[subscriber], end - start, self.rules.max_total)
        venue = site_venue[site[chosen]]
        facts = data.venue_facts
        out = EvidenceBatch.of(
            int(chosen.sum()),
            contact=contact[chosen],
            source="cell",
            start_s=start[chosen],
            end_s=end[chosen],
            venue_id=data.venue_names(venue),
            lat=facts["lat"][venue],
            lon=facts["lon"][venue],
            p_near=self.rules.p_near,
            grade="possible",
            setting="cell",
            detail=events.cell_ids[cell[chosen]].astype(object),
        )
        return clip(out, case)


def _site_subscribers(
    data: TraceData, own_t: I64, own_cell: I64, phone_code: int, site_start: I64, site_end: I64, rules: CellRules
) -> tuple[I64, I64, I64, I64, I64] | None:
    """Per site (vectorised over all sites): the other subscribers served by a cell that served the case during
    the visit ±``rules.pad_s``, each with its presence (first to last event ±``rules.pad_s``, clipped to the
    visit) and the cell of its first event; at most ``rules.max_per_site`` per site, most events first, ties by name.
    Rows: site index, subscriber code, start, end, cell code, by site then rank."""
    events = data.cell_events
    lo_s, hi_s = site_start - rules.pad_s, site_end + rules.pad_s
    # the case's own records during each visit: which cells served it (each site's cells in name order)
    a = np.searchsorted(own_t, lo_s, side="left")
    b = np.searchsorted(own_t, hi_s, side="right")
    own_rows, own_site = ranges(a, b)
    if not len(own_rows):
        return None
    n_cells = len(events.cell_ids)
    pair = np.unique(own_site * n_cells + own_cell[own_rows])
    pair_site, pair_cell = pair // n_cells, pair % n_cells
    # everyone's records of those cells during the visit, by site, then cell, then time
    lo, hi = events.in_intervals(pair_cell, lo_s[pair_site], hi_s[pair_site])
    rows, pair_of = ranges(lo, hi)
    codes = events.subscriber[rows]
    others = codes != phone_code
    rows, pair_of, codes = rows[others], pair_of[others], codes[others]
    if not len(rows):
        return None
    site = pair_site[pair_of]
    times = events.time_s[rows]
    # per (site, subscriber): first and last event, how many, and the cell of its first listed event
    order = stable_order(site * len(events.subscriber_names) + codes)
    site, codes, times, cell = site[order], codes[order], times[order], pair_cell[pair_of][order]
    heads = np.flatnonzero(np.r_[True, (codes[1:] != codes[:-1]) | (site[1:] != site[:-1])])
    first = np.minimum.reduceat(times, heads)
    last = np.maximum.reduceat(times, heads)
    count = np.diff(np.r_[heads, len(codes)])
    site, subscriber, cell = site[heads], codes[heads], cell[heads]
    # most events first, ties by subscriber name, at most max_per_site per site
    top = np.lexsort((events.name_rank[subscriber], -count, site))
    site_first = np.searchsorted(site[top], site[top], side="left")
    top = top[np.arange(len(top)) - site_first < rules.max_per_site]
    site = site[top]
    start = np.maximum(first[top] - rules.pad_s, site_start[site])
    end = np.minimum(last[top] + rules.pad_s, site_end[site])
    return site, subscriber[top], start, end, cell[top]


def _most_minutes(
    contact_rank: npt.NDArray[np.int64], seconds: npt.NDArray[np.int64], limit: int
) -> npt.NDArray[np.bool_]:
    """Rows of the ``limit`` contacts with the most time in total (ties as pandas' descending sort puts them,
    contacts in name order). ``contact_rank``: each row's contact as its rank among contact names."""
    names, which = np.unique(contact_rank, return_inverse=True)
    if len(names) <= limit:
        return np.ones(len(contact_rank), dtype=bool)
    total = np.zeros(len(names), dtype=np.int64)
    np.add.at(total, which, seconds.astype(np.int64))
    kept = pd.Series(total).sort_values(ascending=False).head(limit).index.to_numpy(np.int64)
    wanted = np.zeros(len(names), dtype=bool)
    wanted[kept] = True
    chosen: npt.NDArray[np.bool_] = wanted[which]
    return chosen
