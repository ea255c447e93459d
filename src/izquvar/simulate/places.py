"""Venues of every kind, sized to the population, and who belongs where (school classes, departments).

A venue is divided into zones (rooms, floors, rows of stalls, carriages); each zone is a rectangle whose area
fits its share of the capacity, so positions drawn inside it give realistic distances between people. Counts
per inhabitant are modelling assumptions listed in docs/simulator.md.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.formats import VENUE_CATEGORIES
from izquvar.simulate.city import City, GridIndex
from izquvar.simulate.population import Population

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

CATEGORY = {name: index for index, name in enumerate(VENUE_CATEGORIES)}


@dataclass(frozen=True)
class VenueKind:
    """How one category of venue is built: how many, how big, and how people behave inside."""

    category: str
    people_per_venue: float  # inhabitants per venue of this kind (ignored for schools, workplaces, transit)
    capacity: int
    zones: int
    zone_w_m: float
    zone_h_m: float
    indoor: bool
    card_share: float  # share of these venues that take cards
    #: People walk about (positions re-drawn every 10–20 min) rather than keep a seat.
    mobile: bool
    label: str


SERVICE_KINDS: tuple[VenueKind, ...] = (
    VenueKind("bazaar", 50_000, 2_000, 20, 50.0, 10.0, False, 0.5, True, "Bazaar"),
    VenueKind("shop", 300, 20, 1, 10.0, 6.0, True, 0.6, True, "Shop"),
    VenueKind("restaurant", 1_000, 80, 2, 10.0, 8.0, True, 0.8, False, "Restaurant"),
    VenueKind("choyxona", 1_500, 60, 2, 9.5, 9.5, True, 0.3, False, "Choyxona"),
    VenueKind("mosque", 8_000, 500, 2, 16.0, 16.0, True, 0.0, False, "Mosque"),
    VenueKind("gym", 5_000, 60, 2, 12.0, 12.5, True, 0.7, True, "Gym"),
    VenueKind("clinic", 10_000, 150, 5, 12.0, 10.0, True, 0.5, True, "Clinic"),
    VenueKind("wedding_hall", 10_000, 400, 1, 30.0, 27.0, True, 0.3, True, "To'yxona"),
    VenueKind("park", 20_000, 3_000, 10, 122.0, 122.0, False, 0.0, True, "Park"),
)
SERVICE = {kind.category: kind for kind in SERVICE_KINDS}

CLASS_SIZE = 30
CLASSROOM = (8.0, 7.0)
#: Pupils per school (Tashkent averages several hundred to a thousand pupils per school; assumption).
PUPILS_PER_SCHOOL = 800
DEPARTMENT_SIZE = 15
OFFICE_M2_PER_PERSON = 6.0
#: Workplace sizes are lognormal with this median and spread (heavy-tailed, like firm sizes).
WORKPLACE_MEDIAN, WORKPLACE_SIGMA = 12.0, 1.1

METRO_LINES = ("Chilonzor", "O'zbekiston", "Yunusobod", "Halqa")
METRO_TRAINS_PER_DIRECTION = 12
METRO_HEADWAY_MIN = 4
METRO_CARRIAGES = 4
METRO_CARRIAGE = (19.0, 2.7)
METRO_CARRIAGE_CAPACITY = 160
BUS_VEHICLES_PER_DIRECTION = 8
BUS_HEADWAY_MIN = 10
BUS = (12.0, 2.5)
BUS_CAPACITY = 80
#: One bus route per this many inhabitants (Tashkent runs ~150 routes for ~3 million people; assumption).
PEOPLE_PER_BUS_ROUTE = 20_000


@dataclass(frozen=True)
class Venues:
    """Every venue as parallel arrays; a venue's index is its place number."""

    venue_id: StrArray
    name: StrArray
    category: IntArray
    indoor: BoolArray
    capacity: IntArray
    zones: IntArray
    accepts_cards: BoolArray
    x: FloatArray
    y: FloatArray
    zone_w: FloatArray
    zone_h: FloatArray
    mobile: BoolArray

    @property
    def size(self) -> int:
        return len(self.x)

    def of(self, category: str) -> IntArray:
        return np.flatnonzero(self.category == CATEGORY[category])


@dataclass(frozen=True)
class Transit:
    """Metro trains and buses: which venues serve each line and direction, and the headway."""

    #: ``vehicles[line, direction, k]``: venue index of the k-th vehicle of a line's direction.
    metro: IntArray
    bus: IntArray
    metro_headway_min: int
    bus_headway_min: int


