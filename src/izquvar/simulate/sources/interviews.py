"""Case interviews: the people a confirmed case names to a contact tracer, as Go.Data and SORMAS record them.

How it is simulated (every figure is a :class:`~izquvar.simulate.config.SimConfig` field, sourced in
docs/simulator.md, "Interviews"):

* **Who met whom.** Each day, for everyone infected so far, the people they shared a place with (the same home,
  or the same room of a school, workplace, restaurant, choyxona, mosque, gym or wedding hall) for at least
  ``interview_min_overlap_min`` minutes are kept (:class:`Meetings`). Rides, bazaars, shops, clinics and parks
  give strangers only, and strangers are never named. Household members are named from the registry's
  household for every case (they meet every day), so a false-positive case names its household too.
* **The relation** of each pair: ``household``; ``guest`` (came to the case's home) or ``host`` (the case
  came to theirs); ``relative`` (met anywhere else while their households visit each other,
  ``Population.related``); ``classmate`` (pupils of one class); ``colleague`` (one workplace room); ``friend``
  (met at a leisure venue on two days or more); anyone else at a school or home ``other``; anyone else at a
  leisure venue, once, a stranger (not named).
* **Who is interviewed, when.** A share ``interview_reached_share`` of the confirmed cases is reached, the
  interview ``interview_delay_days`` days after the first positive result; it asks about the days from
  ``interview_days_before_onset`` before symptom onset (the specimen date when asymptomatic) to the interview.
  An interview after the simulation's last day has not happened yet.
* **Recall.** A person met is named with probability ``interview_recall[relation] × t^interview_recall_exponent``,
  ``t`` the days from the last meeting to the interview (at least 1): a power-law decline, as Broda et al. 2024
  measured over 15,000 emulated interviews.
* **Identification.** A named person is recorded by national ID, by phone, or only by a (given) name, with the
  shares of ``interview_identified[relation]``; a phone is recorded only if the person has one (else the name).

All draws come from the ``interviews`` stream: other feeds' bytes do not change when interviews are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.formats import RELATIONS, VENUE_CATEGORIES
from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.epidemic import NEVER, LabRows
from izquvar.simulate.places import CATEGORY, World
from izquvar.simulate.population import Population
from izquvar.simulate.schedule import RIDE, Stays
from izquvar.simulate.sources.common import dates, table
from izquvar.simulate.sources.persons import names

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Venue categories where people meet others they know: anyone else there is a stranger.
SOCIAL = ("school", "workplace", "restaurant", "choyxona", "mosque", "gym", "wedding_hall")
LEISURE = ("restaurant", "choyxona", "mosque", "gym", "wedding_hall")
#: Relation codes (indexes of formats.RELATIONS) and the stranger, who is never named.
REL = {name: k for k, name in enumerate(RELATIONS)}
STRANGER = len(RELATIONS)
#: When one pair meets in several ways, the relation the case gives (the one they know each other by).
_PRIORITY = ("household", "relative", "host", "guest", "classmate", "colleague", "friend", "other")
_RANK = np.full(len(RELATIONS) + 1, len(_PRIORITY), dtype=np.int64)
for _k, _name in enumerate(_PRIORITY):
    _RANK[REL[_name]] = _k
ID_PERSON, ID_PHONE, ID_NAME = 0, 1, 2


@dataclass
class Meetings:
    """Who met whom, day by day, for everyone infected so far: what an interview can draw on."""

    pop: Population
    world: World
    config: SimConfig
    parts: list[tuple[IntArray, ...]] = field(default_factory=list)
    lab: list[LabRows] = field(default_factory=list)

    def record(self, day: int, stays: Stays, infected: BoolArray) -> None:
        """Keep the day's meetings of the infected: (case, other, day, relation, setting code)."""
        v = self.world.venues
        home = stays.place >= v.size
        category = np.where(home, -1, v.category[np.minimum(stays.place, v.size - 1)])
        social = np.isin(category, [CATEGORY[c] for c in SOCIAL])
        keep = (stays.kind != RIDE) & (home | social)
        if not keep.any() or not infected[stays.person[keep]].any():
            return
        person, place = stays.person[keep], stays.place[keep]
        zone = np.where(home[keep], 0, stays.zone[keep])
        start, end, cat = stays.start[keep], stays.end[keep], category[keep]
        key = place.astype(np.int64) * 100_003 + zone
        order = np.argsort(key, kind="stable")
        key_sorted = key[order]
        mine = np.flatnonzero(infected[person])
        lo = np.searchsorted(key_sorted, key[mine], side="left")
        hi = np.searchsorted(key_sorted, key[mine], side="right")
        count = hi - lo
        i = np.repeat(mine, count)
        j = order[np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)]
        overlap = np.minimum(end[i], end[j]) - np.maximum(start[i], start[j])
        pop = self.pop
        c, o = person[i], person[j]
        ok = (overlap >= self.config.interview_min_overlap_min) & (c != o)
        ok &= pop.household[c] != pop.household[o]  # household members are named from the registry
        i, j, c, o = i[ok], j[ok], c[ok], o[ok]
        if not len(i):
            return
        relation = self._relation(c, o, place[i], cat[i])
        setting = np.where(cat[i] < 0, -1, cat[i])
        self.parts.append((c, o, np.full(len(c), day, np.int64), relation, setting.astype(np.int64)))

    def _relation(self, c: IntArray, o: IntArray, place: IntArray, category: IntArray) -> IntArray:
        pop, m, venues = self.pop, self.world.members, self.world.venues.size
        hc, ho = pop.household[c], pop.household[o]
        related = (pop.related[hc] == ho[:, None]).any(axis=1) | (pop.related[ho] == hc[:, None]).any(axis=1)
        host_household = place - venues
        out = np.full(len(c), STRANGER, dtype=np.int64)
        at_home = category < 0
        out[at_home] = REL["other"]
        out[at_home & (host_household == hc)] = REL["guest"]
        out[at_home & (host_household == ho)] = REL["host"]
        school = category == CATEGORY["school"]
        out[school] = np.where((m.class_id[c[school]] >= 0) & (m.class_id[c[school]] == m.class_id[o[school]]),
                               REL["classmate"], REL["other"])  # fmt: skip
        out[category == CATEGORY["workplace"]] = REL["colleague"]
        leisure = np.isin(category, [CATEGORY[x] for x in LEISURE])
        out[leisure & related] = REL["relative"]
        # a leisure-venue stranger met on two days or more is a friend: decided when the interview looks back
        return out


