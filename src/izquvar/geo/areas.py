"""The area hierarchy region → district → mahalla: names, boundaries and placing points in it.

Every stay, check-in, transaction and operator record is placed in this hierarchy, so that an investigator can
say "Chilonzor, 12-mahalla" rather than a coordinate. The shipped areas (``data/areas.parquet``, built by
tools/build_areas.py; sources and licences in data/ATTRIBUTION.md and docs/areas.md) are real regions and
districts with SOATO codes, and synthetic mahallas for Tashkent city. Real boundaries arrive as the ``areas``
feed and replace shipped ones by ``area_id`` (``merged``).

A point is placed level by level: in a district only among the children of its region, in a mahalla only among
the children of its district, so the three ids of a row always agree with each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import shapely
from shapely.geometry.base import BaseGeometry

from izquvar.errors import InvalidInput, NotFound
from izquvar.formats import AREAS
from izquvar.geo.grid_index import PolygonGrid
from izquvar.geo.transliterate import cyrillic_to_latin, latin_to_cyrillic

Level = Literal["region", "district", "mahalla"]
Lang = Literal["uz-Latn", "uz-Cyrl", "ru", "en"]
LEVELS: tuple[Level, ...] = ("region", "district", "mahalla")
LANGS: tuple[Lang, ...] = get_args(Lang)

#: SOATO code of Tashkent city (the region-level unit "Toshkent shahri").
TASHKENT_CITY_ID = "1726"

_NAME_COLUMNS: dict[Lang, str] = {
    "uz-Latn": "name_uz_latn",
    "uz-Cyrl": "name_uz_cyrl",
    "ru": "name_ru",
    "en": "name_en",
}
#: Which other name to show when an area has none in the language asked for.
_FALLBACK: dict[Lang, tuple[Lang, ...]] = {
    "uz-Latn": ("uz-Latn", "uz-Cyrl", "en", "ru"),
    "uz-Cyrl": ("uz-Cyrl", "uz-Latn", "ru", "en"),
    "ru": ("ru", "uz-Cyrl", "uz-Latn", "en"),
    "en": ("en", "uz-Latn", "ru", "uz-Cyrl"),
}
_GRID_CELLS_PER_AREA = 2_000
_GRID_CELLS_MIN = 32_000
_GRID_CELLS_TOP = 1_000_000
_GRID_CELLS_MAX = 4_000_000
_DATA_FILE = "areas.parquet"

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Area:
    """One area: its code, level, enclosing area, names by language and whether it is a synthetic stand-in."""

    area_id: str
    level: Level
    parent_id: str | None
    names: Mapping[Lang, str] = field(hash=False)
    synthetic: bool = False


class _LevelIndex:
    """Point lookup for one level: one grid per parent, so each grid is sized to that parent's children."""

    def __init__(self, ids: list[str], parents: list[int], geoms: list[BaseGeometry], top: bool) -> None:
        self.ids = pa.array(ids, type=pa.string())
        by_parent: dict[int, list[int]] = {}
        for k, parent in enumerate(parents):
            by_parent.setdefault(parent, []).append(k)
        self.grids: dict[int, tuple[PolygonGrid, IntArray]] = {}
        for parent, members in sorted(by_parent.items(), key=lambda item: item[0] < 0):  # orphans last
            # The top level (regions) spans the country yet must resolve Tashkent city's short boundary finely.
            least = _GRID_CELLS_TOP if top else _GRID_CELLS_MIN
            budget = min(max(_GRID_CELLS_PER_AREA * len(members), least), _GRID_CELLS_MAX)
            grid = PolygonGrid([geoms[k] for k in members], budget)
            self.grids[parent] = (grid, np.array(members, dtype=np.int64))

    def locate(self, x: FloatArray, y: FloatArray, parent: IntArray | None) -> IntArray:
        """Index into ``ids`` per point (``-1`` for none), searching each point among its parent's children.

        ``parent`` is each point's index at the level above (``-1``: none; ``None``: this is the top level).
        Areas whose parent is not in the index (key ``-1``) are tried for every point still unplaced.
        """
        result = np.full(len(x), -1, dtype=np.int64)
        if parent is None:
            parent = np.full(len(x), -1, dtype=np.int64)
        order = np.argsort(parent, kind="stable")
        sorted_parent = parent[order]
        for key, (grid, members) in self.grids.items():
            if key < 0:
                rows = np.flatnonzero(result < 0)
            else:
                lo, hi = np.searchsorted(sorted_parent, [key, key + 1])
                rows = order[lo:hi]
            if len(rows) == 0:
                continue
            hit = grid.lookup(x[rows], y[rows])
            inside = hit >= 0
            result[rows[inside]] = members[hit[inside]]
        return result


