"""Build the area hierarchy shipped in src/izquvar/geo/data/ from the sources in ../shared/data/uzbekistan.

    python tools/build_areas.py [--shared ../shared] [--out src/izquvar/geo/data]

Shapes: geoBoundaries ADM1 (regions) and ADM2 (districts), CC BY 3.0 IGO. Codes and names: the national
Digital Health Platform's FHIR CodeSystem (SOATO codes; Uzbek Latin, Russian, English), CC BY 4.0. Uzbek
Cyrillic is transliterated from the Uzbek Latin name (izquvar.geo.transliterate), not copied from a source.

Steps, and why:
1. Regions are simplified (~60 m) and snapped to a 1e-5° grid: small enough to ship, exact enough for a
   district-level answer.
2. Each ADM2 polygon is matched to a DHP district/city code by a transliteration-folded fuzzy name match
   among the regions it overlaps (the spatial check); geoBoundaries' ADM2 is an older, coarser vintage than
   its ADM1, so a district may overlap two regions. Unmatched polygons keep a ``GB-<shapeID>`` id and
   their English name.
3. Districts are clipped to their parent region and what is left of the region is given to the nearest
   district (Voronoi of district boundaries), so the districts tile each region: every point in a region has
   a district.
4. Tashkent city's districts are cut into synthetic mahallas (izquvar.geo.subdivide), ~580 in all, in
   proportion to district area, each flagged ``synthetic``.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import json
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from izquvar.geo.areas import LEVELS
from izquvar.geo.subdivide import GRID_DEG, polygonal_part, subdivide
from izquvar.geo.transliterate import OKINA, latin_to_cyrillic, normalise_latin

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SIMPLIFY_DEG = 0.0007  # ~60 m east-west and ~78 m north-south at 41° N
TASHKENT_CITY = "1726"
TASHKENT_MAHALLAS = 580  # ~2.9 M people; about 5,000 per mahalla
MIN_OVERLAP = 0.03  # a region counts as a candidate parent when it holds 3 % of the ADM2 polygon
MIN_SCORE = 0.6

#: ISO 3166-2 code → SOATO region code (both are public identifiers of the same 14 units).
ISO_TO_SOATO = {
    "UZ-AN": "1703", "UZ-BU": "1706", "UZ-JI": "1708", "UZ-QA": "1710", "UZ-NW": "1712", "UZ-NG": "1714",
    "UZ-SA": "1718", "UZ-SU": "1722", "UZ-SI": "1724", "UZ-TK": "1726", "UZ-TO": "1727", "UZ-FA": "1730",
    "UZ-XO": "1733", "UZ-QR": "1735",
}  # fmt: skip

_CYR_HOMOGLYPHS = str.maketrans("аеорсухАВЕКМНОРСТХ", "aeopcyxABEKMHOPCTX")
_LAT_HOMOGLYPHS = str.maketrans("aeopcyxABEKMHOPCTX", "аеорсухАВЕКМНОРСТХ")
_GROUP_HEADER = re.compile(r"tumanlari|shaharlari|shaharlar\b|ahamiyatiga", re.IGNORECASE)


@dataclass
class Area:
    area_id: str
    level: str
    parent_id: str | None
    name_uz_latn: str
    name_uz_cyrl: str | None
    name_ru: str | None
    name_en: str | None
    geometry: BaseGeometry
    synthetic: bool = False
    source: str = ""


@dataclass(frozen=True)
class Concept:
    """A DHP code with its names, parentheticals ("(Markaz - ...)") and script mix-ups removed."""

    code: str
    uz: str
    ru: str
    en: str
    is_city: bool


def _fix_script(text: str) -> str:
    """Replace look-alike letters of the other script inside a word (the sources mix them: "Каpаулбазаp")."""
    words = []
    for word in text.split(" "):
        cyrillic = sum("\u0400" <= c <= "\u04ff" for c in word)
        latin = sum(c.isascii() and c.isalpha() for c in word)
        words.append(word.translate(_LAT_HOMOGLYPHS) if cyrillic > latin else word.translate(_CYR_HOMOGLYPHS))
    return " ".join(words)


def _clean(text: str) -> str:
    text = re.sub(r"\s*\(.*$", "", text)  # "(Markaz - ...)" / "(Центр - ...)", sometimes unclosed
    text = re.sub(r"(?<=tumani)м|(?<=район)м", "", text)  # stray Cyrillic letters in the source
    return " ".join(_fix_script(text).split())


def load_concepts(path: Path) -> dict[str, Concept]:
    """Regions (17RR) and districts/cities (17RRDDD) of the DHP CodeSystem, without the group headers."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Concept] = {}
    for c in doc["concept"]:
        code = c["code"]
        if len(code) not in (4, 7) or _GROUP_HEADER.search(c["display"]):
            continue
        names = {d["language"]: d["value"] for d in c.get("designation", [])}
        uz = normalise_latin(_clean(c["display"]))
        out[code] = Concept(
            code, uz, _clean(names.get("ru", "")), _clean(names.get("en", "")),
            is_city=len(code) == 7 and "tumani" not in uz,
        )  # fmt: skip
    return out


