"""Truth stays carry where the person was: inside the stay's zone, at the first slot, rides at the boarding point."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import shapely
from simkit import SMALL, read_kind

from izquvar.geo.distance import to_metres
from izquvar.simulate import SimSummary
from izquvar.simulate.city import load_tashkent, to_lat_lon
from izquvar.simulate.copresence import PlaceGeometry, expand
from izquvar.simulate.places import build_world
from izquvar.simulate.population import build_population
from izquvar.simulate.schedule import HOME, RIDE, VENUE, Stays
from izquvar.simulate.simulation import _geometry, _rng
from izquvar.simulate.stay_positions import StayPositions
from izquvar.simulate.truth import STAYS, build

#: Rounding to 1e-7 degrees and the projection round trip move a point by about a centimetre.
TOLERANCE_M = 0.05


def _tiny_geometry() -> PlaceGeometry:
    """Two places: a walk-about hall of 20 × 10 m at (1000, 2000) and a vehicle at (5000, 5000)."""
    return PlaceGeometry(
        zone_w=np.array([20.0, 12.0]),
        zone_h=np.array([10.0, 2.5]),
        indoor=np.array([True, True]),
        mobile=np.array([True, False]),
        is_home=np.array([False, False]),
        x=np.array([1000.0, 5000.0]),
        y=np.array([2000.0, 5000.0]),
        underground=np.array([False, False]),
    )


def test_first_slot_ride_boarding_point_and_slotless_stays() -> None:
    geometry = _tiny_geometry()
    # person 0: a 2-hour walk about the hall, then a ride; person 1: 3 minutes in the hall (no slot midpoint)
    stays = Stays(
        person=np.array([0, 0, 1]),
        place=np.array([0, 1, 0]),
        zone=np.array([0, 0, 0]),
        start=np.array([600.0, 740.0, 603.0]),
        end=np.array([720.0, 770.0, 606.0]),
        kind=np.array([VENUE, RIDE, VENUE], dtype=np.int8),
        x0=np.array([1000.0, 3000.0, 1000.0]),
        y0=np.array([2000.0, 3500.0, 2000.0]),
        x1=np.array([1000.0, 4000.0, 1000.0]),
        y1=np.array([2000.0, 4500.0, 2000.0]),
    )
    rows = expand(stays, np.arange(3), geometry, np.ones(2, np.int64), np.random.default_rng(5))
    assert set(rows.stay.tolist()) == {0, 1}, "the 3-minute stay should own no slot"
    positions = StayPositions(stays)
    positions.add(rows, geometry)
    lat, lon = positions.lat_lon(geometry)

    first = int(np.flatnonzero(rows.stay == 0)[0])
    assert rows.slot[first] == rows.slot[rows.stay == 0].min()
    want_x = 1000.0 + rows.x[first] - 10.0
    want_y = 2000.0 + rows.y[first] - 5.0
    expect_lat, expect_lon = to_lat_lon(np.array([want_x, 3000.0, 1000.0]), np.array([want_y, 3500.0, 2000.0]))
    np.testing.assert_array_equal(lat, expect_lat)
    np.testing.assert_array_equal(lon, expect_lon)
    # the walker moved during the stay, so the first slot is not just any slot
    walked = rows.stay == 0
    assert len(np.unique(rows.x[walked])) > 1


def test_no_rows_leaves_reference_points() -> None:
    geometry = _tiny_geometry()
    stays = Stays(
        person=np.array([0]),
        place=np.array([1]),
        zone=np.array([0]),
        start=np.array([0.5]),
        end=np.array([1.5]),
        kind=np.array([HOME], dtype=np.int8),
        x0=np.array([0.0]),
        y0=np.array([0.0]),
        x1=np.array([0.0]),
        y1=np.array([0.0]),
    )
    positions = StayPositions(stays)
    positions.add(expand(stays, np.arange(1), geometry, np.ones(1, np.int64), np.random.default_rng(1)), geometry)
    lat, lon = positions.lat_lon(geometry)
    np.testing.assert_array_equal(np.c_[lat, lon], np.c_[to_lat_lon(np.array([5000.0]), np.array([5000.0]))])


def test_written_stays_lie_in_their_zone(small_run: tuple[Path, SimSummary]) -> None:
    """Every non-ride stay of the small run is inside its place's zone rectangle; rides inside the city."""
    out, _ = small_run
    stays = read_kind(out, "truth/stays")
    assert stays.schema.field("lat").type == "double" and stays.schema.field("lon").type == "double"
    assert stays.column("lat").null_count == 0 and stays.column("lon").null_count == 0
    city = load_tashkent()
    rng = _rng(SMALL, "world")
    pop = build_population(SMALL, city, rng)
    world = build_world(pop, city, rng)
    geometry = _geometry(pop, world)
    place_of = {name: i for i, name in enumerate(np.r_[world.venues.venue_id, pop.household_id])}
    place = np.array([place_of[v] for v in stays.column("venue").to_pylist()])
    kind = np.asarray(stays.column("kind").to_pylist())
    x, y = to_metres(stays.column("lat").to_numpy(), stays.column("lon").to_numpy())

    still = kind != "ride"
    dx = np.abs(x - geometry.x[place])[still]
    dy = np.abs(y - geometry.y[place])[still]
    assert (dx <= geometry.zone_w[place][still] / 2 + TOLERANCE_M).all()
    assert (dy <= geometry.zone_h[place][still] / 2 + TOLERANCE_M).all()
    # positions are drawn inside the zone, not collapsed onto the reference point
    at_reference = (dx < TOLERANCE_M) & (dy < TOLERANCE_M)
    assert at_reference.mean() < 0.01

    ride = ~still
    assert ride.sum() > 0
    points = shapely.points(x[ride], y[ride])
    assert shapely.covers(city.outline.buffer(100.0), points).all()
    # a ride starts where its rider was (the boarding point), not at the vehicle's representative point
    assert (np.hypot(x[ride] - geometry.x[place[ride]], y[ride] - geometry.y[place[ride]]) > 1.0).mean() > 0.9


def test_tables_built_without_positions_still_fit_the_schema() -> None:
    """Code that builds stays without coordinates (older outputs, hand-made fixtures) gets null positions."""
    table = build(
        "stays",
        {
            "person": pa.array(["P"]),
            "venue": pa.array(["H1"]),
            "zone": pa.array([0]),
            "start": pa.array([0], pa.timestamp("us", tz="UTC")),
            "end": pa.array([60_000_000], pa.timestamp("us", tz="UTC")),
            "kind": pa.array(["home"]),
        },
    )
    assert table.schema == STAYS
    assert table.column("lat").null_count == 1
    with pytest.raises(KeyError):
        build("stays", {"person": pa.array(["P"])})
