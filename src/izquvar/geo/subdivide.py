"""Deterministic subdivision of a polygon into compact cells: how the synthetic mahallas are made.

Real mahalla boundaries are not published as open data, yet every record must be placed in a mahalla. Until
real boundaries are ingested (the ``areas`` feed), each district is cut into Voronoi cells of well-spread
seeds (Lloyd relaxation in metres, so cells are compact rather than stretched by the degree grid). The
same polygon, count and seed always give the same cells, so area ids are stable across builds.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from izquvar.errors import InvalidInput
from izquvar.geo.distance import from_metres, to_metres

#: Degrees grid every shipped coordinate is snapped to (~1 m), so neighbours share vertices exactly.
GRID_DEG = 1e-5


def _to_metres(geom: BaseGeometry) -> BaseGeometry:
    def forward(coords: np.ndarray) -> np.ndarray:
        x, y = to_metres(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    return shapely.transform(geom, forward)


def _to_degrees(geom: BaseGeometry) -> BaseGeometry:
    def inverse(coords: np.ndarray) -> np.ndarray:
        lat, lon = from_metres(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, inverse)


def _sample_inside(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points inside ``polygon`` (rejection sampling in its bounding box)."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        inside = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(inside)
        count += len(inside)
    return np.concatenate(found)[:n]


def subdivide(polygon: BaseGeometry, n: int, seed: int, iterations: int = 12) -> list[BaseGeometry]:
    """``polygon`` (lon/lat degrees) cut into ``n`` compact cells that tile it, numbered north-west first.

    Cells are Voronoi regions of seeds moved ``iterations`` times to their cell's centroid (Lloyd), so they
    have similar areas; the order (rows of ~√n cells from north to south, west to east within a row) makes
    numbers like "12-mahalla" run across the map the way people read it.
    """
    if n < 1:
        raise InvalidInput(f"subdivide: n must be at least 1, got {n}")
    if polygon.is_empty or polygon.area == 0:
        raise InvalidInput("subdivide: the polygon is empty")
    if n == 1:
        return [polygon]
    metric = shapely.make_valid(_to_metres(polygon))
    rng = np.random.default_rng(seed)
    seeds = _sample_inside(metric, n, rng)
    cells: list[BaseGeometry] = []
    for _ in range(iterations + 1):
        diagram = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=metric, ordered=True)
        cells = [shapely.intersection(cell, metric) for cell in shapely.get_parts(diagram)]
        centroids = shapely.centroid(cells)
        moved = shapely.get_coordinates(centroids)
        if len(moved) != len(seeds):  # a cell fell outside the polygon (cannot happen for seeds inside it)
            break
        seeds = moved
    centres = shapely.get_coordinates(shapely.centroid(cells))
    row_height = (metric.bounds[3] - metric.bounds[1]) / max(1.0, np.sqrt(n))
    rows = np.floor((metric.bounds[3] - centres[:, 1]) / row_height)
    order = np.lexsort((centres[:, 0], rows))
    snapped_parent = shapely.set_precision(polygon, GRID_DEG)
    return [
        polygonal_part(shapely.intersection(_to_degrees(cells[i]), snapped_parent, grid_size=GRID_DEG)) for i in order
    ]


def polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of an overlay result, without the stray lines or points clipping can leave."""
    polys = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > 0]
    return shapely.union_all(polys, grid_size=GRID_DEG)