def _district_names(concept: Concept) -> tuple[str, str | None, str | None, str | None]:
    """Uzbek Latin, Uzbek Cyrillic, Russian and English names; cities get "shahri" / "город" / "city"."""
    if not concept.is_city:
        return concept.uz, latin_to_cyrillic(concept.uz), concept.ru or None, _title_district(concept.en)
    uz = f"{concept.uz} shahri"
    return uz, latin_to_cyrillic(uz), f"город {concept.ru}" if concept.ru else None, f"{concept.en} city"


def _title_district(en: str) -> str | None:
    return re.sub(r"\bdistrict\b", "District", en) if en else None


def match_key(name: str) -> str:
    """A spelling-insensitive key: Russian-style and Uzbek-style romanisations of one name agree."""
    s = normalise_latin(name).translate(_CYR_HOMOGLYPHS).lower()
    s = re.sub(r"\b(city|district|region|tumani|shahri|viloyati)\b", " ", s)
    s = s.replace("o" + OKINA, "u").replace("g" + OKINA, "g")
    for a, b in (("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "x"), ("h", "x"), ("q", "k"), ("o", "a"),
                 ("e", "a"), ("y", "i"), ("w", "v")):  # fmt: skip
        s = s.replace(a, b)
    s = re.sub(r"[^a-z]", "", s)
    return re.sub(r"(.)\1+", r"\1", s)


def _score(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, match_key(a), match_key(b)).ratio()


def _load_features(path: Path) -> list[tuple[dict[str, str], BaseGeometry]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return [(f["properties"], shapely.make_valid(shape(f["geometry"]))) for f in doc["features"]]


def _snap(geom: BaseGeometry) -> BaseGeometry:
    return polygonal_part(shapely.make_valid(shapely.set_precision(geom, GRID_DEG)))


def build_regions(adm1: Path, concepts: dict[str, Concept]) -> list[Area]:
    regions = []
    for props, geom in _load_features(adm1):
        code = ISO_TO_SOATO[props["shapeISO"]]
        c = concepts[code]
        simplified = _snap(shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True))
        regions.append(
            Area(
                code,
                "region",
                None,
                c.uz,
                latin_to_cyrillic(c.uz),
                c.ru,
                c.en,
                simplified,
                source="geoBoundaries ADM1; names DHP",
            )
        )
    return regions


def match_districts(
    adm2: list[tuple[dict[str, str], BaseGeometry]],
    regions: list[Area],
    concepts: dict[str, Concept],
    aliases: dict[str, list[str]],
    report: list[str],
) -> tuple[dict[int, str], dict[int, str]]:
    """ADM2 feature index → DHP code, and → parent region code; greedy on (name score, overlap).

    ``aliases`` are other names of a code (former names from the SOATO lists: "Boʻz tumani" before it became
    "Boʻston tumani"); they only help matching and are not shipped.
    """
    region_geoms = {r.area_id: r.geometry for r in regions}
    options: list[tuple[float, float, int, str]] = []
    parent_guess: dict[int, str] = {}
    for i, (props, geom) in enumerate(adm2):
        overlaps = {rid: shapely.intersection(geom, g).area / geom.area for rid, g in region_geoms.items()}
        candidates = [rid for rid, share in overlaps.items() if share >= MIN_OVERLAP]
        if not candidates:  # outside every region outline (an exclave the coarse ADM1 missed): the nearest one
            candidates = [min(region_geoms, key=lambda rid: region_geoms[rid].distance(geom))]
            overlaps[candidates[0]] = 0.0
        parent_guess[i] = max(candidates, key=lambda rid: overlaps[rid])
        name = props["shapeName"]
        is_city = name.lower().endswith(" city")
        for code, c in concepts.items():
            if len(code) != 7 or code[:4] not in candidates or c.is_city != is_city:
                continue
            score = max(_score(name, variant) for variant in (c.uz, c.en, *aliases.get(code, ())))
            if score >= MIN_SCORE:
                options.append((score, overlaps[code[:4]], i, code))
    matched: dict[int, str] = {}
    for *_rank, i, code in sorted(options, reverse=True):
        if i not in matched and code not in matched.values():
            matched[i] = code
    for i, code in sorted(matched.items()):
        report.append(f"matched {adm2[i][0]['shapeName']!r} -> {code} {concepts[code].uz}")
    parents = {i: matched[i][:4] if i in matched else parent_guess[i] for i in range(len(adm2))}
    return matched, parents


def _allocate_gaps(region: BaseGeometry, parts: dict[str, BaseGeometry]) -> dict[str, BaseGeometry]:
    """Give the region's area not covered by any district to the nearest district, so districts tile it."""
    covered = shapely.union_all(list(parts.values()), grid_size=GRID_DEG)
    gap = polygonal_part(shapely.difference(region, covered, grid_size=GRID_DEG))
    if gap.is_empty or gap.area < 1e-10:
        return parts
    ids = list(parts)
    points, owners = [], []
    for k, area_id in enumerate(ids):
        boundary = shapely.segmentize(shapely.boundary(parts[area_id]), 0.002)
        xy = shapely.get_coordinates(boundary)
        points.append(xy)
        owners.append(np.full(len(xy), k))
    xy = np.concatenate(points)
    owner = np.concatenate(owners)
    xy, first = np.unique(xy, axis=0, return_index=True)
    owner = owner[first]
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=region.envelope, ordered=True)
    )
    out = dict(parts)
    for k, area_id in enumerate(ids):
        mine = shapely.union_all(cells[owner == k])
        extra = polygonal_part(shapely.intersection(gap, mine, grid_size=GRID_DEG))
        if not extra.is_empty:
            out[area_id] = shapely.union(out[area_id], extra, grid_size=GRID_DEG)
    return out


