"""The shipped area hierarchy and AreaIndex: lookup, names, merging ingested areas, validation."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely

from izquvar.errors import InvalidInput, NotFound
from izquvar.formats import AREAS
from izquvar.geo.areas import LEVELS, TASHKENT_CITY_ID, AreaIndex

CHILONZOR = "1726294"


@pytest.fixture(scope="module")
def index() -> AreaIndex:
    return AreaIndex.default()


def _strtree_ids(index: AreaIndex, level: str, lat: np.ndarray, lon: np.ndarray) -> list[str | None]:
    geoms = index.geometries(level)  # type: ignore[arg-type]
    ids = list(geoms)
    tree = shapely.STRtree(list(geoms.values()))
    point_idx, area_idx = tree.query(shapely.points(lon, lat), predicate="within")
    found: list[str | None] = [None] * len(lat)
    for p, a in sorted(zip(point_idx, area_idx, strict=True), reverse=True):
        found[p] = ids[a]
    return found


def test_shipped_hierarchy_has_every_level(index: AreaIndex) -> None:
    assert len(index.ids("region")) == 14
    assert len(index.ids("district")) >= 190
    assert TASHKENT_CITY_ID in index.ids("region")
    city_districts = index.geometries("district", parent_id=TASHKENT_CITY_ID)
    assert CHILONZOR in city_districts
    assert len(city_districts) >= 11
    mahallas = index.ids("mahalla")
    assert 500 <= len(mahallas) <= 700
    for mahalla in mahallas:
        area = index.get(mahalla)
        assert area.synthetic
        assert index.get(area.parent_id or "").parent_id == TASHKENT_CITY_ID
    assert not index.get(CHILONZOR).synthetic


def test_every_area_locates_back_to_itself_and_its_ancestors(index: AreaIndex) -> None:
    ids = index.ids("district") + index.ids("mahalla")
    points = shapely.point_on_surface([index.geometry(i) for i in ids])
    xy = shapely.get_coordinates(points)
    located = index.locate(xy[:, 1], xy[:, 0]).to_pylist()
    for area_id, row in zip(ids, located, strict=True):
        area = index.get(area_id)
        assert row[f"{area.level}_id"] == area_id
        parent = index.get(area.parent_id or "")
        assert row[f"{parent.level}_id"] == parent.area_id


def test_point_outside_uzbekistan_is_null(index: AreaIndex) -> None:
    # Almaty (Kazakhstan), Bishkek (Kyrgyzstan), Dushanbe (Tajikistan), and the middle of the Aral Sea bed's
    # Kazakh side; then the Chilonzor metro station.
    table = index.locate([43.2389, 42.8746, 38.5598, 46.5, 41.2746], [76.8897, 74.5698, 68.7870, 61.0, 69.2040])
    assert table.schema == pa.schema(
        [("region_id", pa.string()), ("district_id", pa.string()), ("mahalla_id", pa.string())]
    )
    rows = table.to_pylist()
    for row in rows[:4]:
        assert row == {"region_id": None, "district_id": None, "mahalla_id": None}
    assert rows[4]["region_id"] == TASHKENT_CITY_ID
    assert rows[4]["district_id"] is not None
    assert rows[4]["mahalla_id"] is not None


def test_locate_agrees_with_a_plain_rtree(index: AreaIndex) -> None:
    rng = np.random.default_rng(11)
    minx, miny, maxx, maxy = index.geometry(TASHKENT_CITY_ID).bounds
    lat = np.concatenate([rng.uniform(miny, maxy, 20_000), rng.uniform(37.0, 46.0, 5_000)])
    lon = np.concatenate([rng.uniform(minx, maxx, 20_000), rng.uniform(55.5, 73.5, 5_000)])
    located = index.locate(lat, lon)
    for level in LEVELS:
        assert located.column(f"{level}_id").to_pylist() == _strtree_ids(index, level, lat, lon)


def test_locate_handles_empty_and_mismatched_input(index: AreaIndex) -> None:
    assert index.locate(np.array([]), np.array([])).num_rows == 0
    with pytest.raises(InvalidInput, match="lat has 2 values but lon has 1"):
        index.locate([41.3, 41.2], [69.2])


def test_names_in_four_languages(index: AreaIndex) -> None:
    assert index.name(TASHKENT_CITY_ID) == "Toshkent shahri"
    assert index.name(TASHKENT_CITY_ID, "uz-Cyrl") == "Тошкент шаҳри"
    assert index.name(TASHKENT_CITY_ID, "ru") == "город Ташкент"
    assert index.name(TASHKENT_CITY_ID, "en") == "Tashkent city"
    assert index.name(CHILONZOR) == "Chilonzor tumani"
    assert index.name(CHILONZOR, "uz-Cyrl") == "Чилонзор тумани"
    assert index.name(CHILONZOR, "ru") == "Чиланзарский район"
    assert index.name(CHILONZOR, "en") == "Chilanzar District"
    mahalla = index.ids("mahalla", parent_id=CHILONZOR)[11]
    assert index.name(mahalla) == "Chilonzor 12-mahalla"
    assert index.name(mahalla, "uz-Cyrl") == "Чилонзор 12-маҳалла"
    assert index.name(mahalla, "ru") == "махалля № 12 (Чиланзарский район)"
    assert index.name(mahalla, "en") == "Chilanzar mahalla 12"
    assert index.name("1730", "uz-Latn") == "Fargʻona viloyati"  # the official ʻ, not an ASCII apostrophe


def test_unknown_area_and_language(index: AreaIndex) -> None:
    with pytest.raises(NotFound):
        index.get("1799")
    with pytest.raises(NotFound):
        index.geometries("district", parent_id="1799")
    with pytest.raises(InvalidInput, match="unknown language"):
        index.name(TASHKENT_CITY_ID, "de")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="unknown area level"):
        index.geometries("street")  # type: ignore[arg-type]


def _areas_table(rows: list[dict[str, object]]) -> pa.Table:
    columns = {c.name: [r.get(c.name) for r in rows] for c in AREAS.columns}
    return pa.table(columns, schema=AREAS.arrow_schema())


def _square(lon: float, lat: float, size: float) -> str:
    return shapely.box(lon, lat, lon + size, lat + size).wkt


def test_merged_replaces_by_id_and_falls_back_for_names(index: AreaIndex) -> None:
    chilonzor = index.geometry(CHILONZOR)
    real = [
        {
            "area_id": f"{CHILONZOR}-REAL{k}",
            "level": "mahalla",
            "parent_id": CHILONZOR,
            "name_uz_latn": name,
            "geometry_wkt": half.wkt,
        }
        for k, (name, half) in enumerate(
            zip(
                ["Katta Qozirabot", "Qatortol"],
                [shapely.clip_by_rect(chilonzor, -180, -90, chilonzor.centroid.x, 90),
                 shapely.clip_by_rect(chilonzor, chilonzor.centroid.x, -90, 180, 90)],
                strict=True,
            )
        )
    ]  # fmt: skip
    renamed = {
        "area_id": CHILONZOR,
        "level": "district",
        "parent_id": TASHKENT_CITY_ID,
        "name_uz_latn": "Chilonzor tumani",
        "name_ru": "Чиланзарский район города Ташкента",
        "geometry_wkt": chilonzor.wkt,
    }
    merged = index.merged(AreaIndex.from_table(_areas_table([renamed, *real])))
    assert len(merged) == len(index) + 2
    assert merged.name(CHILONZOR, "ru") == "Чиланзарский район города Ташкента"
    assert merged.name(CHILONZOR, "en") == "Chilonzor tumani"  # en not given: falls back to Uzbek Latin
    assert merged.name(f"{CHILONZOR}-REAL0", "uz-Cyrl") == "Катта Қозиработ"  # transliterated
    assert not merged.get(f"{CHILONZOR}-REAL0").synthetic
    assert merged.table().schema.names == [c.name for c in AREAS.columns]
    point = shapely.get_coordinates(shapely.point_on_surface(shapely.from_wkt(real[0]["geometry_wkt"])))[0]
    row = merged.locate([point[1]], [point[0]]).to_pylist()[0]
    assert row["district_id"] == CHILONZOR
    # Real and synthetic mahallas now overlap in Chilonzor: the real one wins.
    assert row["mahalla_id"] == f"{CHILONZOR}-REAL0"
    assert any(
        merged.get(i).synthetic and merged.geometry(i).intersects(shapely.Point(point))
        for i in merged.ids("mahalla", CHILONZOR)
    )
    assert index.name(CHILONZOR, "ru") == "Чиланзарский район"  # the original index is unchanged


def test_round_trip_through_the_areas_table(index: AreaIndex) -> None:
    again = AreaIndex.from_table(index.table(include_synthetic=True))
    assert again.ids("mahalla") == index.ids("mahalla")
    assert again.get("1726294-M001") == index.get("1726294-M001")


def test_orphan_areas_are_still_located() -> None:
    orphan = AreaIndex.from_table(
        _areas_table(
            [
                {
                    "area_id": "X1",
                    "level": "district",
                    "name_uz_latn": "Sinov",
                    "geometry_wkt": _square(60, 40, 1),
                }
            ]
        )
    )
    rows = orphan.locate([40.5, 39.5], [60.5, 60.5]).to_pylist()
    assert rows[0] == {"region_id": None, "district_id": "X1", "mahalla_id": None}
    assert rows[1]["district_id"] is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"level": "village"}, "level 'village'"),
        ({"geometry_wkt": "POINT (60 40)"}, "must be a non-empty"),
        ({"geometry_wkt": "POLYGON ((60 40, 61"}, "not valid WKT"),
        ({"name_uz_latn": ""}, "name_uz_latn is empty"),
        ({"area_id": "R1", "parent_id": "R1"}, "not the level above"),
    ],
)
def test_bad_rows_are_rejected_with_row_and_field(row: dict[str, object], message: str) -> None:
    good = {"area_id": "R1", "level": "region", "name_uz_latn": "Sinov", "geometry_wkt": _square(60, 40, 1)}
    with pytest.raises(InvalidInput, match=message) as info:
        AreaIndex.from_table(_areas_table([{**good, **row}]))
    assert "row 0" in str(info.value)


def test_duplicate_ids_and_missing_columns_are_rejected() -> None:
    row = {"area_id": "R1", "level": "region", "name_uz_latn": "Sinov", "geometry_wkt": _square(60, 40, 1)}
    with pytest.raises(InvalidInput, match="appears twice"):
        AreaIndex.from_table(_areas_table([row, row]))
    with pytest.raises(InvalidInput, match="required column 'geometry_wkt'"):
        AreaIndex.from_table(pa.table({"area_id": ["R1"], "level": ["region"], "name_uz_latn": ["Sinov"]}))


def test_default_is_loaded_once() -> None:
    assert AreaIndex.default() is AreaIndex.default()
