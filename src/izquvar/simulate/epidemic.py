"""The outbreak: natural history, transmission from co-presence, testing, and isolation changing later days.

- Incubation is lognormal (Lauer et al. 2020, median 5.1 days); a third of infections stay asymptomatic
  (Buitrago-Garcia et al. 2020) and transmit at 35 % of the symptomatic rate.
- Infectiousness around symptom onset follows He et al. (2020): a gamma density shifted 12.27 days, so it
  peaks at onset and ~40 % of transmission happens before symptoms.
- Transmission per 5-minute slot has two routes: close range (within 2 m, decaying with distance) and shared
  indoor air (everyone in the same room, inversely to its floor area). Outdoors counts 1/18.7 (Nishiura et
  al.).
- Testing: symptomatic people seek a test after a delay, contacts in the household of a confirmed case are
  tested, and a few healthy people are tested for other reasons. PCR sensitivity depends on the days since
  infection (Kucirka et al. 2020); antigen tests miss more. A positive result isolates the person at home.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from izquvar.simulate.config import SimConfig
from izquvar.simulate.copresence import SLOT_MIN
from izquvar.simulate.population import Population
from izquvar.simulate.schedule import DayInputs

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: He et al. (2020), infectiousness relative to symptom onset: gamma(shape, rate) shifted by this many days.
INFECTIOUSNESS_SHAPE, INFECTIOUSNESS_RATE, INFECTIOUSNESS_SHIFT = 20.52, 1.59, 12.27
#: Kucirka et al. (2020): probability a PCR detects infection, by days since infection (linear in between).
PCR_SENSITIVITY_DAYS = np.array([0.0, 1.0, 4.0, 5.0, 8.0, 9.0, 21.0, 30.0])
PCR_SENSITIVITY = np.array([0.0, 0.0, 0.33, 0.62, 0.80, 0.79, 0.34, 0.10])
SELF_ISOLATION_DAYS = 7
NEVER = -1


def infectiousness_density(days_from_onset: FloatArray) -> FloatArray:
    """He et al.'s infectiousness profile (per day) at the given days relative to symptom onset."""
    x = np.asarray(days_from_onset, dtype=np.float64) + INFECTIOUSNESS_SHIFT
    out = np.zeros_like(x)
    pos = x > 0
    k, r = INFECTIOUSNESS_SHAPE, INFECTIOUSNESS_RATE
    out[pos] = np.exp((k - 1.0) * np.log(x[pos]) - r * x[pos] + k * math.log(r) - math.lgamma(k))
    return out


def pcr_sensitivity(days_since_infection: FloatArray) -> FloatArray:
    out: FloatArray = np.interp(days_since_infection, PCR_SENSITIVITY_DAYS, PCR_SENSITIVITY, left=0.0, right=0.0)
    return out


@dataclass
class Exposures:
    """Transmission opportunities collected over a day's chunks of places."""

    susceptible: list[IntArray] = field(default_factory=list)
    source: list[IntArray] = field(default_factory=list)  # infectious person, or -1 for shared air
    hazard: list[FloatArray] = field(default_factory=list)
    slot: list[IntArray] = field(default_factory=list)
    place: list[IntArray] = field(default_factory=list)
    zone: list[IntArray] = field(default_factory=list)
    # infectious people present, to attribute shared-air infections
    inf_person: list[IntArray] = field(default_factory=list)
    inf_weight: list[FloatArray] = field(default_factory=list)
    inf_key: list[IntArray] = field(default_factory=list)

    def add(
        self,
        susceptible: IntArray,
        source: IntArray,
        hazard: FloatArray,
        slot: IntArray,
        place: IntArray,
        zone: IntArray,
    ) -> None:
        keep = hazard > 0
        self.susceptible.append(susceptible[keep])
        self.source.append(source[keep])
        self.hazard.append(hazard[keep])
        self.slot.append(slot[keep])
        self.place.append(place[keep])
        self.zone.append(zone[keep])


@dataclass(frozen=True)
class NewInfections:
    infectee: IntArray
    infector: IntArray  # -1 for index cases
    time_min: FloatArray  # minutes since the start of day 0 (local)
    place: IntArray  # -1 for index cases
    zone: IntArray


@dataclass(frozen=True)
class LabRows:
    person: IntArray
    specimen_day: IntArray
    result_day: IntArray
    pcr: BoolArray
    result: npt.NDArray[np.int8]  # 0 negative, 1 positive, 2 inconclusive


def place_key(place: IntArray, zone: IntArray, slot: IntArray) -> IntArray:
    return (place.astype(np.int64) * 10_007 + zone) * 288 + slot


