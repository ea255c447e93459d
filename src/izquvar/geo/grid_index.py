"""Fast point-in-polygon for a fixed set of polygons: a raster of owners plus exact tests near boundaries.

A regular grid is laid over the polygons. A cell no polygon boundary crosses lies wholly inside one
polygon (or none), so a point there is answered by one array read. Only points in cells a boundary
crosses are tested exactly (shapely, prepared geometries), against the few polygons whose boundary
crosses that cell. Near Tashkent this answers millions of points per second, several times an R-tree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

EMPTY = -1
BOUNDARY = -2


class PolygonGrid:
    """Which of ``polygons`` holds each point; where polygons overlap, the lowest index wins."""

    def __init__(self, polygons: Sequence[BaseGeometry], max_cells: int) -> None:
        self.polygons = list(polygons)
        for polygon in self.polygons:
            shapely.prepare(polygon)
        minx, miny, maxx, maxy = shapely.total_bounds(self.polygons)
        width, height = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        self.cell = float(np.sqrt(width * height / max_cells))
        self.x0, self.y0 = float(minx), float(miny)
        self.nx = int(np.floor(width / self.cell)) + 1
        self.ny = int(np.floor(height / self.cell)) + 1
        self._build()

    def _cells_of(self, x: FloatArray, y: FloatArray) -> tuple[IntArray, npt.NDArray[np.bool_]]:
        ix = np.floor((x - self.x0) / self.cell)
        iy = np.floor((y - self.y0) / self.cell)
        valid = (ix >= 0) & (ix < self.nx) & (iy >= 0) & (iy < self.ny)
        flat = np.where(valid, iy * self.nx + ix, 0).astype(np.int64)
        return flat, valid

    def _boundary_cells(self, polygon: BaseGeometry) -> IntArray:
        """Cells the boundary passes through: samples every half cell, widened by one cell, then exact."""
        line = shapely.boundary(polygon)
        xy = shapely.get_coordinates(shapely.segmentize(line, self.cell / 2.0))
        ix = np.floor((xy[:, 0] - self.x0) / self.cell).astype(np.int64)
        iy = np.floor((xy[:, 1] - self.y0) / self.cell).astype(np.int64)
        near = [(iy + dy) * self.nx + (ix + dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)]
        flat = np.unique(np.concatenate(near))
        cy, cx = np.divmod(flat, self.nx)
        keep = (cx >= 0) & (cx < self.nx) & (cy >= 0) & (cy < self.ny)
        flat, cx, cy = flat[keep], cx[keep], cy[keep]
        boxes = shapely.box(
            self.x0 + cx * self.cell, self.y0 + cy * self.cell,
            self.x0 + (cx + 1) * self.cell, self.y0 + (cy + 1) * self.cell,
        )  # fmt: skip
        shapely.prepare(line)
        hit = np.asarray(shapely.intersects(line, boxes), dtype=bool)
        return np.asarray(flat[hit], dtype=np.int64)

    def _build(self) -> None:
        owner = np.full(self.nx * self.ny, EMPTY, dtype=np.int32)
        pair_cells: list[IntArray] = []
        pair_polys: list[IntArray] = []
        for k, polygon in enumerate(self.polygons):
            cells = self._boundary_cells(polygon)
            pair_cells.append(cells)
            pair_polys.append(np.full(len(cells), k, dtype=np.int64))
            minx, miny, maxx, maxy = polygon.bounds
            ix0, iy0 = int((minx - self.x0) // self.cell), int((miny - self.y0) // self.cell)
            ix1 = min(int((maxx - self.x0) // self.cell), self.nx - 1)
            iy1 = min(int((maxy - self.y0) // self.cell), self.ny - 1)
            gx, gy = np.meshgrid(np.arange(ix0, ix1 + 1), np.arange(iy0, iy1 + 1))
            cx = self.x0 + (gx.ravel() + 0.5) * self.cell
            cy = self.y0 + (gy.ravel() + 0.5) * self.cell
            inside = (gy.ravel() * self.nx + gx.ravel())[shapely.contains_xy(polygon, cx, cy)]
            clash = inside[owner[inside] >= 0]
            if len(clash):  # overlapping polygons: both become candidates of an exact test
                pair_cells += [clash, clash]
                pair_polys += [owner[clash].astype(np.int64), np.full(len(clash), k, dtype=np.int64)]
            owner[inside[owner[inside] == EMPTY]] = k
        cells = np.concatenate(pair_cells) if pair_cells else np.empty(0, np.int64)
        # A cell one polygon's boundary crosses may lie wholly inside another: that one is a candidate too.
        inner = cells[owner[cells] >= 0]
        cells = np.concatenate([cells, inner])
        pair_polys.append(owner[inner].astype(np.int64))
        polys = np.concatenate(pair_polys) if pair_polys else np.empty(0, np.int64)
        order = np.lexsort((polys, cells))
        cells, polys = cells[order], polys[order]
        keep = np.ones(len(cells), dtype=bool)
        keep[1:] = (cells[1:] != cells[:-1]) | (polys[1:] != polys[:-1])
        cells, polys = cells[keep], polys[keep]
        owner[cells] = BOUNDARY
        self.owner = owner
        self.boundary_cells, starts = np.unique(cells, return_index=True)
        self.offsets = np.append(starts, len(cells)).astype(np.int64)
        self.candidates = polys
        self.max_candidates = int(np.diff(self.offsets).max()) if len(cells) else 0

    @property
    def boundary_fraction(self) -> float:
        """Share of grid cells that need an exact test (a measure of the grid's efficiency)."""
        return float(len(self.boundary_cells)) / float(self.nx * self.ny)

    def lookup(self, x: FloatArray, y: FloatArray) -> IntArray:
        """Index of the polygon holding each point (boundary included), ``-1`` where none does."""
        flat, valid = self._cells_of(x, y)
        result = np.where(valid, self.owner[flat], EMPTY).astype(np.int64)
        hard = np.flatnonzero(result == BOUNDARY)
        result[hard] = EMPTY
        if len(hard) == 0:
            return result
        slot = np.searchsorted(self.boundary_cells, flat[hard])
        start = self.offsets[slot]
        count = self.offsets[slot + 1] - start
        found = np.full(len(hard), EMPTY, dtype=np.int64)
        for j in range(self.max_candidates):
            todo = np.flatnonzero((count > j) & (found == EMPTY))
            if len(todo) == 0:
                break
            candidate = self.candidates[start[todo] + j]
            order = np.argsort(candidate, kind="stable")
            todo, candidate = todo[order], candidate[order]
            splits = np.flatnonzero(np.diff(candidate)) + 1
            for group, k in zip(np.split(todo, splits), candidate[np.r_[0, splits]], strict=True):
                points = hard[group]
                hit = shapely.intersects_xy(self.polygons[int(k)], x[points], y[points])
                found[group[hit]] = k
        result[hard] = found
        return result
