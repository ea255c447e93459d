"""Homes and venues lie in Tashkent city's districts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely
from simkit import read_kind

from izquvar.geo.areas import TASHKENT_CITY_ID, AreaIndex
from izquvar.simulate import SimSummary


def _districts() -> shapely.Geometry:
    geoms = AreaIndex.default().geometries("district", parent_id=TASHKENT_CITY_ID)
    return shapely.union_all(list(geoms.values()))


def test_homes_and_venues_inside_tashkent(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    city = _districts()
    people = read_kind(out, "people").to_pandas()
    assert shapely.contains_xy(city, people.home_lon, people.home_lat).all()
    venues = read_kind(out, "venues").to_pandas()
    fixed = venues[~venues.category.isin(["metro", "bus"])]
    assert shapely.contains_xy(city, fixed.lon, fixed.lat).all()
    # homes spread over every district
    district_hits = [
        shapely.contains_xy(g, people.home_lon, people.home_lat).any()
        for g in AreaIndex.default().geometries("district", parent_id=TASHKENT_CITY_ID).values()
    ]
    assert all(district_hits)


@pytest.mark.shared
def test_homes_inside_osm_city_districts(small_run: tuple[Path, SimSummary], shared_dir: Path) -> None:
    """Against OpenStreetMap's own district polygons (a source independent of the shipped areas)."""
    out, _ = small_run
    data = json.loads((shared_dir / "data/uzbekistan/osm-tashkent-city-districts-multilingual.geojson").read_text())
    city = shapely.union_all([shapely.geometry.shape(f["geometry"]) for f in data["features"]]).buffer(0.003)
    people = read_kind(out, "people").to_pandas()
    inside = shapely.contains_xy(city, people.home_lon, people.home_lat)
    assert np.mean(inside) > 0.98
