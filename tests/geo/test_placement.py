"""Placing points and places in the area hierarchy: unknown positions get null areas, rows keep their order."""

from __future__ import annotations

import numpy as np
import pandas as pd

from izquvar.formats import AREA_FIELDS
from izquvar.geo.placement import area_index, locate, locate_places, with_areas

# Tashkent's centre, then a point in the sea far from Uzbekistan.
_CENTRE = (41.3111, 69.2797)
_OUTSIDE = (0.0, 0.0)


def test_unknown_and_outside_points_get_null_areas_in_row_order() -> None:
    index = area_index(None)
    lat = np.array([_CENTRE[0], np.nan, _OUTSIDE[0], _CENTRE[0]])
    lon = np.array([_CENTRE[1], 69.0, _OUTSIDE[1], _CENTRE[1]])
    areas = locate(index, lat, lon)
    assert areas.column_names == [f.name for f in AREA_FIELDS]
    regions = areas.column("region_id").to_pylist()
    assert regions[0] is not None and regions[0] == regions[3]
    assert regions[1] is None and regions[2] is None
    assert index.locate([_CENTRE[0]], [_CENTRE[1]]).column("region_id").to_pylist() == [regions[0]]


def test_places_gain_area_columns_even_when_there_are_none() -> None:
    index = area_index(None)
    places = pd.DataFrame({"venue_id": ["v1", "v2"], "lat": [_CENTRE[0], _OUTSIDE[0]], "lon": [_CENTRE[1], 0.0]})
    placed = with_areas(places, locate_places(index, places))
    assert list(placed.columns) == ["venue_id", "lat", "lon", *(f.name for f in AREA_FIELDS)]
    assert placed["region_id"].notna().tolist() == [True, False]
    empty = with_areas(places.iloc[:0].copy(), locate_places(index, places.iloc[:0]))
    assert len(empty) == 0 and {f.name for f in AREA_FIELDS} <= set(empty.columns)
