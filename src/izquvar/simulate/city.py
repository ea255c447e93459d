"""The synthetic city's ground: Tashkent's real district polygons and their mahallas, in metres.

Homes and venues are drawn uniformly inside mahallas, and mahallas are picked with equal weight, so density
follows the mahalla layout (each mahalla a neighbourhood of similar population), as the geo package builds it.
All geometry is in the national transverse Mercator (``izquvar.geo.distance.to_metres``) so that distances
between people are plain Euclidean metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from izquvar.errors import InvalidInput
from izquvar.geo.areas import TASHKENT_CITY_ID, AreaIndex
from izquvar.geo.distance import from_metres, to_metres

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class City:
    """Districts and mahallas of the city with their polygons in metres."""

    district_ids: tuple[str, ...]
    mahalla_ids: tuple[str, ...]
    #: Index into ``district_ids`` of each mahalla.
    mahalla_district: IntArray
    #: Mahalla polygons in metres, same order as ``mahalla_ids``.
    mahalla_polygons: tuple[BaseGeometry, ...]
    #: Union of all districts, in metres.
    outline: BaseGeometry

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """Bounding box (minx, miny, maxx, maxy) in metres."""
        b = self.outline.bounds
        return (float(b[0]), float(b[1]), float(b[2]), float(b[3]))

    def random_points(self, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray, IntArray]:
        """``n`` points, each in a uniformly chosen mahalla, uniform inside it; also their mahalla index."""
        mahalla = rng.integers(0, len(self.mahalla_ids), size=n)
        x = np.empty(n, dtype=np.float64)
        y = np.empty(n, dtype=np.float64)
        counts = np.bincount(mahalla, minlength=len(self.mahalla_ids))
        order = np.argsort(mahalla, kind="stable")
        offset = 0
        for index, count in enumerate(counts):
            if count == 0:
                continue
            px, py = sample_in_polygon(self.mahalla_polygons[index], int(count), rng)
            slots = order[offset : offset + count]
            x[slots] = px
            y[slots] = py
            offset += int(count)
        return x, y, mahalla.astype(np.int64)

    def contains(self, x: FloatArray, y: FloatArray) -> npt.NDArray[np.bool_]:
        """Whether each point (metres) lies inside the city."""
        return np.asarray(shapely.contains_xy(self.outline, x, y), dtype=np.bool_)


def sample_in_polygon(polygon: BaseGeometry, n: int, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
    """``n`` uniform points inside ``polygon`` by rejection sampling from its bounding box."""
    minx, miny, maxx, maxy = polygon.bounds
    shapely.prepare(polygon)
    prepared = polygon
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    have = 0
    fill = max(polygon.area / max((maxx - minx) * (maxy - miny), 1e-9), 0.05)
    for _ in range(200):
        batch = int((n - have) / fill * 1.3) + 16
        cx = rng.uniform(minx, maxx, batch)
        cy = rng.uniform(miny, maxy, batch)
        inside = shapely.contains_xy(prepared, cx, cy)
        xs.append(cx[inside])
        ys.append(cy[inside])
        have += int(inside.sum())
        if have >= n:
            break
    else:  # pragma: no cover - needs a degenerate polygon
        raise InvalidInput("simulate: could not place points inside a mahalla polygon (is it empty?)")
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _to_metres_geometry(geom: BaseGeometry) -> BaseGeometry:
    def forward(coords: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = to_metres(coords[:, 1], coords[:, 0])
        return np.column_stack([x, y])

    return shapely.transform(geom, forward)


def load_tashkent() -> City:
    """Tashkent city's districts and their mahallas from the shipped area index."""
    index = AreaIndex.default()
    districts = index.geometries("district", parent_id=TASHKENT_CITY_ID)
    if not districts:
        raise InvalidInput("simulate: the area index has no districts for Tashkent city.")
    district_ids = tuple(sorted(districts))
    mahalla_ids: list[str] = []
    mahalla_district: list[int] = []
    polygons: list[BaseGeometry] = []
    for d_index, district_id in enumerate(district_ids):
        mahallas = index.geometries("mahalla", parent_id=district_id)
        if not mahallas:  # a district without generated mahallas is one neighbourhood
            mahallas = {district_id: districts[district_id]}
        for mahalla_id in sorted(mahallas):
            geom = _to_metres_geometry(mahallas[mahalla_id])
            if geom.is_empty or geom.area <= 0:
                continue
            mahalla_ids.append(mahalla_id)
            mahalla_district.append(d_index)
            polygons.append(geom)
    outline = shapely.union_all([_to_metres_geometry(districts[d]) for d in district_ids])
    return City(
        district_ids=district_ids,
        mahalla_ids=tuple(mahalla_ids),
        mahalla_district=np.asarray(mahalla_district, dtype=np.int64),
        mahalla_polygons=tuple(polygons),
        outline=outline,
    )


def to_lat_lon(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (degrees, rounded to 1e-7 ≈ 1 cm as devices report) of metric points."""
    lat, lon = from_metres(x, y)
    return np.round(lat, 7), np.round(lon, 7)


@dataclass(frozen=True)
class GridIndex:
    """Points bucketed into square cells, for "nearest few" look-ups without pairwise distances."""

    x0: float
    y0: float
    cell_m: float
    nx: int
    ny: int
    #: For each cell (row-major), the indices of the ``k`` points nearest its centre.
    nearest: IntArray

    @classmethod
    def build(cls, city: City, px: FloatArray, py: FloatArray, k: int, cell_m: float = 1_000.0) -> GridIndex:
        """Index points ``(px, py)`` so each cell knows its ``k`` nearest points."""
        if len(px) == 0:
            raise InvalidInput("simulate: cannot index an empty set of places.")
        minx, miny, maxx, maxy = city.bounds
        nx = int(np.ceil((maxx - minx) / cell_m)) + 1
        ny = int(np.ceil((maxy - miny) / cell_m)) + 1
        cx = minx + (np.arange(nx) + 0.5) * cell_m
        cy = miny + (np.arange(ny) + 0.5) * cell_m
        gx, gy = np.meshgrid(cx, cy, indexing="ij")
        gx = gx.ravel()
        gy = gy.ravel()
        k = min(k, len(px))
        nearest = np.empty((len(gx), k), dtype=np.int64)
        step = max(1, 2_000_000 // len(px))
        for lo in range(0, len(gx), step):
            d2 = (gx[lo : lo + step, None] - px[None, :]) ** 2 + (gy[lo : lo + step, None] - py[None, :]) ** 2
            part = np.argpartition(d2, k - 1, axis=1)[:, :k] if k < len(px) else np.tile(np.arange(k), (len(d2), 1))
            rows = np.arange(len(d2))[:, None]
            order = np.argsort(d2[rows, part], axis=1, kind="stable")
            nearest[lo : lo + step] = part[rows, order]
        return cls(float(minx), float(miny), cell_m, nx, ny, nearest)

    def cell_of(self, x: FloatArray, y: FloatArray) -> IntArray:
        """Row-major cell index of each point (clipped to the grid)."""
        ix = np.clip(((x - self.x0) / self.cell_m).astype(np.int64), 0, self.nx - 1)
        iy = np.clip(((y - self.y0) / self.cell_m).astype(np.int64), 0, self.ny - 1)
        return ix * self.ny + iy

    def pick(self, x: FloatArray, y: FloatArray, rng: np.random.Generator) -> IntArray:
        """For each point, one of the ``k`` places nearest its cell, uniformly."""
        cells = self.cell_of(x, y)
        choice = rng.integers(0, self.nearest.shape[1], size=len(cells))
        return self.nearest[cells, choice]
