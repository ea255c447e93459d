"""One day of everyone's life as stays: home, school or work, rides, errands, prayers, guests, weddings.

A day is built phase by phase in clock order, vectorised over everyone a phase concerns. Each person carries a
cursor (when they are free again) and a location, so outings never overlap and travel takes time; the time at
home is then filled into the gaps long enough to go home. Isolated people stay home (except to give a
specimen), which is how testing and isolation change later days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.simulate.config import SimConfig
from izquvar.simulate.places import World
from izquvar.simulate.population import ADULT_AGE, Population

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

HOME, VENUE, VISIT, RIDE = 0, 1, 2, 3
STAY_KINDS = ("home", "venue", "visit", "ride")
DAY_MIN = 1440
#: Door-to-door travel: a fixed 5 minutes plus distance at 18 km/h (mixed walking, taxis and cars).
TRAVEL_FIXED_MIN, TRAVEL_M_PER_MIN = 5.0, 300.0
METRO_M_PER_MIN, BUS_M_PER_MIN = 550.0, 300.0
LATEST_END_MIN = 1435.0


@dataclass(frozen=True)
class Habits:
    """Stable personal habits, drawn once, so the same people go to the gym or choyxona week after week."""

    saturday_worker: BoolArray
    gym_regular: BoolArray
    choyxona_regular: BoolArray
    mosque_regular: BoolArray

    @classmethod
    def draw(cls, pop: Population, config: SimConfig, rng: np.random.Generator) -> Habits:
        age, male = pop.age, pop.male
        return cls(
            saturday_worker=pop.employed & (rng.random(pop.size) < config.saturday_work_share),
            gym_regular=(age >= 16) & (age <= 50) & (rng.random(pop.size) < 0.12),
            choyxona_regular=male & (age >= 25) & (rng.random(pop.size) < 0.30),
            mosque_regular=male & (age >= 15) & (rng.random(pop.size) < np.where(age >= 55, 0.45, 0.15)),
        )


@dataclass(frozen=True)
class DayInputs:
    """What the epidemic decides about a day before it is lived."""

    day: int
    weekday: int
    #: Stay home all day (isolation after a positive test, or self-isolation with symptoms).
    homebound: BoolArray
    #: Give a specimen at a clinic today.
    clinic_visit: BoolArray


@dataclass(frozen=True)
class Stays:
    """The day's stays, sorted by person then start; minutes since local midnight."""

    person: IntArray
    place: IntArray  # venue index, or venues + household index for homes and visits
    zone: IntArray
    start: FloatArray
    end: FloatArray
    kind: npt.NDArray[np.int8]
    #: Where the person was at the start and end of the stay (differs only for rides), metres.
    x0: FloatArray
    y0: FloatArray
    x1: FloatArray
    y1: FloatArray

    @property
    def size(self) -> int:
        return len(self.person)


def travel_minutes(x0: FloatArray, y0: FloatArray, x1: FloatArray, y1: FloatArray) -> FloatArray:
    """Door-to-door travel time between two points."""
    return np.minimum(TRAVEL_FIXED_MIN + np.hypot(x1 - x0, y1 - y0) / TRAVEL_M_PER_MIN, 120.0)


