"""Reference tables: the population registry, class and department rosters, and the venue table."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from izquvar.formats import VENUE_CATEGORIES
from izquvar.simulate.city import to_lat_lon
from izquvar.simulate.places import World
from izquvar.simulate.population import Population
from izquvar.simulate.sources.common import ArrowArray, table, take


def people(pop: Population, person_id: ArrowArray, birth_year: np.ndarray) -> pa.Table:
    """Everyone, with household, birth year, sex, phone (null without one) and home location."""
    lat, lon = to_lat_lon(pop.home_x, pop.home_y)
    return table(
        "people",
        {
            "person": person_id,
            "household": pop.household_id[pop.household],
            "birth_year": birth_year,
            "sex": np.where(pop.male, "M", "F"),
            "phone": pa.array(pop.phone, mask=~pop.has_phone),
            "home_lat": lat[pop.household],
            "home_lon": lon[pop.household],
        },
    )


def rosters(world: World, person_id: ArrowArray) -> pa.Table:
    """School classes (pupils and their teacher) and workplace departments."""
    m, v = world.members, world.venues
    pupils = np.flatnonzero(m.class_id >= 0)
    staff = np.flatnonzero(m.department_id >= 0)
    person = np.r_[pupils, staff]
    group = np.r_[world.class_names[m.class_id[pupils]], world.department_names[m.department_id[staff]]]
    kind = np.r_[np.full(len(pupils), "school_class"), np.full(len(staff), "department")]
    venue = np.r_[m.school[pupils], m.work[staff]]
    zone = np.r_[m.school_zone[pupils], m.work_zone[staff]]
    order = np.argsort(person, kind="stable")
    return table(
        "rosters",
        {
            "person": take(person_id, person[order]),
            "group_id": group[order],
            "group_kind": kind[order],
            "venue_id": v.venue_id[venue[order]],
            "zone": zone[order],
        },
    )


def venues(world: World) -> pa.Table:
    v = world.venues
    lat, lon = to_lat_lon(v.x, v.y)
    return table(
        "venues",
        {
            "venue_id": v.venue_id,
            "name": v.name,
            "category": np.asarray(VENUE_CATEGORIES)[v.category],
            "indoor": v.indoor,
            "capacity": v.capacity,
            "lat": lat,
            "lon": lon,
            "zones": v.zones,
            "accepts_cards": v.accepts_cards,
        },
    )