def load_aliases(soato_districts: Path) -> dict[str, list[str]]:
    """Names by SOATO code from the SOATO district list (may be older names than the DHP's)."""
    with soato_districts.open(encoding="utf-8-sig", newline="") as f:
        return {row["soato_id"]: [row["name_uz"]] for row in csv.DictReader(f)}


def build_districts(
    adm2_path: Path,
    regions: list[Area],
    concepts: dict[str, Concept],
    aliases: dict[str, list[str]],
    report: list[str],
) -> list[Area]:
    adm2 = _load_features(adm2_path)
    adm2 = [(p, _snap(shapely.simplify(g, SIMPLIFY_DEG, preserve_topology=True))) for p, g in adm2]
    matched, parents = match_districts(adm2, regions, concepts, aliases, report)
    districts: list[Area] = []
    for region in regions:
        parts: dict[str, BaseGeometry] = {}
        meta: dict[str, tuple[str, str | None, str | None, str | None, str]] = {}
        members = sorted((i for i in parents if parents[i] == region.area_id), key=lambda i: matched.get(i, "~"))
        taken = shapely.Polygon()
        for i in members:
            props, geom = adm2[i]
            if not shapely.intersects(geom, region.geometry):  # an exclave the ADM1 outline lacks: add it
                report.append(f"{props['shapeName']} lies outside every ADM1 outline: added to {region.name_en}")
                region.geometry = _snap(shapely.union(region.geometry, geom, grid_size=GRID_DEG))
            area_id = matched.get(i, f"GB-{props['shapeID']}")
            inside = polygonal_part(shapely.intersection(geom, region.geometry, grid_size=GRID_DEG))
            clipped = polygonal_part(shapely.difference(inside, taken, grid_size=GRID_DEG))
            if clipped.is_empty:
                report.append(f"dropped {props['shapeName']}: nothing of it lies in {region.name_en}")
                continue
            taken = shapely.union(taken, clipped, grid_size=GRID_DEG)
            parts[area_id] = clipped
            if i in matched:
                meta[area_id] = (*_district_names(concepts[matched[i]]), "geoBoundaries ADM2; names DHP")
            else:
                name = props["shapeName"]
                meta[area_id] = (name, None, None, name, "geoBoundaries ADM2 (no SOATO match)")
                report.append(f"unmatched ADM2 polygon {name!r} ({props['shapeID']}) kept as {area_id}")
        for area_id, geom in _allocate_gaps(region.geometry, parts).items():
            uz, cyrl, ru, en, source = meta[area_id]
            districts.append(Area(area_id, "district", region.area_id, uz, cyrl, ru, en, _snap(geom),
                                  source=source))  # fmt: skip
    used = {d.area_id for d in districts}
    for code, c in sorted(concepts.items()):
        if len(code) == 7 and code not in used:
            report.append(f"no geoBoundaries polygon for {code} {c.uz} ({c.en}): not shipped")
    return districts