class _Timeline:
    """Everyone's cursor and location while the day's outings are added in clock order."""

    def __init__(self, n: int, home_x: FloatArray, home_y: FloatArray) -> None:
        self.cursor = np.full(n, -1.0)
        self.x = home_x.copy()
        self.y = home_y.copy()
        self.home_x = home_x
        self.home_y = home_y
        self.parts: list[tuple[npt.NDArray[np.generic], ...]] = []

    def free_at(self, who: IntArray, at: FloatArray) -> BoolArray:
        return self.cursor[who] <= at

    def go(
        self,
        who: IntArray,
        place: IntArray,
        zone: IntArray,
        kind: int,
        earliest: FloatArray,
        duration: FloatArray,
        px: FloatArray,
        py: FloatArray,
        latest_start: float = 1380.0,
    ) -> BoolArray:
        """Send ``who`` to ``place`` no earlier than ``earliest``; returns who actually went."""
        if len(who) == 0:
            return np.zeros(0, dtype=np.bool_)
        cursor = self.cursor[who]
        # a long idle spell means the person went home in between
        went_home = (cursor < 0) | (earliest - cursor > 60.0)
        fx = np.where(went_home, self.home_x[who], self.x[who])
        fy = np.where(went_home, self.home_y[who], self.y[who])
        start = np.maximum(earliest, np.where(cursor < 0, 0.0, cursor) + travel_minutes(fx, fy, px, py))
        end = np.minimum(start + duration, LATEST_END_MIN)
        ok = (start <= latest_start) & (end - start >= 5.0)
        self._record(who[ok], place[ok], zone[ok], kind, start[ok], end[ok], px[ok], py[ok], px[ok], py[ok])
        return ok

    def ride(
        self,
        who: IntArray,
        vehicle_table: IntArray,
        line: IntArray,
        direction: IntArray,
        headway: int,
        earliest: FloatArray,
        dest_x: FloatArray,
        dest_y: FloatArray,
        speed: float,
        carriages: int,
        rng: np.random.Generator,
    ) -> BoolArray:
        """A ride on the line's next departure: the vehicle is the place, a carriage the zone."""
        if len(who) == 0:
            return np.zeros(0, dtype=np.bool_)
        cursor = self.cursor[who]
        ox = np.where(cursor < 0, self.home_x[who], self.x[who])
        oy = np.where(cursor < 0, self.home_y[who], self.y[who])
        at_stop = np.maximum(earliest, np.where(cursor < 0, 0.0, cursor)) + rng.uniform(4.0, 10.0, len(who))
        departure_slot = np.ceil(at_stop / headway).astype(np.int64)
        board: FloatArray = departure_slot.astype(np.float64) * headway
        per_direction = vehicle_table.shape[2]
        vehicle = vehicle_table[line, direction, departure_slot % per_direction]
        length = np.hypot(dest_x - ox, dest_y - oy)
        duration = np.clip(length / speed + 3.0, 5.0, headway * per_direction - 5.0)
        end: FloatArray = np.minimum(board + duration, LATEST_END_MIN)
        ok = board < 1380.0
        zone = rng.integers(0, carriages, len(who))
        self._record(who[ok], vehicle[ok], zone[ok], RIDE, board[ok], end[ok], ox[ok], oy[ok], dest_x[ok], dest_y[ok])
        return ok

    def _record(
        self,
        who: IntArray,
        place: IntArray,
        zone: IntArray,
        kind: int,
        start: FloatArray,
        end: FloatArray,
        x0: FloatArray,
        y0: FloatArray,
        x1: FloatArray,
        y1: FloatArray,
    ) -> None:
        self.parts.append((who, place, zone, np.full(len(who), kind, np.int8), start, end, x0, y0, x1, y1))
        self.cursor[who] = end
        self.x[who] = x1
        self.y[who] = y1


def _uniform(rng: np.random.Generator, n: int, lo: float, hi: float) -> FloatArray:
    return rng.uniform(lo, hi, n)


