"""The SVG timeline: a row per Tashkent day, bars at the right hours, stays across midnight split."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from trace_samples import sample_trace

from izquvar.report.labels import local
from izquvar.report.timeline import HOUR_WIDTH, LABEL_WIDTH, MAX_DAYS, render_timeline

SVG = "{http://www.w3.org/2000/svg}"


def _svg() -> ET.Element:
    return ET.fromstring(render_timeline(sample_trace("en"), "en", "Timeline"))


def test_one_row_per_day_of_the_window() -> None:
    days = [t.text for t in _svg().iter(f"{SVG}text") if t.get("class") == "day"]
    assert days == ["10 March 2026", "11 March 2026", "12 March 2026", "13 March 2026", "14 March 2026"]


def test_bars_sit_at_their_tashkent_hours_and_split_at_midnight() -> None:
    stays = [g for g in _svg().iter(f"{SVG}g") if g.get("class") == "stay"]
    # 10 places, one of which (home, 17:30 → 07:40) crosses midnight
    assert len(stays) == 11
    school = stays[1].find(f"{SVG}rect")
    assert school is not None
    assert float(school.get("x", "")) == LABEL_WIDTH + 8 * HOUR_WIDTH  # 08:00 Tashkent (03:00 UTC)
    assert abs(float(school.get("width", "")) - (6 + 20 / 60) * HOUR_WIDTH) < 0.1
    evening, morning = (g.find(f"{SVG}rect") for g in stays[3:5])
    assert evening is not None and morning is not None
    assert abs(float(evening.get("x", "")) + float(evening.get("width", "")) - (LABEL_WIDTH + 24 * HOUR_WIDTH)) < 0.1
    assert float(morning.get("x", "")) == LABEL_WIDTH
    assert float(morning.get("y", "")) > float(evening.get("y", ""))


def test_every_encounter_is_a_tick_coloured_by_class() -> None:
    result = sample_trace()
    ticks = [r for r in _svg().iter(f"{SVG}rect") if (r.get("class") or "").startswith("tick")]
    # one tick per Tashkent day each piece of evidence touches (the night at home makes two)
    pieces = sum(
        (local(e.end - dt.timedelta(microseconds=1)).date() - local(e.start).date()).days + 1
        for c in result.contacts
        for e in c.evidence
    )
    assert len(ticks) == pieces == sum(len(c.evidence) for c in result.contacts) + 2
    assert {t.get("data-class") for t in ticks} == {"close", "casual", "possible"}
    assert [t.get("data-class") for t in ticks] == sorted(
        (t.get("data-class") for t in ticks), key=["possible", "casual", "close"].index
    )


def test_a_runaway_window_is_capped() -> None:
    result = sample_trace()
    long = result.model_copy(
        update={"case": result.case.model_copy(update={"window_end": result.case.window_start.replace(year=2027)})}
    )
    rows = [t for t in ET.fromstring(render_timeline(long, "en", "x")).iter(f"{SVG}text") if t.get("class") == "day"]
    assert len(rows) == MAX_DAYS
