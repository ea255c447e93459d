"""PolygonGrid: exact answers at boundaries, in holes, where polygons overlap and outside the grid."""

from __future__ import annotations

import numpy as np
import shapely

from izquvar.geo.grid_index import PolygonGrid


def _brute_force(polygons: list[shapely.Geometry], x: np.ndarray, y: np.ndarray) -> np.ndarray:
    result = np.full(len(x), -1)
    for k in reversed(range(len(polygons))):  # lowest index written last: it wins
        result[shapely.intersects_xy(polygons[k], x, y)] = k
    return result


def test_matches_brute_force_on_awkward_shapes() -> None:
    ring = shapely.Point(0, 0).buffer(10).difference(shapely.Point(0, 0).buffer(4))  # a hole
    angles = np.linspace(0, 2 * np.pi, 24, endpoint=False)
    radii = np.where(np.arange(24) % 2 == 0, 8.0, 16.0)
    star = shapely.Polygon(np.column_stack([20 + radii * np.cos(angles), radii * np.sin(angles)]))
    sliver = shapely.box(-10, 12, 30, 12.01)  # thinner than a cell
    overlap = shapely.box(5, -3, 15, 3)  # overlaps the ring and the star
    polygons = [ring, star, sliver, overlap]
    grid = PolygonGrid(polygons, max_cells=2_000)
    rng = np.random.default_rng(5)
    x = rng.uniform(-15, 40, 200_000)
    y = rng.uniform(-20, 20, 200_000)
    np.testing.assert_array_equal(grid.lookup(x, y), _brute_force(polygons, x, y))


def test_points_on_vertices_and_edges_are_inside() -> None:
    square = shapely.box(0, 0, 1, 1)
    grid = PolygonGrid([square], max_cells=100)
    x = np.array([0.0, 1.0, 0.5, 1.0, 1.0 + 1e-9])
    y = np.array([0.0, 1.0, 0.0, 0.5, 0.5])
    np.testing.assert_array_equal(grid.lookup(x, y), [0, 0, 0, 0, -1])


def test_points_outside_the_grid_and_nan_are_none() -> None:
    grid = PolygonGrid([shapely.box(0, 0, 1, 1)], max_cells=100)
    x = np.array([-5.0, 5.0, np.nan, 0.5])
    y = np.array([0.5, 0.5, 0.5, np.nan])
    np.testing.assert_array_equal(grid.lookup(x, y), [-1, -1, -1, -1])


def test_most_cells_need_no_exact_test() -> None:
    grid = PolygonGrid([shapely.Point(0, 0).buffer(1, quad_segs=64)], max_cells=40_000)
    assert grid.boundary_fraction < 0.05