class AreaIndex:
    """Areas by id with their names and boundaries, and a fast point → (region, district, mahalla) lookup."""

    def __init__(self, table: pa.Table) -> None:
        self._table = _validated(table)
        rows = self._table.to_pylist()
        self._geoms: dict[str, BaseGeometry] = dict(
            zip(
                [str(area_id) for area_id in self._table.column("area_id").to_pylist()],
                shapely.from_wkt(self._table.column("geometry_wkt").to_pylist()),
                strict=True,
            )
        )
        self._areas: dict[str, Area] = {}
        for row in rows:
            names = {lang: row[col] for lang, col in _NAME_COLUMNS.items() if row[col]}
            self._areas[row["area_id"]] = Area(
                row["area_id"], row["level"], row["parent_id"], names, bool(row["synthetic"])
            )
        self._levels: dict[Level, _LevelIndex] | None = None

    @classmethod
    def default(cls) -> AreaIndex:
        """The areas shipped with izquvar (loaded once per process)."""
        return _default_index()

    @classmethod
    def from_table(cls, table: pa.Table) -> AreaIndex:
        """Areas from a table of the ``areas`` feed kind (an optional bool ``synthetic`` column is kept)."""
        return cls(table)

    def merged(self, other: AreaIndex) -> AreaIndex:
        """These areas with ``other``'s added; an area of ``other`` replaces one here with the same id."""
        replaced = pc.is_in(self._table.column("area_id"), value_set=other._table.column("area_id"))
        kept = self._table.filter(pc.invert(replaced))
        return AreaIndex(pa.concat_tables([kept, other._table]))

    def __len__(self) -> int:
        return len(self._areas)

    def __contains__(self, area_id: object) -> bool:
        return area_id in self._areas

    def get(self, area_id: str) -> Area:
        """The area with this id; ``NotFound`` if there is none."""
        try:
            return self._areas[area_id]
        except KeyError:
            raise NotFound(f"no area with id {area_id!r}") from None

    def name(self, area_id: str, lang: Lang = "uz-Latn") -> str:
        """The name in ``lang``; if unknown there, Uzbek Cyrillic/Latin by transliteration, then others."""
        if lang not in _FALLBACK:
            raise InvalidInput(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
        names = self.get(area_id).names
        if lang in names:
            return names[lang]
        if lang == "uz-Cyrl" and "uz-Latn" in names:
            return latin_to_cyrillic(names["uz-Latn"])
        if lang == "uz-Latn" and "uz-Cyrl" in names:
            return cyrillic_to_latin(names["uz-Cyrl"])
        return next(names[other] for other in _FALLBACK[lang] if other in names)

    def table(self, include_synthetic: bool = False) -> pa.Table:
        """The areas as a table of the ``areas`` feed kind (plus ``synthetic`` if asked)."""
        columns = [c.name for c in AREAS.columns] + (["synthetic"] if include_synthetic else [])
        return self._table.select(columns)

    def ids(self, level: Level, parent_id: str | None = None) -> list[str]:
        """Ids of the areas of ``level`` (children of ``parent_id`` if given), sorted."""
        _check_level(level)
        return sorted(
            a.area_id
            for a in self._areas.values()
            if a.level == level and (parent_id is None or a.parent_id == parent_id)
        )

    def geometries(self, level: Level, parent_id: str | None = None) -> dict[str, BaseGeometry]:
        """Boundaries (lon/lat polygons) of the ``level`` areas, children of ``parent_id`` if given."""
        if parent_id is not None and parent_id not in self._areas:
            raise NotFound(f"no area with id {parent_id!r}")
        return {area_id: self._geoms[area_id] for area_id in self.ids(level, parent_id)}

    def geometry(self, area_id: str) -> BaseGeometry:
        """The boundary of one area."""
        self.get(area_id)
        return self._geoms[area_id]

    def locate(self, lat: npt.ArrayLike, lon: npt.ArrayLike) -> pa.Table:
        """Region, district and mahalla id of each point (string columns; null where the point is in none)."""
        lat_arr = np.asarray(lat, dtype=np.float64).ravel()
        lon_arr = np.asarray(lon, dtype=np.float64).ravel()
        if lat_arr.shape != lon_arr.shape:
            raise InvalidInput(f"locate: lat has {lat_arr.size} values but lon has {lon_arr.size}")
        columns: dict[str, Any] = {}
        parent: IntArray | None = None
        for level in LEVELS:
            index = self._level_indexes().get(level)
            if index is None:
                columns[f"{level}_id"] = pa.nulls(lat_arr.size, pa.string())
                parent = np.full(lat_arr.size, -1, dtype=np.int64)
                continue
            hit = index.locate(lon_arr, lat_arr, parent)
            columns[f"{level}_id"] = pc.take(index.ids, pa.array(hit, type=pa.int64(), mask=hit < 0))
            parent = hit
        return pa.table(columns)

    def _precedence(self, level: Level) -> list[str]:
        """Ids of a level in the order overlaps are settled: real before synthetic, then by id."""
        return sorted(self.ids(level), key=lambda area_id: (self._areas[area_id].synthetic, area_id))

    def _level_indexes(self) -> dict[Level, _LevelIndex]:
        if self._levels is None:
            levels: dict[Level, _LevelIndex] = {}
            for level in LEVELS:
                ids = self._precedence(level)
                if not ids:
                    continue
                above = self._precedence(LEVELS[LEVELS.index(level) - 1]) if level != LEVELS[0] else []
                position = {area_id: k for k, area_id in enumerate(above)}
                parents = [position.get(self._areas[i].parent_id or "", -1) for i in ids]
                levels[level] = _LevelIndex(ids, parents, [self._geoms[i] for i in ids], top=level == LEVELS[0])
            self._levels = levels
        return self._levels


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise InvalidInput(f"unknown area level {level!r}; expected one of {', '.join(LEVELS)}")


def _validated(table: pa.Table) -> pa.Table:
    """The table with the ``areas`` columns in order (optional ones filled with nulls) and ``synthetic``."""
    columns: dict[str, Any] = {}
    for column in AREAS.columns:
        if column.name in table.column_names:
            try:
                columns[column.name] = table.column(column.name).cast(column.arrow_type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InvalidInput(f"areas: column {column.name!r} is not {column.type}: {exc}") from None
        elif column.required:
            raise InvalidInput(f"areas: required column {column.name!r} is missing")
        else:
            columns[column.name] = pa.array([None] * table.num_rows, type=column.arrow_type)
    if "synthetic" in table.column_names:
        columns["synthetic"] = pc.coalesce(table.column("synthetic").cast(pa.bool_()), pa.scalar(False))
    else:
        columns["synthetic"] = pa.array([False] * table.num_rows, type=pa.bool_())
    out = pa.table(columns)
    ids = out.column("area_id").to_pylist()
    levels = out.column("level").to_pylist()
    names = out.column("name_uz_latn").to_pylist()
    wkts = out.column("geometry_wkt").to_pylist()
    seen: set[str] = set()
    for row, (area_id, level, name, wkt) in enumerate(zip(ids, levels, names, wkts, strict=True)):
        where = f"areas row {row}"
        if not area_id:
            raise InvalidInput(f"{where}: area_id is empty")
        if area_id in seen:
            raise InvalidInput(f"{where}: area_id {area_id!r} appears twice")
        seen.add(area_id)
        if level not in LEVELS:
            raise InvalidInput(f"{where} ({area_id}): level {level!r} is not one of {', '.join(LEVELS)}")
        if not name:
            raise InvalidInput(f"{where} ({area_id}): name_uz_latn is empty")
        try:
            geom = shapely.from_wkt(wkt)
        except shapely.errors.GEOSException as exc:
            raise InvalidInput(f"{where} ({area_id}): geometry_wkt is not valid WKT: {exc}") from None
        if geom is None or geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
            kind = "nothing" if geom is None else geom.geom_type
            raise InvalidInput(f"{where} ({area_id}): geometry_wkt must be a non-empty (multi)polygon, got {kind}")
    parents = out.column("parent_id").to_pylist()
    level_of = dict(zip(ids, levels, strict=True))
    for row, (area_id, level, parent) in enumerate(zip(ids, levels, parents, strict=True)):
        if parent is None or parent not in level_of:
            continue  # a parent outside this table is allowed: it may be in the index this one merges into
        if LEVELS.index(level_of[parent]) != LEVELS.index(level) - 1:
            raise InvalidInput(
                f"areas row {row} ({area_id}): parent {parent!r} is a {level_of[parent]}, not the level above {level}"
            )
    return out


@cache
def _default_index() -> AreaIndex:
    data = resources.files("izquvar.geo").joinpath("data", _DATA_FILE)
    with resources.as_file(data) as path:
        return AreaIndex(pq.read_table(path))
