"""An inline SVG map of a trace: shipped boundaries, the case's path, numbered places, where contacts were met.

Drawn from the boundaries izquvar ships (no tiles, no web request), in the national transverse Mercator of
``izquvar.geo.distance`` so that a metre is a metre in every direction and the scale bar is true. The view is
the bounding box of everything drawn, with a margin and a minimum extent (a case seen in one building still
gets a street-level frame with its mahalla around it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from izquvar.geo.areas import AreaIndex, Level
from izquvar.geo.distance import from_metres, to_metres
from izquvar.i18n import Lang
from izquvar.report.labels import CLASS_COLOURS, CLASS_ORDER, class_label, clock, distance_label, place_label
from izquvar.trace.result import ContactClass, TraceResult

WIDTH = 960
HEIGHT = 620
#: Margin around the drawn points, as a share of their extent, and the smallest extent shown (metres).
MARGIN = 0.12
MIN_EXTENT_M = 1_500.0
#: Mahallas are drawn only when the view is city-scale; at country scale they are noise.
MAHALLA_MAX_EXTENT_M = 30_000.0
#: Up to this extent the region the case was in is left unlabelled (its districts say more).
OWN_REGION_LABEL_EXTENT_M = 150_000.0
#: An area is labelled only when its drawn part is at least this wide and tall (pixels).
LABEL_MIN_PX = {"region": 140.0, "district": 90.0, "mahalla": 70.0}
#: Label font sizes (pixels), as the report's CSS sets them, to keep long names inside the picture.
_LABEL_FONT_PX = {"region": 15.0, "district": 12.0, "mahalla": 9.0}
#: Encounters closer than this many pixels are drawn as one mark (with the count in its tooltip).
ENCOUNTER_MERGE_PX = 6.0
PLACE_MERGE_PX = 8.0
#: Visit numbers a place tag lists in full before it shortens to "first, second … last (count)".
MAX_TAG_NUMBERS = 4
_NICE_LENGTHS_M = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Frame:
    """Where the map looks: a metric box and the pixels per metre that fit it into WIDTH × HEIGHT."""

    x0: float
    y0: float
    scale: float

    @classmethod
    def around(cls, lats: FloatArray, lons: FloatArray) -> Frame:
        """The frame that shows every point with a margin, keeping the map's aspect ratio."""
        x, y = to_metres(lats, lons)
        cx, cy = (x.min() + x.max()) / 2, (y.min() + y.max()) / 2
        span_x = max((x.max() - x.min()) * (1 + 2 * MARGIN), MIN_EXTENT_M)
        span_y = max((y.max() - y.min()) * (1 + 2 * MARGIN), MIN_EXTENT_M * HEIGHT / WIDTH)
        scale = min(WIDTH / span_x, HEIGHT / span_y)
        return cls(cx - WIDTH / scale / 2, cy - HEIGHT / scale / 2, scale)

    @property
    def extent_m(self) -> float:
        return WIDTH / self.scale

    def project(self, lats: npt.ArrayLike, lons: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Pixel coordinates (y down) of points in degrees."""
        x, y = to_metres(lats, lons)
        return (x - self.x0) * self.scale, HEIGHT - (y - self.y0) * self.scale

    def lonlat_box(self) -> BaseGeometry:
        """The view in degrees, a little larger than the frame so clipped outlines leave the picture cleanly."""
        pad = 0.05 * WIDTH / self.scale
        xs = np.array([self.x0 - pad, self.x0 + WIDTH / self.scale + pad])
        ys = np.array([self.y0 - pad, self.y0 + HEIGHT / self.scale + pad])
        lat, lon = from_metres(np.repeat(xs, 2), np.tile(ys, 2))
        return shapely.box(lon.min(), lat.min(), lon.max(), lat.max())


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _path_data(geometry: BaseGeometry) -> str:
    """An SVG path ``d`` for polygons (holes included; even-odd fill keeps them open)."""
    parts: list[str] = []
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            coords = np.asarray(ring.coords)
            points = " ".join(f"{_fmt(px)},{_fmt(py)}" for px, py in coords[:-1])
            parts.append(f"M{points}Z")
    return "".join(parts)


Box = tuple[float, float, float, float]


def _overlaps(box: Box, placed: list[Box]) -> bool:
    return any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in placed)


def _label_box(x: float, y: float, label: str, font_px: float) -> Box:
    """Roughly where a centred label's text lies (0.6 em a character is generous for the system sans)."""
    half = 0.36 * font_px * len(label) + 4
    return (x - half, y - font_px, x + half, y + 0.35 * font_px)


def _areas_layer(
    frame: Frame, areas: AreaIndex, lang: Lang, points: BaseGeometry, placed: list[Box]
) -> tuple[list[str], list[str]]:
    """Outlines and labels of the regions, districts and (at city scale) mahallas in view.

    Below country scale the region the case was in is not labelled (its districts are, and the region's name
    would sit on top of them); neighbouring regions are, so the reader sees where the city ends. Labels are
    placed coarse to fine, larger areas first; one that would overlap the place tags or an earlier label
    (``placed``, extended here) is left out.
    """
    view = frame.lonlat_box()
    levels: list[Level] = ["region", "district"]
    if frame.extent_m <= MAHALLA_MAX_EXTENT_M:
        levels.append("mahalla")
    screen = shapely.box(0, 0, WIDTH, HEIGHT)
    shapes: list[str] = []
    candidates: list[tuple[int, float, str, str, float, float]] = []

    def to_pixels(coords: FloatArray) -> FloatArray:
        px, py = frame.project(coords[:, 1], coords[:, 0])
        return np.column_stack([px, py])

    for rank, level in enumerate(levels):
        geometries = areas.geometries(level)
        ids = list(geometries)
        shapes_ll = np.array([geometries[i] for i in ids], dtype=object)
        hits = shapely.intersects(shapes_ll, view)
        for area_id, shape in zip(np.array(ids)[hits], shapes_ll[hits], strict=True):
            drawn = shapely.transform(shapely.intersection(shape, view), to_pixels).simplify(0.4)
            if drawn.is_empty:
                continue
            shapes.append(f'<path class="area {level}" d="{_path_data(drawn)}"/>')
            if level == "region" and frame.extent_m <= OWN_REGION_LABEL_EXTENT_M and shape.intersects(points):
                continue
            visible = shapely.intersection(drawn, screen)
            if visible.is_empty:
                continue
            x_min, y_min, x_max, y_max = visible.bounds
            if x_max - x_min >= LABEL_MIN_PX[level] and y_max - y_min >= LABEL_MIN_PX[level] / 3:
                spot = visible.representative_point()
                name = areas.name(str(area_id), lang)
                candidates.append((rank, -visible.area, level, name, spot.x, spot.y))
    labels: list[str] = []
    for _, _, kind, name, x, y in sorted(candidates):
        font = _LABEL_FONT_PX[kind]
        half = 0.36 * font * len(name) + 4
        x = min(max(x, half), WIDTH - half)
        box = _label_box(x, y, name, font)
        if _overlaps(box, placed):
            continue
        placed.append(box)
        labels.append(f'<text class="label {kind}" x="{_fmt(x)}" y="{_fmt(y)}">{escape(name)}</text>')
    return shapes, labels


def _scale_bar(frame: Frame, lang: Lang) -> str:
    """A bar of a round length, about a sixth of the map wide, bottom left."""
    target = frame.extent_m / 6
    length = max((n for n in _NICE_LENGTHS_M if n <= target), default=_NICE_LENGTHS_M[0])
    px = length * frame.scale
    x, y = 16.0, HEIGHT - 18.0
    return (
        f'<g class="scale"><rect x="{x - 6}" y="{y - 22}" width="{_fmt(px + 12)}" height="30" rx="3"/>'
        f'<path d="M{x},{y - 6}V{y}H{_fmt(x + px)}V{y - 6}"/>'
        f'<text x="{_fmt(x + px / 2)}" y="{y - 9}">{escape(distance_label(length, lang))}</text></g>'
    )


def _visit_numbers(numbers: list[int]) -> str:
    """A tag's text: "1, 4" for a few visits; "1, 13 … 58 (25)" for a home seen every night (tooltip has all)."""
    if len(numbers) <= MAX_TAG_NUMBERS:
        return ", ".join(map(str, numbers))
    return f"{numbers[0]}, {numbers[1]} … {numbers[-1]} ({len(numbers)})"


def _tag_position(x: float, y: float, width: float, placed: list[Box]) -> tuple[float, float]:
    """Top-left of a place tag: up and right of its dot if free, else the first free spot around it."""
    spots = [
        (x + dx if dx > 0 else x + dx - width, y + dy)
        for dy in (-30.0, 10.0, -54.0, 34.0, -78.0, 58.0)
        for dx in (12.0, -12.0)
    ]
    inside = [(tx, ty) for tx, ty in spots if tx >= 0 and tx + width <= WIDTH and ty >= 0 and ty + 20 <= HEIGHT]
    for tx, ty in inside:
        if not _overlaps((tx, ty, tx + width, ty + 20), placed):
            return tx, ty
    return inside[0] if inside else spots[0]


def _places_layer(result: TraceResult, frame: Frame, lang: Lang, placed: list[Box]) -> tuple[str, list[str], list[str]]:
    """The path, a dot per location and a numbered tag beside it (visits to the same spot share one tag).

    The tag sits beside its dot on a short leader, so that it never hides the contacts met at that very spot,
    and where it overlaps no other tag (each tag's box is added to ``placed``).
    """
    ordered = sorted(result.places, key=lambda place: place.start)
    if not ordered:
        return "", [], []
    px, py = frame.project([p.lat for p in ordered], [p.lon for p in ordered])
    points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in zip(px, py, strict=True))
    path = f'<polyline class="path" points="{points}"/>' if len(ordered) > 1 else ""
    groups: dict[tuple[int, int], list[int]] = {}
    for k, (x, y) in enumerate(zip(px, py, strict=True)):
        groups.setdefault((round(x / PLACE_MERGE_PX), round(y / PLACE_MERGE_PX)), []).append(k)
    dots, tags = [], []
    for members in groups.values():
        x, y = float(px[members[0]]), float(py[members[0]])
        number = _visit_numbers([k + 1 for k in members])
        tooltip = "\n".join(
            f"{k + 1}. {place_label(ordered[k], lang)} · {clock(ordered[k].start)}–{clock(ordered[k].end)}"
            for k in members
        )
        width = 10 + 7 * len(number)
        tx, ty = _tag_position(x, y, width, placed)
        placed.append((tx, ty, tx + width, ty + 20))
        dots.append(f'<circle class="stop" cx="{_fmt(x)}" cy="{_fmt(y)}" r="4"/>')
        tags.append(
            f'<g class="place" data-places="{len(members)}"><title>{escape(tooltip)}</title>'
            f'<line x1="{_fmt(x)}" y1="{_fmt(y)}" x2="{_fmt(tx + width / 2)}" y2="{_fmt(ty + 10)}"/>'
            f'<rect x="{_fmt(tx)}" y="{_fmt(ty)}" width="{width}" height="20" rx="10"/>'
            f'<text x="{_fmt(tx + width / 2)}" y="{_fmt(ty + 14.5)}">{escape(number)}</text></g>'
        )
    return path, dots, tags