def given_names(pop: Population, rng: np.random.Generator) -> npt.NDArray[np.str_]:
    """Everyone's given name as the registry has it: the first two draws of the registry's stream, exactly as
    :func:`~izquvar.simulate.sources.persons.write_registry` makes them (a name-only contact is named by it)."""
    male, female = names("male-given"), names("female-given")
    n = pop.size
    m = np.asarray(male)[rng.integers(0, len(male), n)]
    f = np.asarray(female)[rng.integers(0, len(female), n)]
    given: npt.NDArray[np.str_] = np.where(pop.male, m, f)
    return given


def interviews(
    meetings: Meetings,
    onset_at: npt.NDArray[np.float64],
    person_id: pa.Array[Any],
    given: npt.NDArray[np.str_],
    clock: Clock,
    config: SimConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """The interviews held by the simulation's last day, one row per named person (the ``interviews`` feed)."""
    pop, cfg = meetings.pop, config
    first = _first_positive(meetings.lab, pop.size)
    cases = np.flatnonzero(first[:, 0] != NEVER)
    reached = rng.random(len(cases)) < cfg.interview_reached_share
    delays = np.asarray(cfg.interview_delay_days, dtype=np.float64)
    delay = rng.choice(len(delays), size=len(cases), p=delays / delays.sum())
    interview_day = first[cases, 1] + delay
    held = reached & (interview_day <= cfg.days - 1)
    cases, interview_day = cases[held], interview_day[held]
    onset_day = np.where(np.isnan(onset_at[cases]), first[cases, 0], np.floor(np.nan_to_num(onset_at[cases]) / 1440.0))
    opens = np.maximum(np.minimum(onset_day, first[cases, 0]) - cfg.interview_days_before_onset, 0).astype(np.int64)
    iv_day = np.full(pop.size, -1, dtype=np.int64)
    iv_open = np.zeros(pop.size, dtype=np.int64)
    iv_day[cases], iv_open[cases] = interview_day, opens

    c, o, day, relation, setting = _pairs(meetings, iv_day, iv_open)
    # household members, from the registry, for every interviewed case
    hh_c, hh_o = _household_pairs(pop, cases)
    c = np.r_[c, hh_c]
    o = np.r_[o, hh_o]
    first_day = np.r_[day[0], iv_open[hh_c]]
    last_day = np.r_[day[1], iv_day[hh_c]]
    relation = np.r_[relation, np.full(len(hh_c), REL["household"], np.int64)]
    setting = np.r_[setting, np.full(len(hh_c), -1, np.int64)]
    # recall: a power-law decline with the days since they last met
    since = np.maximum(iv_day[c] - last_day, 1).astype(np.float64)
    base = np.asarray([cfg.interview_recall.get(r, 0.0) for r in RELATIONS], dtype=np.float64)
    named = rng.random(len(c)) < base[relation] * since**cfg.interview_recall_exponent
    c, o, first_day, last_day, relation, setting = (x[named] for x in (c, o, first_day, last_day, relation, setting))
    order = np.lexsort((o, c))  # person numbers: a stable, seed-determined order
    c, o, first_day, last_day, relation, setting = (x[order] for x in (c, o, first_day, last_day, relation, setting))
    # how each named person is recorded
    shares = np.asarray([cfg.interview_identified[r] for r in RELATIONS], dtype=np.float64)
    u = rng.random(len(c))
    cum = np.cumsum(shares[relation], axis=1)
    how = (u[:, None] >= cum).sum(axis=1).clip(0, 2)
    how = np.where((how == ID_PHONE) & ~pop.has_phone[o], ID_NAME, how)
    number = np.arange(len(c)) - np.searchsorted(c, c, side="left") + 1
    ids = np.asarray(person_id.to_numpy(zero_copy_only=False), dtype=object)
    settings = np.asarray(["home", *VENUE_CATEGORIES], dtype=object)
    return table(
        "interviews",
        {
            "case_person": pa.array(ids[c], pa.string()),
            "interview_date": dates(clock.epoch_days(iv_day[c])),
            "contact_no": pa.array(number.astype(np.int64)),
            "contact_person": pa.array(ids[o], pa.string(), mask=how != ID_PERSON),
            "contact_phone": pa.array(pop.phone[o].astype(object), pa.string(), mask=how != ID_PHONE),
            "contact_name": pa.array(given[o].astype(object), pa.string(), mask=how != ID_NAME),
            "relation": pa.array(np.asarray(RELATIONS, dtype=object)[relation], pa.string()),
            "first_met": dates(clock.epoch_days(first_day)),
            "last_met": dates(clock.epoch_days(last_day)),
            "setting": pa.array(settings[setting + 1], pa.string()),
        },
    )


def _first_positive(lab: list[LabRows], n: int) -> IntArray:
    """Per person: the specimen day and result day of their first positive result (``NEVER`` when none)."""
    out = np.full((n, 2), NEVER, dtype=np.int64)
    if not lab:
        return out
    person = np.concatenate([r.person for r in lab])
    specimen = np.concatenate([r.specimen_day for r in lab])
    result_day = np.concatenate([r.result_day for r in lab])
    positive = np.concatenate([r.result for r in lab]) == 1
    person, specimen, result_day = person[positive], specimen[positive], result_day[positive]
    if not len(person):
        return out
    order = np.lexsort((result_day, specimen, person))
    person, specimen, result_day = person[order], specimen[order], result_day[order]
    head = np.r_[True, person[1:] != person[:-1]]
    out[person[head], 0] = specimen[head]
    out[person[head], 1] = result_day[head]
    return out


def _pairs(
    meetings: Meetings, iv_day: IntArray, iv_open: IntArray
) -> tuple[IntArray, IntArray, tuple[IntArray, IntArray], IntArray, IntArray]:
    """Per (case, other) met in the case's interview period: first and last day, relation and setting (of
    the last meeting); strangers dropped, leisure strangers met on two days or more made friends."""
    empty = np.empty(0, np.int64)
    if not meetings.parts:
        return empty, empty, (empty, empty), empty, empty
    c, o, day, relation, setting = (np.concatenate([p[k] for p in meetings.parts]) for k in range(5))
    asked = (iv_day[c] >= 0) & (day >= iv_open[c]) & (day <= iv_day[c])
    c, o, day, relation, setting = c[asked], o[asked], day[asked], relation[asked], setting[asked]
    if not len(c):
        return empty, empty, (empty, empty), empty, empty
    n = meetings.pop.size
    pair = c * np.int64(n) + o
    order = np.lexsort((day, pair))
    pair, c, o, day, relation, setting = (x[order] for x in (pair, c, o, day, relation, setting))
    head = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    tail = np.r_[head[1:], len(pair)] - 1
    first_day, last_day = day[head], day[tail]
    # the relation they know each other by: the highest priority over their meetings
    rank = np.minimum.reduceat(_RANK[relation], head)
    best = np.full(len(head), STRANGER, dtype=np.int64)
    known = rank < len(_PRIORITY)
    best[known] = np.asarray([REL[r] for r in _PRIORITY], dtype=np.int64)[rank[known]]
    new_day = np.r_[True, (pair[1:] != pair[:-1]) | (day[1:] != day[:-1])]
    days_met = np.add.reduceat(new_day.astype(np.int64), head)
    best = np.where((best == STRANGER) & (days_met >= 2), REL["friend"], best)
    named = best != STRANGER
    return (
        c[head][named],
        o[head][named],
        (first_day[named], last_day[named]),
        best[named],
        setting[tail][named],
    )


def _household_pairs(pop: Population, cases: IntArray) -> tuple[IntArray, IntArray]:
    """(case, member) for every other member of each case's household."""
    lo = pop.household_start[pop.household[cases]]
    hi = pop.household_start[pop.household[cases] + 1]
    count = hi - lo
    c = np.repeat(cases, count)
    o = np.repeat(lo, count) + np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    keep = o != c
    return c[keep], o[keep]