class DayBuilder:
    """Builds each day's stays for a fixed population and world."""

    def __init__(self, pop: Population, world: World, habits: Habits, config: SimConfig) -> None:
        self.pop = pop
        self.world = world
        self.habits = habits
        self.config = config
        self.home_place = world.venues.size + pop.household
        self.home_x = pop.home_x[pop.household]
        self.home_y = pop.home_y[pop.household]
        order = np.argsort(pop.home_mahalla[pop.household], kind="stable")
        self._by_mahalla = order
        self._mahalla_sorted = pop.home_mahalla[pop.household][order]

    # -- helpers ---------------------------------------------------------------------------------------------
    def _near(self, category: str, x: FloatArray, y: FloatArray, rng: np.random.Generator) -> IntArray:
        return self.world.nearby[category].pick(x, y, rng)

    def _venue_outing(
        self,
        tl: _Timeline,
        who: IntArray,
        category: str,
        earliest: tuple[float, float],
        duration: tuple[float, float],
        rng: np.random.Generator,
        from_work: bool = False,
        latest_start: float = 1380.0,
    ) -> BoolArray:
        if len(who) == 0:
            return np.zeros(0, dtype=np.bool_)
        v = self.world.venues
        bx = tl.x[who] if from_work else self.home_x[who]
        by = tl.y[who] if from_work else self.home_y[who]
        venue = self._near(category, bx, by, rng)
        zone = rng.integers(0, v.zones[venue])
        return tl.go(
            who,
            venue,
            zone,
            VENUE,
            _uniform(rng, len(who), *earliest),
            _uniform(rng, len(who), *duration),
            v.x[venue],
            v.y[venue],
            latest_start,
        )

    # -- the day ---------------------------------------------------------------------------------------------
    def build(self, inputs: DayInputs, rng: np.random.Generator) -> Stays:
        pop, world, habits, cfg = self.pop, self.world, self.habits, self.config
        m, v = world.members, world.venues
        n = pop.size
        wd = inputs.weekday
        tl = _Timeline(n, self.home_x, self.home_y)
        out = ~inputs.homebound
        adult = pop.age >= ADULT_AGE

        # 1. specimen at a clinic (homebound people go too: testing is the reason to leave home)
        who = np.flatnonzero(inputs.clinic_visit)
        self._venue_outing(tl, who, "clinic", (510.0, 660.0), (20.0, 60.0), rng)

        # 2. school: pupils and teachers, two shifts
        school_day = wd in cfg.school_days
        busy = np.zeros(n, dtype=np.bool_)
        if school_day:
            goers = np.flatnonzero(out & (m.school >= 0))
            shift = m.school_shift[goers]
            arrive = np.where(shift == 0, 465.0, 795.0) + rng.uniform(0.0, 15.0, len(goers))
            length = np.where(m.teacher[goers], 320.0, 300.0) - rng.uniform(0.0, 10.0, len(goers))
            venue = m.school[goers]
            went = tl.go(goers, venue, m.school_zone[goers], VENUE, arrive, length, v.x[venue], v.y[venue])
            busy[goers[went]] = True

        # 3. work: commute (ride or not), morning, lunch or Friday prayer, afternoon, commute home
        if wd <= 5:  # Monday to Saturday; on Saturday only those who work six days
            workers = out & (m.work >= 0)
            if wd == 5:
                workers &= habits.saturday_worker
            self._work_day(tl, np.flatnonzero(workers), wd, rng)
            busy[workers] = True

        free = out & ~busy
        weekend = wd >= 5
        # 4. daytime errands for those not at work or school
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(free & (pop.age >= 25) & (u < (0.25 if weekend else 0.12))),
            "bazaar",
            (570.0, 690.0),
            (45.0, 120.0),
            rng,
        )
        u = rng.random(n)
        self._venue_outing(
            tl, np.flatnonzero(free & (pop.age >= 12) & (u < 0.35)), "shop", (600.0, 750.0), (10.0, 25.0), rng
        )
        if wd == 4:  # Friday prayer (Juma) for men not at work
            u = rng.random(n)
            who = np.flatnonzero(free & pop.male & (pop.age >= 15) & (u < cfg.friday_prayer_share))
            self._venue_outing(tl, who, "mosque", (740.0, 750.0), (40.0, 55.0), rng)
        u = rng.random(n)
        who = np.flatnonzero(free & habits.mosque_regular & (u < 0.5))
        self._venue_outing(tl, who, "mosque", (990.0, 1000.0), (20.0, 30.0), rng)
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(free & (u < (0.12 if weekend else 0.04))),
            "park",
            (900.0, 1020.0),
            (45.0, 120.0),
            rng,
        )
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(out & (pop.age >= 60) & (u < 0.01)),
            "clinic",
            (540.0, 720.0),
            (30.0, 90.0),
            rng,
        )

        # 5. evening
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(out & adult & busy & (u < 0.30)),
            "shop",
            (1080.0, 1170.0),
            (10.0, 20.0),
            rng,
            from_work=True,
        )
        self._weddings(tl, inputs, out, rng)
        self._visits(tl, inputs, out, weekend, rng)
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(out & habits.gym_regular & (u < 0.4)),
            "gym",
            (1110.0, 1200.0),
            (60.0, 90.0),
            rng,
            latest_start=1290.0,
        )
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(out & habits.choyxona_regular & (u < 0.35)),
            "choyxona",
            (1170.0, 1230.0),
            (90.0, 150.0),
            rng,
            latest_start=1320.0,
        )
        u = rng.random(n)
        self._venue_outing(
            tl,
            np.flatnonzero(out & adult & (u < (0.08 if weekend else 0.03))),
            "restaurant",
            (1140.0, 1200.0),
            (60.0, 120.0),
            rng,
            latest_start=1290.0,
        )
        return self._assemble(tl)

    def _work_day(self, tl: _Timeline, workers: IntArray, wd: int, rng: np.random.Generator) -> None:
        pop, world, cfg = self.pop, self.world, self.config
        m, v, tr = world.members, world.venues, world.transit
        k = len(workers)
        if k == 0:
            return
        leave = rng.uniform(420.0, 510.0, k)
        venue = m.work[workers]
        wx, wy = v.x[venue], v.y[venue]
        mode = pop.commute_mode[workers]
        direction = rng.integers(0, 2, k)
        metro = mode == 1
        bus = mode == 2
        carriages = int(v.zones[tr.metro.ravel()[0]])
        tl.ride(
            workers[metro],
            tr.metro,
            m.metro_line[workers[metro]],
            direction[metro],
            tr.metro_headway_min,
            leave[metro],
            wx[metro],
            wy[metro],
            METRO_M_PER_MIN,
            carriages,
            rng,
        )
        tl.ride(
            workers[bus],
            tr.bus,
            m.bus_route[workers[bus]],
            direction[bus],
            tr.bus_headway_min,
            leave[bus],
            wx[bus],
            wy[bus],
            BUS_M_PER_MIN,
            1,
            rng,
        )
        length = rng.uniform(480.0, 560.0, k)
        arrive = leave + 10.0
        male_friday = (wd == 4) & pop.male[workers] & (rng.random(k) < cfg.friday_prayer_share)
        lunch = ~male_friday & (rng.random(k) < cfg.lunch_out_share)
        split = lunch | male_friday
        # morning (whole day for those who stay in)
        first_length = np.where(split, np.maximum(720.0 + rng.uniform(-15.0, 15.0, k) - arrive, 30.0), length)
        zone = m.work_zone[workers]
        went = tl.go(workers, venue, zone, VENUE, arrive, first_length, wx, wy)
        end_of_day = tl.cursor[workers] + np.where(split, length - first_length, 0.0)
        # lunch near work, or the Friday prayer at a mosque near work
        for mask, category, dur in (
            (lunch, "restaurant", (35.0, 55.0)),
            (male_friday, "mosque", (40.0, 55.0)),
        ):
            who = workers[went & mask]
            if len(who) == 0:
                continue
            choice = rng.random(len(who)) < 0.5
            cat_venue = self._near(category, tl.x[who], tl.y[who], rng)
            if category == "restaurant":
                alt = self._near("choyxona", tl.x[who], tl.y[who], rng)
                cat_venue = np.where(choice, cat_venue, alt)
            tl.go(
                who,
                cat_venue,
                rng.integers(0, v.zones[cat_venue]),
                VENUE,
                tl.cursor[who],
                _uniform(rng, len(who), *dur),
                v.x[cat_venue],
                v.y[cat_venue],
            )
        # afternoon back at work
        back = went & split
        who = workers[back]
        rest = end_of_day[back] - tl.cursor[who]
        tl.go(who, venue[back], zone[back], VENUE, tl.cursor[who], np.maximum(rest, 30.0), wx[back], wy[back])
        # ride home
        hx, hy = self.home_x[workers], self.home_y[workers]
        leave_work = tl.cursor[workers]
        tl.ride(
            workers[metro],
            tr.metro,
            m.metro_line[workers[metro]],
            1 - direction[metro],
            tr.metro_headway_min,
            leave_work[metro],
            hx[metro],
            hy[metro],
            METRO_M_PER_MIN,
            carriages,
            rng,
        )
        tl.ride(
            workers[bus],
            tr.bus,
            m.bus_route[workers[bus]],
            1 - direction[bus],
            tr.bus_headway_min,
            leave_work[bus],
            hx[bus],
            hy[bus],
            BUS_M_PER_MIN,
            1,
            rng,
        )

    def _weddings(self, tl: _Timeline, inputs: DayInputs, out: BoolArray, rng: np.random.Generator) -> None:
        """Weddings of the day at wedding halls: guests from the host's mahalla and beyond."""
        pop, v, cfg = self.pop, self.world.venues, self.config
        weight = 2.0 if inputs.weekday >= 5 else 0.6  # weddings cluster at weekends (assumption)
        rate = pop.size * cfg.marriages_per_1000_year / 1000.0 / 365.0 * weight
        count = int(rng.poisson(rate))
        if count == 0:
            return
        halls = v.of("wedding_hall")
        guest_of = np.full(pop.size, -1, dtype=np.int64)
        eligible = out & (pop.age >= 5)
        for _ in range(count):
            host = int(rng.integers(0, pop.households))
            hall = int(halls[rng.integers(0, len(halls))])
            guests = int(min(v.capacity[hall], rng.integers(100, 250)))
            mahalla = pop.home_mahalla[host]
            lo, hi = np.searchsorted(self._mahalla_sorted, [mahalla, mahalla + 1])
            local = self._by_mahalla[lo:hi]
            near = rng.choice(local, size=min(len(local), int(guests * 0.7)), replace=False)
            far = rng.integers(0, pop.size, size=guests - len(near))
            members = np.arange(pop.household_start[host], pop.household_start[host + 1])
            chosen = np.unique(np.concatenate([members, near, far]))
            chosen = chosen[eligible[chosen] & (guest_of[chosen] < 0)]
            guest_of[chosen] = hall
        who = np.flatnonzero(guest_of >= 0)
        hall_of = guest_of[who]
        tl.go(
            who,
            hall_of,
            np.zeros(len(who), np.int64),
            VENUE,
            rng.uniform(1050.0, 1110.0, len(who)),
            rng.uniform(150.0, 240.0, len(who)),
            v.x[hall_of],
            v.y[hall_of],
            latest_start=1320.0,
        )

    def _visits(
        self, tl: _Timeline, inputs: DayInputs, out: BoolArray, weekend: bool, rng: np.random.Generator
    ) -> None:
        """Households visiting relatives or neighbours together (guests, mehmon)."""
        pop = self.pop
        visiting = rng.random(pop.households) < (0.20 if weekend else 0.06)
        host = pop.related[np.arange(pop.households), rng.integers(0, pop.related.shape[1], pop.households)]
        visiting &= host != np.arange(pop.households)
        who = np.flatnonzero(visiting[pop.household] & out)
        if len(who) == 0:
            return
        host_of = host[pop.household[who]]
        start = np.where(
            weekend, rng.uniform(900.0, 1080.0, pop.households), rng.uniform(1140.0, 1200.0, pop.households)
        )
        length = rng.uniform(90.0, 180.0, pop.households)
        hh = pop.household[who]
        tl.go(
            who,
            self.world.venues.size + host_of,
            np.zeros(len(who), np.int64),
            VISIT,
            start[hh],
            length[hh],
            pop.home_x[host_of],
            pop.home_y[host_of],
            latest_start=1290.0,
        )

    def _assemble(self, tl: _Timeline) -> Stays:
        """Outings sorted per person, with home stays filled in wherever there was time to go home."""
        n = self.pop.size
        parts = tl.parts or [tuple(np.zeros(0) for _ in range(10))]
        cols = [np.concatenate([p[i] for p in parts]) for i in range(10)]
        person, place, zone, kind, start, end, x0, y0, x1, y1 = cols
        person = person.astype(np.int64)
        order = np.lexsort((start, person))
        person, place, zone, kind = (
            person[order],
            place[order].astype(np.int64),
            zone[order].astype(np.int64),
            kind[order],
        )
        start, end, x0, y0, x1, y1 = (a[order].astype(np.float64) for a in (start, end, x0, y0, x1, y1))
        hx, hy = self.home_x[person], self.home_y[person]
        to_here = travel_minutes(hx, hy, x0, y0)
        back_home = travel_minutes(x1, y1, hx, hy)
        first = np.r_[True, person[1:] != person[:-1]]
        last = np.r_[person[1:] != person[:-1], True]
        # home before the first outing
        h_start = [np.zeros(int(first.sum()))]
        h_end = [start[first] - to_here[first]]
        h_person = [person[first]]
        # home between outings when the gap allows a trip home and 15 minutes there
        nxt = np.flatnonzero(~last)
        gap_start = end[nxt] + back_home[nxt]
        gap_end = start[nxt + 1] - to_here[nxt + 1]
        long_gap = gap_end - gap_start >= 15.0
        h_start.append(gap_start[long_gap])
        h_end.append(gap_end[long_gap])
        h_person.append(person[nxt][long_gap])
        # home after the last outing
        h_start.append(np.minimum(end[last] + back_home[last], DAY_MIN - 1.0))
        h_end.append(np.full(int(last.sum()), float(DAY_MIN)))
        h_person.append(person[last])
        # people who never left
        never = np.ones(n, dtype=np.bool_)
        never[person] = False
        stay_in = np.flatnonzero(never)
        h_start.append(np.zeros(len(stay_in)))
        h_end.append(np.full(len(stay_in), float(DAY_MIN)))
        h_person.append(stay_in)
        hp = np.concatenate(h_person).astype(np.int64)
        hs = np.maximum(np.concatenate(h_start), 0.0)
        he = np.concatenate(h_end)
        keep = he - hs >= 1.0
        hp, hs, he = hp[keep], hs[keep], he[keep]
        home = self.home_place[hp]
        all_person = np.concatenate([person, hp])
        all_start = np.concatenate([start, hs])
        final = np.lexsort((all_start, all_person))
        hxp, hyp = self.home_x[hp], self.home_y[hp]
        return Stays(
            person=all_person[final],
            place=np.concatenate([place, home])[final],
            zone=np.concatenate([zone, np.zeros(len(hp), np.int64)])[final],
            start=all_start[final],
            end=np.concatenate([end, he])[final],
            kind=np.concatenate([kind, np.full(len(hp), HOME, np.int8)])[final],
            x0=np.concatenate([x0, hxp])[final],
            y0=np.concatenate([y0, hyp])[final],
            x1=np.concatenate([x1, hxp])[final],
            y1=np.concatenate([y1, hyp])[final],
        )


def weekday_of(config: SimConfig, day: int) -> int:
    """Monday 0 … Sunday 6 of simulation day ``day``."""
    return (config.start.weekday() + day) % 7