def _encounters_layer(result: TraceResult, frame: Frame, lang: Lang) -> list[str]:
    """Where contacts were met: per spot, one dot per class side by side (close first), sized by head count."""
    located = [
        (contact.klass, contact.person, e.lat, e.lon)
        for contact in result.contacts
        for e in contact.evidence
        if e.lat is not None and e.lon is not None
    ]
    if not located:
        return []
    px, py = frame.project([row[2] for row in located], [row[3] for row in located])
    spots: dict[tuple[int, int], dict[ContactClass, list[int]]] = {}
    for k, (klass, *_rest) in enumerate(located):
        key = (round(px[k] / ENCOUNTER_MERGE_PX), round(py[k] / ENCOUNTER_MERGE_PX))
        spots.setdefault(key, {}).setdefault(klass, []).append(k)
    dots = []
    for by_class in spots.values():
        members_all = [k for members in by_class.values() for k in members]
        cx, cy = float(np.mean(px[members_all])), float(np.mean(py[members_all]))
        present = [klass for klass in reversed(CLASS_ORDER) if klass in by_class]
        radii = [5.0 + 2.0 * math.sqrt(len({located[k][1] for k in by_class[klass]}) - 1) for klass in present]
        x = cx - (sum(radii) * 2 + (len(radii) - 1)) / 2
        for klass, radius in zip(present, radii, strict=True):
            people = sorted({located[k][1] for k in by_class[klass]})
            tooltip = f"{class_label(klass, lang)} ({len(people)}): " + ", ".join(people)
            dots.append(
                f'<circle class="encounter {klass}" data-class="{klass}" data-people="{len(people)}" '
                f'cx="{_fmt(x + radius)}" cy="{_fmt(cy)}" r="{_fmt(radius)}" fill="{CLASS_COLOURS[klass]}">'
                f"<title>{escape(tooltip)}</title></circle>"
            )
            x += 2 * radius + 1
    return dots


