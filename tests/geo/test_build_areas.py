"""tools/build_areas.py against its sources in ../shared: reproducible, complete and faithful to them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pyarrow.parquet as pq
import pytest
import shapely
from shapely.geometry import shape

from izquvar.geo.areas import TASHKENT_CITY_ID, AreaIndex

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "src" / "izquvar" / "geo" / "data" / "areas.parquet"

pytestmark = pytest.mark.shared


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_areas", ROOT / "tools" / "build_areas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_areas"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def rebuilt(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("areas")
    assert _load_tool().main(["--shared", str(shared_dir), "--out", str(out)]) == 0
    return out / "areas.parquet"


def test_build_reproduces_the_shipped_file(rebuilt: Path) -> None:
    assert pq.read_table(rebuilt).equals(pq.read_table(SHIPPED))
    assert SHIPPED.stat().st_size < 2_000_000


def test_ids_and_names_come_from_the_dhp_code_system(shared_dir: Path) -> None:
    doc = json.loads((shared_dir / "data" / "uzbekistan" / "dhp-regions-cs.json").read_text(encoding="utf-8"))
    codes = {c["code"] for c in doc["concept"]}
    index = AreaIndex.default()
    for level in ("region", "district"):
        for area_id in index.ids(level):
            assert area_id in codes, f"{area_id} is not a DHP code"
            assert area_id.startswith(index.get(area_id).parent_id or "17")  # SOATO codes nest
    assert len(index.ids("district")) == 199  # every geoBoundaries ADM2 polygon matched a code


def test_regions_stay_within_simplification_distance_of_geoboundaries(shared_dir: Path) -> None:
    index = AreaIndex.default()
    path = shared_dir / "data" / "uzbekistan" / "geoBoundaries-UZB-ADM1.geojson"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    adm2 = json.loads(path.with_name("geoBoundaries-UZB-ADM2.geojson").read_text(encoding="utf-8"))["features"]
    shirin = next(shape(f["geometry"]) for f in adm2 if f["properties"]["shapeName"] == "Shirin city")
    tool = _load_tool()
    for feature in features:
        region = tool.ISO_TO_SOATO[feature["properties"]["shapeISO"]]
        source = shapely.make_valid(shape(feature["geometry"]))
        if region == "1724":  # Syrdarya gained Shirin, an ADM2 city outside every ADM1 outline
            source = source.union(shirin)
        shipped = index.geometry(region)
        # ~0.0011° ≈ 100 m: simplification tolerance (0.0007°) plus grid snapping and nesting.
        assert shapely.hausdorff_distance(source.boundary, shipped.boundary) < 0.0011, region


def test_tashkent_mahallas_have_roughly_real_density() -> None:
    index = AreaIndex.default()
    districts = index.ids("district", parent_id=TASHKENT_CITY_ID)
    counts = [len(index.ids("mahalla", parent_id=d)) for d in districts]
    assert sum(counts) == 580  # ~2.9 M people, ~5,000 per mahalla
    assert min(counts) >= 1
