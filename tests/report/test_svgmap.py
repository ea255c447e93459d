"""The SVG map: the frame fits what is drawn, the scale bar is true, visits to one spot share a tag."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
from trace_samples import sample_trace

from izquvar.geo.distance import haversine_m
from izquvar.report.svgmap import HEIGHT, MIN_EXTENT_M, WIDTH, Frame, render_map

SVG = "{http://www.w3.org/2000/svg}"


def test_frame_keeps_every_point_inside_with_a_margin() -> None:
    lats = np.array([41.2856, 41.3650, 41.3262])
    lons = np.array([69.2040, 69.2870, 69.2363])
    frame = Frame.around(lats, lons)
    x, y = frame.project(lats, lons)
    assert (x > 0.05 * WIDTH).all() and (x < 0.95 * WIDTH).all()
    assert (y > 0.05 * HEIGHT).all() and (y < 0.95 * HEIGHT).all()
    # north is up: the northernmost point has the smallest y
    assert int(np.argmin(y)) == int(np.argmax(lats))


def test_frame_pixels_are_true_to_distance() -> None:
    frame = Frame.around(np.array([41.28, 41.37]), np.array([69.20, 69.29]))
    x, y = frame.project([41.28, 41.37], [69.20, 69.29])
    metres = float(haversine_m(41.28, 69.20, 41.37, 69.29))
    assert abs(np.hypot(x[1] - x[0], y[1] - y[0]) / frame.scale - metres) / metres < 0.005


def test_a_single_point_gets_a_street_level_frame() -> None:
    frame = Frame.around(np.array([41.3]), np.array([69.25]))
    assert abs(frame.extent_m - MIN_EXTENT_M) < 1.0
    x, y = frame.project([41.3], [69.25])
    assert abs(x[0] - WIDTH / 2) < 0.01 and abs(y[0] - HEIGHT / 2) < 0.01


def test_map_content() -> None:
    result = sample_trace("uz-Latn")
    drawing = render_map(result, "uz-Latn", "Xarita")
    assert drawing.drawn and drawing.unplaced_encounters == 3
    root = ET.fromstring(drawing.svg)
    tags = [g for g in root.iter(f"{SVG}g") if g.get("class") == "place"]
    texts = {t.text for g in root.iter(f"{SVG}g") if g.get("class") == "place" for t in g.iter(f"{SVG}text")}
    # home (1, 4) and school (2, 5) were visited twice: one tag each, listing both visits
    assert {"1, 4", "2, 5", "3", "6", "7", "8", "9", "10"} == texts
    assert len(tags) == 8
    districts = {t.text for t in root.iter(f"{SVG}text") if t.get("class") == "label district"}
    assert "Yunusobod tumani" in districts
    # the case's own region (Tashkent city) is not labelled over its districts at city scale
    assert "Toshkent shahri" not in {t.text for t in root.iter(f"{SVG}text")}


def test_scale_bar_length_matches_its_label() -> None:
    drawing = render_map(sample_trace("en"), "en", "Map")
    bar = r'<g class="scale">.*?<path d="M([\d.]+),[\d.]+V[\d.]+H([\d.]+)V.*?<text[^>]*>([^<]+)</text>'
    match = re.search(bar, drawing.svg)
    assert match is not None
    pixels = float(match.group(2)) - float(match.group(1))
    value, unit = match.group(3).split()
    metres = float(value) * (1000 if unit == "km" else 1)
    lats = [p.lat for p in sample_trace().places]
    lons = [p.lon for p in sample_trace().places]
    contacts = sample_trace().contacts
    lats += [e.lat for c in contacts for e in c.evidence if e.lat is not None]
    lons += [e.lon for c in contacts for e in c.evidence if e.lon is not None]
    frame = Frame.around(np.array(lats), np.array(lons))
    assert abs(pixels - metres * frame.scale) < 0.2