def _mahalla_counts(districts: list[Area], total: int) -> dict[str, int]:
    """Mahallas per district in proportion to area, largest remainder so they sum to ``total``."""
    areas = np.array([d.geometry.area for d in districts])
    exact = total * areas / areas.sum()
    counts = np.maximum(1, np.floor(exact)).astype(int)
    for k in np.argsort(-(exact - np.floor(exact)))[: max(0, total - int(counts.sum()))]:
        counts[k] += 1
    return {d.area_id: int(n) for d, n in zip(districts, counts, strict=True)}


def _short(name: str | None, suffix: str) -> str | None:
    return None if name is None else re.sub(rf"\s*{suffix}$", "", name, flags=re.IGNORECASE)


def build_mahallas(districts: list[Area]) -> list[Area]:
    city = [d for d in districts if d.parent_id == TASHKENT_CITY]
    counts = _mahalla_counts(city, TASHKENT_MAHALLAS)
    out = []
    for d in city:
        uz, cyrl, en = (
            _short(d.name_uz_latn, "tumani"),
            _short(d.name_uz_cyrl, "тумани"),
            _short(d.name_en, "district"),
        )
        for k, cell in enumerate(subdivide(d.geometry, counts[d.area_id], seed=zlib.crc32(d.area_id.encode())), 1):
            out.append(Area(
                f"{d.area_id}-M{k:03d}", "mahalla", d.area_id, f"{uz} {k}-mahalla",
                f"{cyrl} {k}-маҳалла" if cyrl else latin_to_cyrillic(f"{uz} {k}-mahalla"),
                f"махалля № {k} ({d.name_ru})" if d.name_ru else None, f"{en} mahalla {k}" if en else None,
                cell, synthetic=True, source="synthetic: Voronoi subdivision of the district",
            ))  # fmt: skip
    return out


def _exact_polygons(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon") and g.area > 0]
    return shapely.union_all(parts)


def nest(areas: list[Area]) -> list[Area]:
    """Cut each area to its parent and away from its earlier siblings, so each level tiles without overlap.

    Snapping to the 1e-5° grid leaves slivers (centimetres wide) where a child pokes out of its parent or two
    siblings overlap; cutting them with exact (unsnapped) overlay, and writing coordinates unrounded, makes
    "the district of a point's mahalla" always its district.
    """
    # A WKB round trip drops the fixed precision model set_precision attached: it would snap every overlay.
    for area in areas:
        area.geometry = shapely.from_wkb(shapely.to_wkb(area.geometry))
    by_id = {a.area_id: a for a in areas}
    taken: dict[str | None, BaseGeometry] = {}
    for area in sorted(areas, key=lambda a: (LEVELS.index(a.level), a.area_id)):
        geom = area.geometry
        if area.parent_id is not None:
            geom = _exact_polygons(shapely.intersection(geom, by_id[area.parent_id].geometry))
        previous = taken.get(area.parent_id)
        if previous is not None:
            geom = _exact_polygons(shapely.difference(geom, previous))
            taken[area.parent_id] = shapely.union(previous, geom)
        else:
            taken[area.parent_id] = geom
        area.geometry = geom
    return areas


def write(areas: list[Area], out_dir: Path) -> Path:
    table = pa.table(
        {
            "area_id": [a.area_id for a in areas],
            "level": [a.level for a in areas],
            "parent_id": [a.parent_id for a in areas],
            "name_uz_latn": [a.name_uz_latn for a in areas],
            "name_uz_cyrl": [a.name_uz_cyrl for a in areas],
            "name_ru": [a.name_ru for a in areas],
            "name_en": [a.name_en for a in areas],
            "geometry_wkt": [shapely.to_wkt(a.geometry, rounding_precision=-1, trim=True) for a in areas],
            "synthetic": [a.synthetic for a in areas],
            "source": [a.source for a in areas],
        }
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "areas.parquet"
    pq.write_table(table, path, compression="zstd", compression_level=19)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=PROJECT_ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "src" / "izquvar" / "geo" / "data")
    args = parser.parse_args(argv)
    src = args.shared / "data" / "uzbekistan"
    concepts = load_concepts(src / "dhp-regions-cs.json")
    report: list[str] = []
    regions = build_regions(src / "geoBoundaries-UZB-ADM1.geojson", concepts)
    aliases = load_aliases(src / "soato-districts.csv")
    districts = build_districts(src / "geoBoundaries-UZB-ADM2.geojson", regions, concepts, aliases, report)
    mahallas = build_mahallas(districts)
    path = write(nest(regions + districts + mahallas), args.out)
    print(f"{len(regions)} regions, {len(districts)} districts, {len(mahallas)} synthetic mahallas → "
          f"{path.name} ({path.stat().st_size / 1e6:.2f} MB)")  # fmt: skip
    for line in report:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