@dataclass(frozen=True)
class Memberships:
    """Where each person belongs on weekdays: class or department, and which room."""

    school: IntArray  # venue or -1
    school_zone: IntArray
    school_shift: IntArray  # 0 morning, 1 afternoon
    class_id: IntArray  # -1 when none
    work: IntArray  # venue or -1
    work_zone: IntArray
    department_id: IntArray  # -1 when none
    teacher: BoolArray
    metro_line: IntArray
    bus_route: IntArray


@dataclass(frozen=True)
class World:
    """Venues, transit and memberships together, with the per-category indexes for choosing nearby venues."""

    venues: Venues
    transit: Transit
    members: Memberships
    nearby: dict[str, GridIndex]
    class_names: StrArray
    department_names: StrArray


class _Builder:
    """Accumulates venue columns category by category."""

    def __init__(self) -> None:
        self.cols: dict[str, list[npt.NDArray[np.generic]]] = {
            k: []
            for k in (
                "name",
                "category",
                "indoor",
                "capacity",
                "zones",
                "cards",
                "x",
                "y",
                "w",
                "h",
                "mobile",
            )
        }
        self.count = 0

    def add(
        self,
        name: StrArray,
        category: str,
        indoor: bool,
        capacity: IntArray,
        zones: IntArray,
        cards: BoolArray,
        x: FloatArray,
        y: FloatArray,
        w: FloatArray,
        h: FloatArray,
        mobile: bool,
    ) -> IntArray:
        n = len(x)
        self.cols["name"].append(name)
        self.cols["category"].append(np.full(n, CATEGORY[category], dtype=np.int64))
        self.cols["indoor"].append(np.full(n, indoor))
        self.cols["capacity"].append(capacity.astype(np.int64))
        self.cols["zones"].append(zones.astype(np.int64))
        self.cols["cards"].append(cards)
        self.cols["x"].append(x)
        self.cols["y"].append(y)
        self.cols["w"].append(np.broadcast_to(w, (n,)).astype(np.float64))
        self.cols["h"].append(np.broadcast_to(h, (n,)).astype(np.float64))
        self.cols["mobile"].append(np.full(n, mobile))
        index = np.arange(self.count, self.count + n, dtype=np.int64)
        self.count += n
        return index

    def build(self) -> Venues:
        c = {k: np.concatenate(v) for k, v in self.cols.items()}
        category = c["category"].astype(np.int64)
        prefix = np.array([name[:3].upper() for name in VENUE_CATEGORIES])[category]
        number = np.char.zfill((np.arange(self.count) + 1).astype(str), 6)
        return Venues(
            venue_id=np.char.add(np.char.add(prefix, "-"), number),
            name=c["name"].astype(str),
            category=category,
            indoor=c["indoor"].astype(np.bool_),
            capacity=c["capacity"].astype(np.int64),
            zones=c["zones"].astype(np.int64),
            accepts_cards=c["cards"].astype(np.bool_),
            x=c["x"].astype(np.float64),
            y=c["y"].astype(np.float64),
            zone_w=c["w"],
            zone_h=c["h"],
            mobile=c["mobile"].astype(np.bool_),
        )


def _numbered(label: str, n: int) -> StrArray:
    return np.char.add(f"{label} ", (np.arange(n) + 1).astype(str))


def build_world(pop: Population, city: City, rng: np.random.Generator) -> World:
    """Create every venue and assign pupils, teachers and workers to classes and departments.

    The stages draw from ``rng`` one after another in this order, so a seed gives the same world: schools and
    their classes, workplaces and their departments, service venues, transit, then who belongs where.
    """
    b = _Builder()
    schools = _schools(pop, city, b, rng)
    work = _workplaces(pop, city, b, rng, schools.n_classes)
    nearby = _service_venues(pop.size, city, b, rng)
    transit = _transit(pop.size, city, b, rng)
    venues = b.build()
    members = _memberships(pop, schools, work, transit, rng)
    return World(venues, transit, members, nearby, _class_names(venues, schools), _department_names(venues, work))


@dataclass(frozen=True)
class _Schools:
    """The schools (venue indexes) and their classes; pupils in the order they were dealt to classes."""

    venue: IntArray
    pupil: IntArray
    pupil_class: IntArray
    #: Per class: its school (position in ``venue``), the pupils' age, its shift (0 morning) and room.
    class_school: IntArray
    class_age: IntArray
    class_shift: IntArray
    class_room: IntArray

    @property
    def n_classes(self) -> int:
        return len(self.class_school)


