"""``simulate()``: build the city, then live it day by day, writing feeds and truth as each day completes.

Every random draw comes from a generator seeded by (seed, day, purpose), so a seed and a config give the same
bytes, and adding a feed does not change the epidemic (feeds draw from their own streams).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from izquvar.errors import InvalidInput
from izquvar.formats import VENUE_CATEGORIES
from izquvar.simulate import truth
from izquvar.simulate.city import load_tashkent
from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.copresence import (
    PEOPLE_PER_BEDROOM,
    SLOT_MIN,
    PlaceGeometry,
    SlotRows,
    chunks_by_place,
    expand,
    group_keys,
    pairs_within,
)
from izquvar.simulate.epidemic import Epidemic, Exposures, LabRows, NewInfections, place_key
from izquvar.simulate.places import CATEGORY, World, build_world
from izquvar.simulate.population import Population, build_population
from izquvar.simulate.schedule import STAY_KINDS, DayBuilder, Habits, Stays, weekday_of
from izquvar.simulate.sources import ble, card, cell, checkins, gps, interviews, lab, persons, registry
from izquvar.simulate.sources.common import dates, take, timestamps
from izquvar.simulate.stay_positions import StayPositions
from izquvar.simulate.writer import PartitionedWriter, write_table

FORMAT_VERSION = 1
CLOSE_CONTACT_M = 2.0
CLOSE_CONTACT_MIN = 15
HOME_M2_PER_PERSON, HOME_MIN_M2 = 15.0, 30.0
#: Slot rows processed at once: bounds memory at a million people.
CHUNK_ROWS = 6_000_000

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_STREAMS = {
    "world": 1,
    "plan": 2,
    "schedule": 3,
    "positions": 4,
    "transmit": 5,
    "test": 6,
    "gps": 7,
    "cell": 8,
    "card": 9,
    "checkins": 10,
    "ble": 11,
    "towers": 12,
    "epidemic": 13,
    "registry": 14,
    "interviews": 15,
}


@dataclass(frozen=True)
class SimSummary:
    """What a simulation produced: rows per feed and truth table, and the measured imperfection rates."""

    out: Path
    people: int
    households: int
    venues: int
    days: int
    rows: dict[str, int]
    files: dict[str, int]
    infections: int
    diagnostics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _rng(config: SimConfig, purpose: str, day: int = -1) -> np.random.Generator:
    return np.random.default_rng([config.seed, _STREAMS[purpose], day + 1])


def _geometry(pop: Population, world: World) -> PlaceGeometry:
    v = world.venues
    hh_side = np.sqrt(np.maximum(HOME_MIN_M2, HOME_M2_PER_PERSON * pop.household_size()))
    n_h = pop.households
    return PlaceGeometry(
        zone_w=np.r_[v.zone_w, hh_side],
        zone_h=np.r_[v.zone_h, hh_side],
        indoor=np.r_[v.indoor, np.ones(n_h, dtype=np.bool_)],
        mobile=np.r_[v.mobile, np.ones(n_h, dtype=np.bool_)],
        is_home=np.r_[np.zeros(v.size, dtype=np.bool_), np.ones(n_h, dtype=np.bool_)],
        x=np.r_[v.x, pop.home_x],
        y=np.r_[v.y, pop.home_y],
        underground=np.r_[v.category == CATEGORY["metro"], np.zeros(n_h, dtype=np.bool_)],
    )


class _Simulation:
    """State shared by the days of one run."""

    def __init__(self, config: SimConfig, out: Path) -> None:
        self.config = config
        self.out = out
        self.clock = Clock(config)
        city = load_tashkent()
        self.city = city
        rng = _rng(config, "world")
        self.pop = build_population(config, city, rng)
        self.world = build_world(self.pop, city, rng)
        self.habits = Habits.draw(self.pop, config, rng)
        self.geometry = _geometry(self.pop, self.world)
        self.builder = DayBuilder(self.pop, self.world, self.habits, config)
        self.epidemic = Epidemic(self.pop, config, _rng(config, "epidemic"))
        self.towers = cell.Towers.build(city, config, _rng(config, "towers"))
        self.merchants = card.Merchants.build(self.world.venues)
        self.person_id = pa.array(self.pop.person_id)
        self.subscriber = pa.array(self.pop.phone)
        self.place_id = pa.array(np.r_[self.world.venues.venue_id, self.pop.household_id])
        self.id_rank = np.empty(self.pop.size, dtype=np.int64)
        self.id_rank[np.argsort(self.pop.person_id, kind="stable")] = np.arange(self.pop.size)
        self.gps_phase = rng.integers(0, SLOT_MIN * 60, self.pop.size)
        rank_at_home = np.arange(self.pop.size) - self.pop.household_start[self.pop.household]
        self.bedroom = 1 + rank_at_home // PEOPLE_PER_BEDROOM
        self.writer = PartitionedWriter(out, config.format)
        self.infections: list[NewInfections] = [self.epidemic.index_infections]
        self.diag: dict[str, float] = {"card_eligible": 0.0, "checkin_eligible": 0.0}
        self.meetings = interviews.Meetings(self.pop, self.world, config) if config.wants("interviews") else None

    # -- reference tables ------------------------------------------------------------------------------------
    def write_reference(self) -> None:
        cfg, w = self.config, self.writer
        birth_year = (np.datetime64("1970-01-01") + self.pop.birth_day.astype("timedelta64[D]")).astype(
            "datetime64[Y]"
        ).astype(np.int64) + 1970
        if cfg.wants("people"):
            w.reference("people", registry.people(self.pop, self.person_id, birth_year))
            # the identity registry beside the people feed, from a stream of its own (no other byte changes)
            persons.write_registry(self.out, self.pop, self.city, _rng(cfg, "registry"))
        if cfg.wants("rosters"):
            w.reference("rosters", registry.rosters(self.world, self.person_id))
        if cfg.wants("venues"):
            w.reference("venues", registry.venues(self.world))
        if cfg.wants("towers"):
            w.reference("towers", self.towers.table())
        if cfg.wants("merchants"):
            w.reference("merchants", self.merchants.table(self.world.venues))

    # -- one day ---------------------------------------------------------------------------------------------
    def day(self, d: int) -> None:
        cfg, pop = self.config, self.pop
        inputs = self.epidemic.plan_day(d, weekday_of(cfg, d), _rng(cfg, "plan", d))
        stays = self.builder.build(inputs, _rng(cfg, "schedule", d))
        weight = self.epidemic.infectiousness(d)
        susceptible = self.epidemic.susceptible()
        exposures = Exposures()
        contact_keys: list[IntArray] = []
        contact_counts: list[IntArray] = []
        sightings: list[tuple[IntArray, IntArray, IntArray, FloatArray]] = []
        pos_rng = _rng(cfg, "positions", d)
        gps_rng = _rng(cfg, "gps", d)
        want_gps, want_ble = cfg.wants("gps"), cfg.wants("ble")
        positions = StayPositions(stays)
        for rows_index in chunks_by_place(stays, CHUNK_ROWS):
            rows = expand(stays, rows_index, self.geometry, self.bedroom, pos_rng)
            positions.add(rows, self.geometry)
            self._close_range(rows, weight, susceptible, exposures, contact_keys, contact_counts)
            self._shared_air(rows, weight, susceptible, exposures)
            if want_ble:
                sightings.append(self._sightings(rows))
            if want_gps:
                t = gps.still_pings(
                    rows,
                    stays,
                    self.geometry,
                    self.gps_phase,
                    pop.app_user,
                    self.person_id,
                    self.clock,
                    d,
                    cfg,
                    gps_rng,
                )
                self.writer.add("gps", t, "time")
        new = self.epidemic.transmit(d, exposures, _rng(cfg, "transmit", d))
        self.infections.append(new)
        lab_rows = self.epidemic.test(d, _rng(cfg, "test", d))
        if self.meetings is not None:  # who met whom, for the interviews written at the end
            self.meetings.record(d, stays, ~np.isnan(self.epidemic.infected_at))
            self.meetings.lab.append(lab_rows)
        self._feeds(d, stays, sightings, lab_rows)
        self._truth_day(d, stays, positions, contact_keys, contact_counts)
        self.writer.flush(before=self.clock.date(d))

    def _close_range(
        self,
        rows: SlotRows,
        weight: FloatArray,
        susceptible: npt.NDArray[np.bool_],
        exposures: Exposures,
        contact_keys: list[IntArray],
        contact_counts: list[IntArray],
    ) -> None:
        cfg = self.config
        order, key = group_keys(rows, CLOSE_CONTACT_M)
        i, j, dist = pairs_within(key, rows.x[order], rows.y[order], CLOSE_CONTACT_M)
        pi, pj = rows.person[order][i], rows.person[order][j]
        if cfg.close_contacts and len(pi):
            swap = self.id_rank[pi] > self.id_rank[pj]
            a = np.where(swap, pj, pi)
            b = np.where(swap, pi, pj)
            pair = a * np.int64(self.pop.size) + b
            uniq, counts = np.unique(pair, return_counts=True)
            contact_keys.append(uniq)
            contact_counts.append(counts)
        place = rows.place[order][i]
        setting = np.where(self.geometry.indoor[place], 1.0, cfg.outdoor_factor)
        kernel = np.exp(-(dist - 1.0) / cfg.close_range_decay_m) * setting * cfg.beta_close
        slot = rows.slot[order][i]
        zone = rows.zone[order][i]
        for src, dst in ((pi, pj), (pj, pi)):
            hit = (weight[src] > 0) & susceptible[dst]
            if hit.any():
                exposures.add(dst[hit], src[hit], kernel[hit] * weight[src[hit]], slot[hit], place[hit], zone[hit])

    def _shared_air(
        self, rows: SlotRows, weight: FloatArray, susceptible: npt.NDArray[np.bool_], exposures: Exposures
    ) -> None:
        """Everyone sharing a room with infectious people breathes their aerosol, diluted by the room size."""
        w = weight[rows.person]
        infectious = np.flatnonzero(w > 0)
        if len(infectious) == 0:
            return
        g = self.geometry
        key = place_key(rows.place, rows.zone, rows.slot)
        inf_key = key[infectious]
        exposures.inf_key.append(inf_key)
        exposures.inf_person.append(rows.person[infectious])
        exposures.inf_weight.append(w[infectious])
        order = np.argsort(inf_key, kind="stable")
        sorted_keys = inf_key[order]
        csum = np.r_[0.0, np.cumsum(w[infectious][order])]
        targets = np.flatnonzero(susceptible[rows.person] & g.indoor[rows.place])
        lo = np.searchsorted(sorted_keys, key[targets], side="left")
        hi = np.searchsorted(sorted_keys, key[targets], side="right")
        total = csum[hi] - csum[lo]
        hit = total > 0
        targets, total = targets[hit], total[hit]
        place = rows.place[targets]
        area = rows.w[targets] * rows.h[targets]
        hazard = self.config.beta_air * total / (area / 100.0)
        exposures.add(
            rows.person[targets],
            np.full(len(targets), -1, np.int64),
            hazard,
            rows.slot[targets],
            place,
            rows.zone[targets],
        )

    def _sightings(self, rows: SlotRows) -> tuple[IntArray, IntArray, IntArray, FloatArray]:
        users = np.flatnonzero(self.pop.app_user[rows.person])
        sub = SlotRows(
            person=rows.person[users],
            place=rows.place[users],
            zone=rows.zone[users],
            slot=rows.slot[users],
            x=rows.x[users],
            y=rows.y[users],
            stay=rows.stay[users],
            w=rows.w[users],
            h=rows.h[users],
        )
        order, key = group_keys(sub, self.config.ble_range_m)
        i, j, dist = pairs_within(key, sub.x[order], sub.y[order], self.config.ble_range_m)
        pi, pj = sub.person[order][i], sub.person[order][j]
        swap = self.id_rank[pi] > self.id_rank[pj]
        return np.where(swap, pj, pi), np.where(swap, pi, pj), sub.slot[order][i], dist

    def _feeds(
        self,
        d: int,
        stays: Stays,
        sightings: list[tuple[IntArray, IntArray, IntArray, FloatArray]],
        lab_rows: LabRows,
    ) -> None:
        cfg, pop, w = self.config, self.pop, self.writer
        if cfg.wants("gps"):
            t = gps.moving_pings(
                stays,
                self.geometry,
                self.gps_phase,
                pop.app_user,
                self.person_id,
                self.clock,
                d,
                cfg,
                _rng(cfg, "gps", 10_000 + d),
            )
            w.add("gps", t, "time")
        if cfg.wants("cell"):
            w.add(
                "cell",
                cell.events(
                    stays,
                    pop.has_phone,
                    self.subscriber,
                    self.towers,
                    self.clock,
                    d,
                    cfg,
                    _rng(cfg, "cell", d),
                ),
                "time",
            )
        if cfg.wants("card"):
            day_cards = card.payments(
                stays,
                self.world.venues,
                self.merchants,
                pop.card_holder,
                self.person_id,
                self.clock,
                d,
                cfg,
                _rng(cfg, "card", d),
            )
            self.diag["card_eligible"] += day_cards.eligible_purchases
            w.add("card", day_cards.table, "time")
        if cfg.wants("checkins"):
            day_checkins = checkins.checkins(
                stays, self.world.venues, self.person_id, self.clock, d, cfg, _rng(cfg, "checkins", d)
            )
            self.diag["checkin_eligible"] += day_checkins.eligible_visits
            w.add("checkins", day_checkins.table, "check_in")
        if cfg.wants("ble") and sightings:
            a, b, slot, dist = (np.concatenate([s[k] for s in sightings]) for k in range(4))
            w.add(
                "ble",
                ble.encounters(a, b, slot, dist, self.person_id, self.clock, d, cfg, _rng(cfg, "ble", d)),
                "time",
            )
        if cfg.wants("lab"):
            w.add("lab", lab.results(lab_rows, self.person_id, self.clock, cfg.days - 1), "specimen_date")

    def _truth_day(
        self, d: int, stays: Stays, positions: StayPositions, keys: list[IntArray], counts: list[IntArray]
    ) -> None:
        kinds = pa.array(np.asarray(STAY_KINDS)[stays.kind])
        lat, lon = positions.lat_lon(self.geometry)
        stays_table = truth.build(
            "stays",
            {
                "person": take(self.person_id, stays.person),
                "venue": take(self.place_id, stays.place),
                "zone": pa.array(stays.zone),
                "start": timestamps(self.clock.to_utc_us(d, stays.start)),
                "end": timestamps(self.clock.to_utc_us(d, stays.end)),
                "kind": kinds,
                "lat": pa.array(lat),
                "lon": pa.array(lon),
            },
        )
        self.writer.add("truth/stays", stays_table, "start")
        if self.config.close_contacts and keys:
            pair = np.concatenate(keys)
            count = np.concatenate(counts)
            order = np.argsort(pair, kind="stable")
            pair, count = pair[order], count[order]
            first = np.r_[True, pair[1:] != pair[:-1]]
            starts = np.flatnonzero(first)
            total = np.add.reduceat(count, starts) * SLOT_MIN
            pair = pair[starts]
            keep = total >= CLOSE_CONTACT_MIN
            a = pair[keep] // self.pop.size
            b = pair[keep] % self.pop.size
            order = np.lexsort((self.id_rank[b], self.id_rank[a]))
            a, b, minutes = a[order], b[order], total[keep][order]
            contacts = truth.build(
                "close_contacts",
                {
                    "person_a": take(self.person_id, a),
                    "person_b": take(self.person_id, b),
                    "day": dates(np.full(len(a), self.clock.epoch_days(np.array([d]))[0])),
                    "minutes": pa.array(minutes.astype(np.int64)),
                },
            )
            self.writer.add("truth/close_contacts", contacts, "day")

    # -- the end ---------------------------------------------------------------------------------------------
    def finish(self) -> None:
        if self.meetings is not None:
            cfg = self.config
            given = interviews.given_names(self.pop, _rng(cfg, "registry"))
            table = interviews.interviews(
                self.meetings, self.epidemic.onset_at, self.person_id, given, self.clock, cfg, _rng(cfg, "interviews")
            )
            self.writer.add("interviews", table, "interview_date")
        self.writer.flush()
        self._write_infections()
        self._write_cases()

    def _write_infections(self) -> None:
        inf = self.infections
        infectee = np.concatenate([x.infectee for x in inf])
        infector = np.concatenate([x.infector for x in inf])
        when = np.concatenate([x.time_min for x in inf])
        place = np.concatenate([x.place for x in inf])
        zone = np.concatenate([x.zone for x in inf])
        order = np.lexsort((self.id_rank[infectee], when))
        infectee, infector, when, place, zone = (
            infectee[order],
            infector[order],
            when[order],
            place[order],
            zone[order],
        )
        known = infector >= 0
        venues = self.world.venues
        setting = np.where(
            place < 0,
            "",
            np.where(
                place >= venues.size,
                "home",
                np.asarray(VENUE_CATEGORIES)[venues.category[np.minimum(np.maximum(place, 0), venues.size - 1)]],
            ),
        )
        home_of_infectee = self.pop.household[infectee] + venues.size
        setting = np.where((place >= venues.size) & (place != home_of_infectee), "visit", setting)
        table = truth.build(
            "infections",
            {
                "infector": pa.array(self.pop.person_id[np.maximum(infector, 0)], mask=~known),
                "infectee": take(self.person_id, infectee),
                "time": timestamps(self.clock.to_utc_us(0, when)),
                "venue": pa.array(
                    take(self.place_id, np.maximum(place, 0)).to_numpy(zero_copy_only=False),
                    mask=place < 0,
                ),
                "zone": pa.array(zone, mask=place < 0),
                "setting": pa.array(setting, mask=place < 0),
            },
        )
        write_table(table, self.out / "truth" / f"infections.{self.writer.ext}", self.config.format)
        self.writer.rows["truth/infections"] = table.num_rows

    def _write_cases(self) -> None:
        epi = self.epidemic
        who = np.flatnonzero(~np.isnan(epi.infected_at))
        who = who[np.argsort(self.id_rank[who], kind="stable")]
        asym = epi.asymptomatic[who]
        spec = epi.first_positive_specimen[who]
        iso = epi.first_isolation[who]
        table = truth.build(
            "cases",
            {
                "person": take(self.person_id, who),
                "infection_time": timestamps(self.clock.to_utc_us(0, epi.infected_at[who])),
                "onset": pa.array(self.clock.to_utc_us(0, np.nan_to_num(epi.onset_at[who])), mask=asym).cast(
                    pa.timestamp("us", tz="UTC")
                ),
                "asymptomatic": pa.array(asym),
                "specimen_date": pa.array(
                    self.clock.epoch_days(np.maximum(spec, 0)).astype(np.int32), mask=spec < 0
                ).cast(pa.date32()),
                "isolation": pa.array(self.clock.epoch_days(np.maximum(iso, 0)).astype(np.int32), mask=iso < 0).cast(
                    pa.date32()
                ),
            },
        )
        write_table(table, self.out / "truth" / f"cases.{self.writer.ext}", self.config.format)
        self.writer.rows["truth/cases"] = table.num_rows


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InvalidInput(f"simulate: {out} exists and is not a directory.")
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"simulate: {out} is not empty; choose a new output directory.")


def simulate(config: SimConfig, out: Path, progress: bool = False) -> SimSummary:
    """Simulate ``config.people`` people for ``config.days`` days and write feeds and truth under ``out``."""
    out = Path(out)
    _check_out_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    sim = _Simulation(config, out)
    sim.write_reference()
    if progress:
        columns = (
            TextColumn("simulating {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task(f"{config.people:,} people", total=config.days)
            for d in range(config.days):
                bar.update(task, description=f"{config.people:,} people, {sim.clock.date(d).isoformat()}")
                sim.day(d)
                bar.advance(task)
    else:
        for d in range(config.days):
            sim.day(d)
    sim.finish()
    diagnostics = _diagnostics(sim)
    rows = dict(sorted(sim.writer.rows.items()))
    summary = SimSummary(
        out=out,
        people=sim.pop.size,
        households=sim.pop.households,
        venues=sim.world.venues.size,
        days=config.days,
        rows=rows,
        files=dict(sorted(sim.writer.files.items())),
        infections=rows.get("truth/infections", 0),
        diagnostics=diagnostics,
        seconds=time.perf_counter() - began,
    )
    meta = {
        "format_version": FORMAT_VERSION,
        "generator": "izquvar simulate",
        "seed": config.seed,
        "start": config.start.isoformat(),
        "days": config.days,
        "people": sim.pop.size,
        "households": sim.pop.households,
        "venues": sim.world.venues.size,
        "rows": rows,
        "diagnostics": diagnostics,
        "config": config.to_json(),
    }
    (out / "simulation.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return summary


def _diagnostics(sim: _Simulation) -> dict[str, float]:
    """Realised rates of the configured imperfections, for checking and for the report."""
    pop = sim.pop
    owners = int(pop.has_phone.sum())
    over_12 = int((pop.age >= sim.config.phone_owner_min_age).sum())
    rows = sim.writer.rows
    out = {
        "phone_owner_share": owners / max(over_12, 1),
        "app_user_share": int(pop.app_user.sum()) / max(owners, 1),
        "card_eligible_purchases": sim.diag["card_eligible"],
        "checkin_eligible_visits": sim.diag["checkin_eligible"],
    }
    if sim.diag["card_eligible"]:
        out["card_payment_share"] = rows.get("card", 0) / sim.diag["card_eligible"]
    if sim.diag["checkin_eligible"]:
        out["checkin_compliance"] = rows.get("checkins", 0) / sim.diag["checkin_eligible"]
    return {k: round(float(v), 6) for k, v in out.items()}
