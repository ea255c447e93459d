"""An inline SVG timeline: one row per day, hours across, places as bars coloured by setting, encounters as ticks.

Investigators ask "where were you on Tuesday evening?": a day-by-hour grid in Tashkent time answers at a
glance and shows the gaps in the data as plainly as the stays. A stay across midnight is split over its days.
"""

from __future__ import annotations

import datetime as dt
from html import escape

from izquvar.i18n import Lang, format_day, format_minutes
from izquvar.report.labels import (
    CLASS_COLOURS,
    CLASS_ORDER,
    TASHKENT,
    class_label,
    clock,
    local,
    place_label,
    setting_colour,
    setting_label,
)
from izquvar.trace.result import TraceResult

LABEL_WIDTH = 150
HOUR_WIDTH = 33
TOP = 26
ROW_HEIGHT = 38
BAR_HEIGHT = 18
TICK_TOP = 25
TICK_HEIGHT = 8
#: More days than this are not drawn one by one (a wrong isolation date must not make a 3-metre picture).
MAX_DAYS = 45
WIDTH = LABEL_WIDTH + 24 * HOUR_WIDTH + 10
#: An instantaneous record (a card payment) is drawn as one minute so it stays visible.
_INSTANT = dt.timedelta(minutes=1)


def _days(result: TraceResult) -> list[dt.date]:
    """Tashkent days from the window's start to its end, widened to any stay or encounter outside it."""
    moments = [result.case.window_start, result.case.window_end - dt.timedelta(microseconds=1)]
    moments += [m for p in result.places for m in (p.start, p.end)]
    moments += [m for c in result.contacts for e in c.evidence for m in (e.start, e.end)]
    first = min(local(m).date() for m in moments)
    last = max(local(m).date() for m in moments)
    count = min((last - first).days + 1, MAX_DAYS)
    return [first + dt.timedelta(days=k) for k in range(count)]


def _segments(start: dt.datetime, end: dt.datetime, days: list[dt.date]) -> list[tuple[int, float, float]]:
    """(row, from hour, to hour) pieces of an interval, one per Tashkent day it touches."""
    pieces = []
    for row, day in enumerate(days):
        midnight = dt.datetime.combine(day, dt.time(), TASHKENT)
        lo = max(start, midnight)
        hi = min(end, midnight + dt.timedelta(days=1))
        if hi > lo:
            pieces.append((row, (lo - midnight).total_seconds() / 3600, (hi - midnight).total_seconds() / 3600))
    return pieces


def _x(hour: float) -> str:
    return f"{LABEL_WIDTH + hour * HOUR_WIDTH:.1f}"


def render_timeline(result: TraceResult, lang: Lang, title: str) -> str:
    """The timeline as one ``<svg>`` element."""
    days = _days(result)
    height = TOP + ROW_HEIGHT * len(days) + 4
    grid = []
    for hour in range(0, 25, 3):
        grid.append(f'<line class="hour" x1="{_x(hour)}" y1="{TOP - 4}" x2="{_x(hour)}" y2="{height - 4}"/>')
        grid.append(f'<text class="hour" x="{_x(hour)}" y="{TOP - 9}">{hour:02d}</text>')
    rows = []
    for row, day in enumerate(days):
        y = TOP + row * ROW_HEIGHT
        rows.append(
            f'<rect class="day{" odd" if row % 2 else ""}" x="0" y="{y}" width="{WIDTH}" height="{ROW_HEIGHT}"/>'
        )
        rows.append(f'<text class="day" x="6" y="{y + 16}">{escape(format_day(day, lang))}</text>')
    bars = []
    ordered = sorted(result.places, key=lambda place: place.start)
    for number, place in enumerate(ordered, start=1):
        tooltip = (
            f"{number}. {place_label(place, lang)} ({setting_label(place.setting, lang)}) · "
            f"{clock(place.start)}–{clock(place.end)} · {format_minutes(place.minutes, lang)}"
        )
        for row, lo, hi in _segments(place.start, place.end, days):
            y = TOP + row * ROW_HEIGHT + 4
            width = (hi - lo) * HOUR_WIDTH
            fits = width >= 7 * len(str(number)) + 6
            label = f'<text class="bar" x="{_x((lo + hi) / 2)}" y="{y + 13}">{number}</text>' if fits else ""
            bars.append(
                f'<g class="stay" data-setting="{escape(place.setting)}"><title>{escape(tooltip)}</title>'
                f'<rect x="{_x(lo)}" y="{y}" width="{max(width, 1.5):.1f}" height="{BAR_HEIGHT}" rx="3" '
                f'fill="{setting_colour(place.setting)}"/>{label}</g>'
            )
    ticks = []
    for klass in CLASS_ORDER:
        for contact in result.contacts:
            if contact.klass != klass:
                continue
            for evidence in contact.evidence:
                tooltip = (
                    f"{class_label(klass, lang)} · {contact.person} · {clock(evidence.start)}–"
                    f"{clock(evidence.end)} · {format_minutes(evidence.minutes, lang)}"
                )
                for row, lo, hi in _segments(evidence.start, max(evidence.end, evidence.start + _INSTANT), days):
                    y = TOP + row * ROW_HEIGHT + TICK_TOP
                    ticks.append(
                        f'<rect class="tick {klass}" data-class="{klass}" x="{_x(lo)}" y="{y}" '
                        f'width="{max((hi - lo) * HOUR_WIDTH, 2.0):.1f}" height="{TICK_HEIGHT}" '
                        f'fill="{CLASS_COLOURS[klass]}"><title>{escape(tooltip)}</title></rect>'
                    )
    return (
        f'<svg id="timeline" class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'{"".join(rows)}{"".join(grid)}<g class="stays">{"".join(bars)}</g>'
        f'<g class="ticks">{"".join(ticks)}</g></svg>'
    )