def _schools(pop: Population, city: City, b: _Builder, rng: np.random.Generator) -> _Schools:
    """Nearest school for each pupil, classes of ≤ 30 by age, two shifts sharing rooms."""
    home_x = pop.home_x[pop.household]
    home_y = pop.home_y[pop.household]
    pupils = np.flatnonzero(pop.pupil)
    n_schools = max(1, int(np.ceil(len(pupils) / PUPILS_PER_SCHOOL)))
    sx, sy, _ = city.random_points(n_schools, rng)
    school_local = _nearest(sx, sy, home_x[pupils], home_y[pupils])
    # classes: within (school, age) split into ceil(count / 30) classes round robin
    key = school_local * 100 + pop.age[pupils]
    order = np.lexsort((rng.random(len(pupils)), key))
    class_global = _deal_round_robin(key[order], CLASS_SIZE)  # per sorted pupil
    n_classes = int(class_global.max()) + 1 if len(class_global) else 0
    class_school = np.empty(n_classes, dtype=np.int64)
    class_school[class_global] = school_local[order]
    class_age = np.empty(n_classes, dtype=np.int64)
    class_age[class_global] = pop.age[pupils][order]
    # rank classes inside each school: even ranks study in the morning, odd in the afternoon, two per room
    class_order = np.lexsort((np.arange(n_classes), class_school))
    first_of_school = np.r_[True, class_school[class_order][1:] != class_school[class_order][:-1]]
    starts = np.maximum.accumulate(np.where(first_of_school, np.arange(n_classes), 0))
    rank_in_school = np.empty(n_classes, dtype=np.int64)
    rank_in_school[class_order] = np.arange(n_classes) - starts
    rooms = np.bincount(class_school, weights=None, minlength=n_schools)
    rooms = np.maximum((rooms + 1) // 2, 1)
    venue = b.add(
        _numbered("School No.", n_schools),
        "school",
        True,
        rooms * CLASS_SIZE * 2,
        rooms,
        np.zeros(n_schools, dtype=np.bool_),
        sx,
        sy,
        np.full(n_schools, CLASSROOM[0]),
        np.full(n_schools, CLASSROOM[1]),
        False,
    )
    return _Schools(
        venue, pupils[order], class_global, class_school, class_age, rank_in_school % 2, rank_in_school // 2
    )


def _deal_round_robin(sorted_key: IntArray, size: int) -> IntArray:
    """Each sorted member's class: every run of equal keys is split into ceil(count / size) classes dealt round
    robin, numbered across runs in order."""
    group_first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    group_index = np.cumsum(group_first) - 1
    group_start = np.flatnonzero(group_first)
    group_size = np.diff(np.r_[group_start, len(sorted_key)])
    classes_in_group = np.ceil(group_size / size).astype(np.int64)
    rank = np.arange(len(sorted_key)) - group_start[group_index]
    class_in_group = rank % classes_in_group[group_index]
    class_offset = np.r_[0, np.cumsum(classes_in_group)][:-1]
    result: IntArray = class_offset[group_index] + class_in_group
    return result


@dataclass(frozen=True)
class _Workplaces:
    """The workplaces (venue indexes) with their departments, the teachers, and where each office worker works."""

    venue: IntArray
    departments: IntArray
    teachers: IntArray
    teacher_mask: BoolArray
    worker: IntArray
    worker_workplace: IntArray
    worker_department: IntArray  # within its workplace

    @property
    def department_offset(self) -> IntArray:
        """The first department id of each workplace."""
        offset: IntArray = np.r_[0, np.cumsum(self.departments)][:-1]
        return offset


def _workplaces(pop: Population, city: City, b: _Builder, rng: np.random.Generator, n_classes: int) -> _Workplaces:
    """One teacher per class drawn from the employed (teachers work where they teach); everyone else employed in
    a workplace of lognormal size, split into departments."""
    workers = np.flatnonzero(pop.employed)
    teacher_count = min(n_classes, len(workers))
    teachers = rng.choice(workers, size=teacher_count, replace=False) if teacher_count else np.empty(0, np.int64)
    teacher_mask = np.zeros(pop.size, dtype=np.bool_)
    teacher_mask[teachers] = True
    office_workers = np.flatnonzero(pop.employed & ~teacher_mask)
    wp_size = _workplace_sizes(len(office_workers), rng)
    n_work = len(wp_size)
    wx, wy, _ = city.random_points(n_work, rng)
    departments = np.maximum(1, np.ceil(wp_size / DEPARTMENT_SIZE).astype(np.int64))
    dept_side = np.sqrt(DEPARTMENT_SIZE * OFFICE_M2_PER_PERSON)
    venue = b.add(
        _numbered("Workplace", n_work),
        "workplace",
        True,
        wp_size,
        departments,
        rng.random(n_work) < 0.05,
        wx,
        wy,
        np.full(n_work, dept_side),
        np.full(n_work, dept_side),
        False,
    )
    shuffled = rng.permutation(office_workers)
    worker_wp = np.repeat(np.arange(n_work), wp_size)
    worker_rank = np.arange(len(shuffled)) - np.r_[0, np.cumsum(wp_size)][:-1][worker_wp]
    worker_dept = worker_rank % departments[worker_wp]
    return _Workplaces(venue, departments, teachers, teacher_mask, shuffled, worker_wp, worker_dept)


def _workplace_sizes(workers: int, rng: np.random.Generator) -> IntArray:
    """Lognormal workplace sizes (at least one) drawn 256 at a time until they hold every worker exactly."""
    sizes: list[int] = []
    remaining = workers
    while remaining > 0:
        draw = np.maximum(1, rng.lognormal(np.log(WORKPLACE_MEDIAN), WORKPLACE_SIGMA, 256).astype(np.int64))
        for size in draw:
            take = int(min(size, remaining))
            sizes.append(take)
            remaining -= take
            if remaining == 0:
                break
    return np.asarray(sizes, dtype=np.int64)


def _service_venues(n: int, city: City, b: _Builder, rng: np.random.Generator) -> dict[str, GridIndex]:
    """Shops, clinics, mosques and the other service kinds, sized to the population; per category the grid that
    finds the venues nearest a point."""
    nearby: dict[str, GridIndex] = {}
    for kind in SERVICE_KINDS:
        count = max(1, round(n / kind.people_per_venue))
        vx, vy, _ = city.random_points(count, rng)
        index = b.add(
            _numbered(kind.label, count),
            kind.category,
            kind.indoor,
            np.full(count, kind.capacity),
            np.full(count, kind.zones),
            rng.random(count) < kind.card_share,
            vx,
            vy,
            np.full(count, kind.zone_w_m),
            np.full(count, kind.zone_h_m),
            kind.mobile,
        )
        nearby[kind.category] = _offset_grid(GridIndex.build(city, vx, vy, k=4), int(index[0]))
    return nearby


def _transit(n: int, city: City, b: _Builder, rng: np.random.Generator) -> Transit:
    """Trains per metro line and direction, buses per route and direction (routes sized to the population)."""
    cx, cy = city.outline.centroid.x, city.outline.centroid.y
    n_trains = len(METRO_LINES) * 2 * METRO_TRAINS_PER_DIRECTION
    train_names = np.array(
        [
            f"Metro {line} line, train {d + 1}-{k + 1:02d}"
            for line in METRO_LINES
            for d in range(2)
            for k in range(METRO_TRAINS_PER_DIRECTION)
        ]
    )
    line_x, line_y = _line_points(city, len(METRO_LINES), rng, cx, cy)
    metro_index = b.add(
        train_names,
        "metro",
        True,
        np.full(n_trains, METRO_CARRIAGES * METRO_CARRIAGE_CAPACITY),
        np.full(n_trains, METRO_CARRIAGES),
        np.zeros(n_trains, dtype=np.bool_),
        np.repeat(line_x, 2 * METRO_TRAINS_PER_DIRECTION),
        np.repeat(line_y, 2 * METRO_TRAINS_PER_DIRECTION),
        np.full(n_trains, METRO_CARRIAGE[0]),
        np.full(n_trains, METRO_CARRIAGE[1]),
        False,
    )
    routes = max(3, round(n / PEOPLE_PER_BUS_ROUTE))
    n_buses = routes * 2 * BUS_VEHICLES_PER_DIRECTION
    bus_names = np.array(
        [
            f"Bus route {r + 1}, bus {d + 1}-{k + 1:02d}"
            for r in range(routes)
            for d in range(2)
            for k in range(BUS_VEHICLES_PER_DIRECTION)
        ]
    )
    route_x, route_y = _line_points(city, routes, rng, cx, cy)
    bus_index = b.add(
        bus_names,
        "bus",
        True,
        np.full(n_buses, BUS_CAPACITY),
        np.ones(n_buses, dtype=np.int64),
        np.zeros(n_buses, dtype=np.bool_),
        np.repeat(route_x, 2 * BUS_VEHICLES_PER_DIRECTION),
        np.repeat(route_y, 2 * BUS_VEHICLES_PER_DIRECTION),
        np.full(n_buses, BUS[0]),
        np.full(n_buses, BUS[1]),
        False,
    )
    return Transit(
        metro=metro_index.reshape(len(METRO_LINES), 2, METRO_TRAINS_PER_DIRECTION),
        bus=bus_index.reshape(routes, 2, BUS_VEHICLES_PER_DIRECTION),
        metro_headway_min=METRO_HEADWAY_MIN,
        bus_headway_min=BUS_HEADWAY_MIN,
    )


def _memberships(
    pop: Population, schools: _Schools, work: _Workplaces, transit: Transit, rng: np.random.Generator
) -> Memberships:
    """Each person's school class or department (venue, zone, shift) and metro line and bus route."""
    n = pop.size
    school = np.full(n, -1, dtype=np.int64)
    school_zone = np.full(n, -1, dtype=np.int64)
    school_shift = np.zeros(n, dtype=np.int64)
    class_id = np.full(n, -1, dtype=np.int64)
    # teachers teach one class each, in its room and shift
    teacher_class = rng.permutation(schools.n_classes)[: len(work.teachers)]
    for person, klass in ((schools.pupil, schools.pupil_class), (work.teachers, teacher_class)):
        school[person] = schools.venue[schools.class_school[klass]]
        school_zone[person] = schools.class_room[klass]
        school_shift[person] = schools.class_shift[klass]
        class_id[person] = klass

    work_venue = np.full(n, -1, dtype=np.int64)
    work_zone = np.full(n, -1, dtype=np.int64)
    department_id = np.full(n, -1, dtype=np.int64)
    work_venue[work.worker] = work.venue[work.worker_workplace]
    work_zone[work.worker] = work.worker_department
    department_id[work.worker] = work.department_offset[work.worker_workplace] + work.worker_department
    return Memberships(
        school=school,
        school_zone=school_zone,
        school_shift=school_shift,
        class_id=class_id,
        work=work_venue,
        work_zone=work_zone,
        department_id=department_id,
        teacher=work.teacher_mask,
        metro_line=rng.integers(0, transit.metro.shape[0], size=n),
        bus_route=rng.integers(0, transit.bus.shape[0], size=n),
    )


def _class_names(venues: Venues, schools: _Schools) -> StrArray:
    """``SCH-000001/class-5-03a``: the school's id, the grade, the room and the shift (a morning, b afternoon)."""
    grade_room = np.char.add(
        np.char.add((schools.class_age - 6).astype(str), "-"), np.char.zfill(schools.class_room.astype(str), 2)
    )
    names = np.char.add(np.char.add(venues.venue_id[schools.venue[schools.class_school]], "/class-"), grade_room)
    result: StrArray = np.char.add(names, np.where(schools.class_shift == 0, "a", "b"))
    return result


def _department_names(venues: Venues, work: _Workplaces) -> StrArray:
    """``WOR-000001/dept-002``: the workplace's id and the department's number within it."""
    total = int(work.departments.sum())
    venue = np.repeat(work.venue, work.departments)
    rank = np.arange(total) - np.repeat(work.department_offset, work.departments)
    result: StrArray = np.char.add(
        np.char.add(venues.venue_id[venue], "/dept-"), np.char.zfill((rank + 1).astype(str), 3)
    )
    return result


def _offset_grid(grid: GridIndex, offset: int) -> GridIndex:
    return GridIndex(grid.x0, grid.y0, grid.cell_m, grid.nx, grid.ny, grid.nearest + offset)


def _nearest(px: FloatArray, py: FloatArray, qx: FloatArray, qy: FloatArray) -> IntArray:
    """Index of the nearest of points ``(px, py)`` for each query point, in chunks to bound memory."""
    out = np.empty(len(qx), dtype=np.int64)
    step = max(1, 4_000_000 // max(len(px), 1))
    for lo in range(0, len(qx), step):
        d2 = (qx[lo : lo + step, None] - px[None, :]) ** 2 + (qy[lo : lo + step, None] - py[None, :]) ** 2
        out[lo : lo + step] = np.argmin(d2, axis=1)
    return out


def _line_points(
    city: City, count: int, rng: np.random.Generator, cx: float, cy: float
) -> tuple[FloatArray, FloatArray]:
    """A representative point per transit line: between the centre and a random point of the city."""
    px, py, _ = city.random_points(count, rng)
    mx, my = (px + cx) / 2.0, (py + cy) / 2.0
    inside = city.contains(mx, my)
    return np.where(inside, mx, px), np.where(inside, my, py)