@dataclass(frozen=True)
class MapDrawing:
    """The SVG and what it could not show (encounters without coordinates)."""

    svg: str
    unplaced_encounters: int
    drawn: bool


def render_map(result: TraceResult, lang: Lang, title: str, areas: AreaIndex | None = None) -> MapDrawing:
    """The map as one ``<svg>`` element, or ``drawn=False`` when there is nothing with coordinates."""
    lats = [p.lat for p in result.places] + [
        e.lat for c in result.contacts for e in c.evidence if e.lat is not None and e.lon is not None
    ]
    lons = [p.lon for p in result.places] + [
        e.lon for c in result.contacts for e in c.evidence if e.lat is not None and e.lon is not None
    ]
    unplaced = sum(e.lat is None or e.lon is None for c in result.contacts for e in c.evidence)
    if not lats:
        return MapDrawing("", unplaced, drawn=False)
    frame = Frame.around(np.asarray(lats, dtype=np.float64), np.asarray(lons, dtype=np.float64))
    points = shapely.multipoints(np.column_stack([lons, lats]))
    taken: list[Box] = []
    path, stops, tags = _places_layer(result, frame, lang, taken)
    shapes, labels = _areas_layer(frame, areas or AreaIndex.default(), lang, points, taken)
    dots = _encounters_layer(result, frame, lang)
    svg = (
        f'<svg id="map" class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<rect class="sea" width="{WIDTH}" height="{HEIGHT}"/>'
        f'<g class="areas">{"".join(shapes)}</g><g class="labels">{"".join(labels)}</g>'
        f'<g class="route">{path}{"".join(stops)}</g><g class="encounters">{"".join(dots)}</g>'
        f'<g class="places">{"".join(tags)}</g>{_scale_bar(frame, lang)}</svg>'
    )
    return MapDrawing(svg, unplaced, drawn=True)