class Epidemic:
    """Everyone's infection, symptom, test and isolation state, advanced one day at a time."""

    def __init__(self, pop: Population, config: SimConfig, rng: np.random.Generator) -> None:
        n = pop.size
        self.pop = pop
        self.config = config
        self.infected_at = np.full(n, np.nan)
        self.onset_at = np.full(n, np.nan)
        self.asymptomatic = np.zeros(n, dtype=np.bool_)
        self.specimen_day = np.full(n, NEVER, dtype=np.int64)
        self.first_positive_specimen = np.full(n, NEVER, dtype=np.int64)
        self.isolation_from = np.full(n, NEVER, dtype=np.int64)
        self.isolation_to = np.full(n, NEVER, dtype=np.int64)
        self.first_isolation = np.full(n, NEVER, dtype=np.int64)
        # index cases: infected during the week before day 0, so some are already infectious
        index = rng.choice(n, size=config.index_cases, replace=False)
        when = -rng.uniform(0.0, 7.0, len(index)) * 1440.0
        self.index_infections = self._infect(index, when, rng, np.full(len(index), -1), np.full(len(index), -1))

    # -- natural history -------------------------------------------------------------------------------------
    def _infect(
        self, who: IntArray, when: FloatArray, rng: np.random.Generator, infector: IntArray, place: IntArray
    ) -> NewInfections:
        cfg = self.config
        self.infected_at[who] = when
        incubation = rng.lognormal(cfg.incubation_meanlog, cfg.incubation_sdlog, len(who)) * 1440.0
        self.onset_at[who] = when + incubation
        self.asymptomatic[who] = rng.random(len(who)) < cfg.asymptomatic_share
        return NewInfections(who, infector, when, place, np.zeros(len(who), np.int64))

    def infectiousness(self, day: int) -> FloatArray:
        """Relative infectiousness (per day) of everyone at the middle of ``day``; zero when not infected."""
        now = day * 1440.0 + 720.0
        w = np.zeros(self.pop.size)
        infected = np.flatnonzero(self.infected_at <= now)
        tau = (now - self.onset_at[infected]) / 1440.0
        dens = infectiousness_density(tau)
        dens = np.where(self.asymptomatic[infected], dens * self.config.asymptomatic_relative_infectiousness, dens)
        w[infected] = dens
        return w

    def susceptible(self) -> BoolArray:
        out: BoolArray = np.isnan(self.infected_at)
        return out

    # -- the day's constraints -------------------------------------------------------------------------------
    def plan_day(self, day: int, weekday: int, rng: np.random.Generator) -> DayInputs:
        """Who stays home and who gives a specimen today: symptoms, test seeking, background testing."""
        cfg = self.config
        n = self.pop.size
        onset_day = np.floor(self.onset_at / 1440.0)
        # on day 0 the index cases whose symptoms began before the simulation catch up
        began = (onset_day <= day) if day == 0 else (onset_day == day)
        new_onset = np.flatnonzero(began & ~self.asymptomatic)
        onset_of = onset_day[new_onset].astype(np.int64)
        seeking = rng.random(len(new_onset)) < cfg.symptomatic_test_share
        seek = new_onset[seeking]
        probs = np.asarray(cfg.onset_to_specimen_days)
        delays = rng.choice(len(probs), size=len(seek), p=probs)
        self._schedule_test(seek, np.maximum(onset_of[seeking] + delays, day))
        isolating = rng.random(len(new_onset)) < cfg.self_isolation_at_onset
        for until in np.unique(onset_of[isolating] + SELF_ISOLATION_DAYS):
            if until >= day:
                group = new_onset[isolating & (onset_of + SELF_ISOLATION_DAYS == until)]
                self._isolate(group, day, int(until))
        background = np.flatnonzero(rng.random(n) < cfg.background_test_rate)
        self._schedule_test(background, np.full(len(background), day))
        homebound = (self.isolation_from >= 0) & (self.isolation_from <= day) & (day <= self.isolation_to)
        return DayInputs(day=day, weekday=weekday, homebound=homebound, clinic_visit=self.specimen_day == day)

    def _schedule_test(self, who: IntArray, day: IntArray) -> None:
        current = self.specimen_day[who]
        take = (current == NEVER) | (current > day)
        self.specimen_day[who[take]] = day[take]

    def _isolate(self, who: IntArray, start: int, end: int) -> None:
        self.isolation_from[who] = np.where(
            (self.isolation_from[who] >= 0) & (self.isolation_to[who] >= start - 1),
            np.minimum(self.isolation_from[who], start),
            start,
        )
        self.isolation_to[who] = np.maximum(self.isolation_to[who], end)
        first = self.first_isolation[who]
        self.first_isolation[who] = np.where(first == NEVER, start, np.minimum(first, start))

    # -- transmission ----------------------------------------------------------------------------------------
    def transmit(self, day: int, exposures: Exposures, rng: np.random.Generator) -> NewInfections:
        """Draw today's infections from the collected exposures and attribute each to one infector."""
        empty = NewInfections(
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
            np.zeros(0),
            np.zeros(0, np.int64),
            np.zeros(0, np.int64),
        )
        if not exposures.susceptible or sum(len(s) for s in exposures.susceptible) == 0:
            return empty
        sus = np.concatenate(exposures.susceptible)
        src = np.concatenate(exposures.source)
        haz = np.concatenate(exposures.hazard)
        slot = np.concatenate(exposures.slot)
        place = np.concatenate(exposures.place)
        zone = np.concatenate(exposures.zone)
        order = np.lexsort((slot, src, sus))
        sus, src, haz, slot, place, zone = (
            sus[order],
            src[order],
            haz[order],
            slot[order],
            place[order],
            zone[order],
        )
        first = np.r_[True, sus[1:] != sus[:-1]]
        starts = np.flatnonzero(first)
        total = np.add.reduceat(haz, starts)
        infected = rng.random(len(starts)) < -np.expm1(-total)
        if not infected.any():
            return empty
        # pick the exposure that infected, proportionally to its hazard
        csum = np.cumsum(haz)
        before = np.r_[0.0, csum][starts]
        chosen_starts = starts[infected]
        target = before[infected] + rng.random(int(infected.sum())) * total[infected]
        pick = np.searchsorted(csum, target, side="right")
        ends = np.r_[starts[1:], len(sus)][infected]
        pick = np.clip(pick, chosen_starts, ends - 1)
        infector = src[pick].copy()
        air = np.flatnonzero(infector < 0)
        if len(air):
            infector[air] = self._air_infector(exposures, place[pick[air]], zone[pick[air]], slot[pick[air]], rng)
        when = day * 1440.0 + slot[pick] * SLOT_MIN + rng.uniform(0.0, SLOT_MIN, len(pick))
        new = self._infect(sus[pick], when, rng, infector, place[pick])
        return NewInfections(new.infectee, infector, when, place[pick], zone[pick])

    @staticmethod
    def _air_infector(
        exposures: Exposures, place: IntArray, zone: IntArray, slot: IntArray, rng: np.random.Generator
    ) -> IntArray:
        keys = np.concatenate(exposures.inf_key)
        persons = np.concatenate(exposures.inf_person)
        weights = np.concatenate(exposures.inf_weight)
        order = np.argsort(keys, kind="stable")
        keys, persons, weights = keys[order], persons[order], weights[order]
        wanted = place_key(place, zone, slot)
        lo = np.searchsorted(keys, wanted, side="left")
        hi = np.searchsorted(keys, wanted, side="right")
        csum = np.r_[0.0, np.cumsum(weights)]
        target = csum[lo] + rng.random(len(wanted)) * (csum[hi] - csum[lo])
        pick = np.clip(np.searchsorted(csum, target, side="right") - 1, lo, hi - 1)
        chosen: IntArray = persons[pick]
        return chosen

    # -- testing ---------------------------------------------------------------------------------------------
    def test(self, day: int, rng: np.random.Generator) -> LabRows:
        """Results of today's specimens; a positive isolates from the next day and its household is tested."""
        cfg = self.config
        who = np.flatnonzero(self.specimen_day == day)
        self.specimen_day[who] = NEVER
        k = len(who)
        pcr = rng.random(k) < cfg.pcr_share
        since = (day * 1440.0 + 600.0 - self.infected_at[who]) / 1440.0
        infected = ~np.isnan(since) & (since >= 0)
        since = np.where(infected, since, -1.0)
        sens_pcr = pcr_sensitivity(since)
        peak = PCR_SENSITIVITY.max()
        antigen_peak = np.where(
            self.asymptomatic[who], cfg.antigen_sensitivity_asymptomatic, cfg.antigen_sensitivity_symptomatic
        )
        sens = np.where(pcr, sens_pcr, sens_pcr / peak * antigen_peak)
        false_pos = np.where(pcr, 1.0 - cfg.pcr_specificity, 1.0 - cfg.antigen_specificity)
        p_pos = np.where(infected, sens, false_pos)
        positive = rng.random(k) < p_pos
        result = positive.astype(np.int8)
        inconclusive = pcr & (rng.random(k) < cfg.pcr_inconclusive)
        result[inconclusive] = 2
        delay_pcr = rng.choice(len(cfg.pcr_result_delay_days), size=k, p=np.asarray(cfg.pcr_result_delay_days))
        result_day = day + np.where(pcr, delay_pcr, 0)
        pos = result == 1
        confirmed = who[pos]
        new_confirmed = self.first_positive_specimen[confirmed] == NEVER
        self.first_positive_specimen[confirmed[new_confirmed]] = day
        # today has been lived already: a same-day result isolates from tomorrow
        isolate_day = np.maximum(result_day[pos], day + 1)
        for start in np.unique(isolate_day):
            group = confirmed[isolate_day == start]
            self._isolate(group, int(start), int(start) + cfg.isolation_days)
            self._test_household(group, int(start), rng)
        return LabRows(who, np.full(k, day, np.int64), result_day.astype(np.int64), pcr, result)

    def _test_household(self, cases: IntArray, day: int, rng: np.random.Generator) -> None:
        pop = self.pop
        households = np.unique(pop.household[cases])
        sizes = pop.household_start[households + 1] - pop.household_start[households]
        offsets = np.arange(int(sizes.sum())) - np.repeat(np.r_[0, np.cumsum(sizes)][:-1], sizes)
        members = np.repeat(pop.household_start[households], sizes) + offsets
        members = members[self.first_positive_specimen[members] == NEVER]
        chosen = members[rng.random(len(members)) < self.config.household_contact_test_share]
        self._schedule_test(chosen, np.full(len(chosen), day))
