"""Synthetic mahallas: the cells tile the district, are compact and come out the same every time."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from izquvar.errors import InvalidInput
from izquvar.geo.subdivide import subdivide

# A concave (L-shaped) district near Tashkent, about 5 km across.
DISTRICT = shapely.Polygon(
    [(69.20, 41.28), (69.26, 41.28), (69.26, 41.30), (69.22, 41.30), (69.22, 41.32), (69.20, 41.32)]
)


def test_cells_tile_the_polygon_without_overlap() -> None:
    cells = subdivide(DISTRICT, 25, seed=1)
    assert len(cells) == 25
    union = shapely.union_all(cells)
    assert union.symmetric_difference(DISTRICT).area < 1e-6 * DISTRICT.area
    assert sum(c.area for c in cells) == pytest.approx(DISTRICT.area, rel=1e-5)
    assert all(c.geom_type in ("Polygon", "MultiPolygon") and c.within(DISTRICT.buffer(1e-9)) for c in cells)


def test_cells_have_similar_sizes() -> None:
    areas = np.array([c.area for c in subdivide(DISTRICT, 25, seed=1)])
    assert areas.max() / areas.min() < 3.0  # Lloyd relaxation evens out the random seeds


def test_same_seed_same_cells_and_numbered_from_the_north() -> None:
    first = subdivide(DISTRICT, 12, seed=7)
    second = subdivide(DISTRICT, 12, seed=7)
    assert all(a.equals_exact(b, 0) for a, b in zip(first, second, strict=True))
    assert first[0].centroid.y > first[-1].centroid.y
    assert not all(a.equals(b) for a, b in zip(first, subdivide(DISTRICT, 12, seed=8), strict=True))


def test_one_cell_is_the_polygon_and_bad_input_is_refused() -> None:
    assert subdivide(DISTRICT, 1, seed=0) == [DISTRICT]
    with pytest.raises(InvalidInput, match="at least 1"):
        subdivide(DISTRICT, 0, seed=0)
    with pytest.raises(InvalidInput, match="empty"):
        subdivide(shapely.Polygon(), 3, seed=0)
