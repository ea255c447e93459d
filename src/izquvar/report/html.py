"""The HTML report: one self-contained file an investigator can open offline, print, or attach to a case file.

Nothing is fetched: CSS, the SVG map and timeline and the sorting script are inline, fonts are the system's.
A Content-Security-Policy (``default-src 'none'``) makes the browser refuse any request a future edit might
add by mistake, and the one script is allowed by its hash only. Every string that comes from data (venue
names, pseudonyms, explanations) is escaped, since a venue name is whatever someone typed into a form.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from izquvar.geo.areas import AreaIndex
from izquvar.i18n import Lang, format_day, format_minutes, format_number
from izquvar.report.labels import (
    CLASS_COLOURS,
    area_label,
    attenuation_label,
    class_label,
    clock,
    counts_line,
    distance_label,
    percent,
    place_label,
    setting_colour,
    setting_label,
    source_label,
    sources_label,
    text,
    when,
)
from izquvar.report.svgmap import render_map
from izquvar.report.timeline import render_timeline
from izquvar.trace.result import Contact, ContactClass, TraceResult

_CSS = """
:root{--ink:#1d2329;--muted:#5b6670;--line:#d5dbe0;--paper:#fff;--band:#f4f6f8}
*{box-sizing:border-box}
body{margin:0 auto;max-width:1120px;padding:24px 20px 40px;color:var(--ink);background:var(--paper);
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif}
h1{font-size:24px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 10px;border-bottom:2px solid var(--line)}
header dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:10px 0}
header dt{color:var(--muted)}header dd{margin:0}.pseudonym{font-family:ui-monospace,Menlo,Consolas,monospace}
.note{color:var(--muted);font-size:13px;margin:4px 0}.counts{font-weight:600}
svg{display:block;width:100%;height:auto;border:1px solid var(--line);border-radius:4px}
.map .sea{fill:#eef2f4}.map .area{stroke:#8a97a3;fill-rule:evenodd}
.map .region{fill:#f7f6f1;stroke:#6f7c88;stroke-width:1.8}.map .district{fill:none;stroke:#7d8a96;stroke-width:1.2}
.map .mahalla{fill:none;stroke:#dde2e6;stroke-width:.6}
.map .label{fill:#6b7782;text-anchor:middle;paint-order:stroke;stroke:#f7f6f1;stroke-width:3px}
.map .label.region{font-size:15px;font-weight:600}.map .label.district{font-size:12px;font-weight:600}
.map .label.mahalla{font-size:9px;fill:#97a2ab}
.map .path{fill:none;stroke:#263238;stroke-width:2.2;stroke-dasharray:7 4;stroke-linejoin:round;opacity:.8}
.map .encounter{stroke:#fff;stroke-width:1.2;fill-opacity:.85}
.map .stop{fill:#263238;stroke:#fff;stroke-width:1.2}.map .place line{stroke:#263238;stroke-width:1.2}
.map .place rect{fill:#263238;stroke:#fff;stroke-width:1.5}
.map .place text{fill:#fff;font-size:11.5px;font-weight:700;text-anchor:middle}
.map .scale rect{fill:#fff;fill-opacity:.85}.map .scale path{fill:none;stroke:#263238;stroke-width:2}
.map .scale text{font-size:11px;text-anchor:middle;fill:#263238}
.timeline .day{fill:#fff}.timeline .day.odd{fill:var(--band)}.timeline text.day{fill:var(--ink);font-size:12px}
.timeline line.hour{stroke:var(--line)}.timeline text.hour{fill:var(--muted);font-size:11px;text-anchor:middle}
.timeline text.bar{fill:#fff;font-size:11px;font-weight:700;text-anchor:middle}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;margin:8px 0;font-size:13px;color:var(--muted);padding:0}
.legend li{list-style:none;display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px}
.swatch.dot{border-radius:50%}.swatch.line{height:0;border-top:2px dashed #263238;border-radius:0;width:22px}
.swatch.num{background:#263238;border-radius:7px;width:18px}
table{border-collapse:collapse;width:100%;font-size:13.5px}
th,td{text-align:left;vertical-align:top;padding:5px 7px;border-bottom:1px solid var(--line)}
th{background:var(--band);font-size:12.5px}td.num{text-align:right;white-space:nowrap}th.num{text-align:right}
.scroll{overflow-x:auto}td.explain{min-width:15em}td.when{white-space:nowrap}
th[data-sort]{cursor:pointer}th[aria-sort=ascending]::after{content:" ▲"}th[aria-sort=descending]::after{content:" ▼"}
.badge{display:inline-block;padding:1px 7px;border-radius:9px;color:#fff;font-size:12px;font-weight:600}
.badge.close{background:#c62828}.badge.casual{background:#ef8f00}.badge.possible{background:#1e6fb8}
details summary{cursor:pointer;color:var(--muted)}details ul{margin:4px 0 0;padding-left:18px}
footer{margin-top:30px;color:var(--muted);font-size:12px}
@media print{body{max-width:none;padding:0;font-size:11px}section{break-inside:avoid}
h2{break-after:avoid}.no-print{display:none}svg{border:none}tr{break-inside:avoid}
details>*:not(summary){display:block}}
"""

#: Sorts the contact table when a header is clicked; the table is already ranked by risk without it.
_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th[data-sort]").forEach(function (th, col) {
    th.addEventListener("click", function () {
      var up = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", up ? "ascending" : "descending");
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var index = th.cellIndex, numeric = th.getAttribute("data-sort") === "number";
      rows.sort(function (a, b) {
        var x = a.cells[index].getAttribute("data-value"), y = b.cells[index].getAttribute("data-value");
        var d = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return up ? d : -d;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
""".strip()


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'; img-src data:"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _header(result: TraceResult, lang: Lang) -> str:
    case = result.case
    isolation = format_day(case.isolation, lang) if case.isolation else text("report.not_isolated", lang)
    window = f"{when(case.window_start, lang)} – {when(case.window_end, lang)}"
    traced = text(
        "report.traced",
        lang,
        ms=format_number(result.summary.elapsed_ms, lang, digits=1),
        sources=sources_label(result.summary.sources_used, lang),
    )
    summary = counts_line(result, lang)
    rows = [
        (text("report.case", lang), f'<span class="pseudonym">{_e(case.person)}</span>'),
        (text("report.onset", lang), _e(format_day(case.onset, lang))),
        (text("report.isolation", lang), _e(isolation)),
        (text("report.window", lang), _e(window)),
    ]
    items = "".join(f"<dt>{_e(term)}</dt><dd>{value}</dd>" for term, value in rows)
    return (
        f"<header><h1>{_e(text('report.title', lang))}</h1><dl>{items}</dl>"
        f'<p class="counts" id="counts">{_e(summary)}</p>'
        f'<p class="note">{_e(text("report.times_note", lang))} {_e(traced)}</p>'
        f'<p class="note">{_e(text("report.privacy", lang))}</p></header>'
    )


def _class_legend(lang: Lang) -> str:
    return "".join(
        f'<li><span class="swatch dot" style="background:{CLASS_COLOURS[klass]}"></span>'
        f"{_e(class_label(klass, lang))}</li>"
        for klass in ("close", "casual", "possible")
    )


def _map_section(result: TraceResult, lang: Lang, areas: AreaIndex | None) -> str:
    title = text("section.map", lang)
    drawing = render_map(result, lang, title, areas)
    if not drawing.drawn:
        body = f'<p class="empty">{_e(text("map.empty", lang))}</p>'
    else:
        legend = (
            f'<ul class="legend"><li><span class="swatch line"></span>{_e(text("map.legend.path", lang))}</li>'
            f'<li><span class="swatch num"></span>{_e(text("map.legend.place", lang))}</li>'
            f"<li>{_e(text('map.legend.encounters', lang))}</li>{_class_legend(lang)}</ul>"
        )
        body = drawing.svg + legend
        if drawing.unplaced_encounters:
            body += f'<p class="note">{_e(text("map.unplaced", lang, n=drawing.unplaced_encounters))}</p>'
    attribution = f'<p class="note attribution">{_e(text("map.attribution", lang))}</p>'
    return f'<section id="map-section"><h2>{_e(title)}</h2>{body}{attribution}</section>'


def _timeline_section(result: TraceResult, lang: Lang) -> str:
    title = text("section.timeline", lang)
    settings = sorted({place.setting for place in result.places}, key=lambda s: setting_label(s, lang))
    legend = "".join(
        f'<li><span class="swatch" style="background:{setting_colour(s)}"></span>{_e(setting_label(s, lang))}</li>'
        for s in settings
    )
    legend += f"<li>{_e(text('timeline.encounter', lang))}:</li>{_class_legend(lang)}"
    return (
        f'<section id="timeline-section"><h2>{_e(title)}</h2>{render_timeline(result, lang, title)}'
        f'<ul class="legend">{legend}</ul></section>'
    )


def _places_section(result: TraceResult, lang: Lang) -> str:
    title = text("section.places", lang)
    if not result.places:
        return f'<section id="places-section"><h2>{_e(title)}</h2><p>{_e(text("empty.places", lang))}</p></section>'
    heads = [
        "col.number",
        "col.from",
        "col.to",
        "col.duration",
        "col.place",
        "col.area",
        "col.setting",
        "col.sources",
        "col.certainty",
    ]
    numeric = {"col.number", "col.duration", "col.certainty"}
    header = "".join(
        f'<th{" class=num" if key in numeric else ""} scope="col">{_e(text(key, lang))}</th>' for key in heads
    )
    rows = []
    for number, place in enumerate(sorted(result.places, key=lambda p: p.start), start=1):
        cells = [
            (str(number), True),
            (when(place.start, lang), False),
            (when(place.end, lang), False),
            (format_minutes(place.minutes, lang), True),
            (place_label(place, lang), False),
            (area_label(place.area), False),
            (setting_label(place.setting, lang), False),
            (sources_label(place.sources, lang), False),
            (percent(place.certainty, lang), True),
        ]
        rows.append(
            "<tr>"
            + "".join(f"<td{' class=num' if is_num else ''}>{_e(value)}</td>" for value, is_num in cells)
            + "</tr>"
        )
    return (
        f'<section id="places-section"><h2>{_e(title)}</h2><div class="scroll"><table id="places">'
        f"<thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _nearness(contact: Contact, lang: Lang) -> tuple[str, float]:
    """Closest distance, else strongest Bluetooth attenuation, as shown and as sorted (unknown last)."""
    if contact.closest_m is not None:
        return distance_label(contact.closest_m, lang), contact.closest_m
    if contact.strongest_attenuation_db is not None:
        return attenuation_label(contact.strongest_attenuation_db, lang), 1e6 + contact.strongest_attenuation_db
    return "—", 1e9


def _evidence_list(contact: Contact, lang: Lang) -> str:
    items = []
    for e in sorted(contact.evidence, key=lambda item: item.start):
        where = e.venue.name if e.venue else area_label(e.area)
        near = (
            distance_label(e.distance_m, lang)
            if e.distance_m is not None
            else attenuation_label(e.attenuation_db, lang)
            if e.attenuation_db is not None
            else ""
        )
        parts = [
            source_label(e.source, lang),
            f"{when(e.start, lang)}–{clock(e.end)}",
            format_minutes(e.minutes, lang),
            where,
            near,
        ]
        items.append(f"<li>{_e(' · '.join(part for part in parts if part))}</li>")
    return (
        f"<details><summary>{_e(text('col.evidence', lang))} ({len(contact.evidence)})</summary>"
        f"<ul>{''.join(items)}</ul></details>"
    )


_CLASS_RANK: dict[ContactClass, int] = {"close": 0, "casual": 1, "possible": 2}


def _contacts_section(result: TraceResult, lang: Lang) -> str:
    title = text("section.contacts", lang)
    if not result.contacts:
        return f'<section id="contacts-section"><h2>{_e(title)}</h2><p>{_e(text("empty.contacts", lang))}</p></section>'
    heads = [
        ("col.number", "number"),
        ("col.contact", "text"),
        ("col.class", "number"),
        ("col.risk", "number"),
        ("col.time_together", "number"),
        ("col.worst_day", "number"),
        ("col.closest", "number"),
        ("col.setting", "text"),
        ("col.sources", "text"),
        ("col.explanation", "text"),
    ]
    numeric = {"col.number", "col.risk", "col.time_together", "col.worst_day", "col.closest"}
    header = "".join(
        f'<th{" class=num" if key in numeric else ""} scope="col" data-sort="{kind}">{_e(text(key, lang))}</th>'
        for key, kind in heads
    )
    ranked = sorted(result.contacts, key=lambda c: (-c.risk, _CLASS_RANK[c.klass], -c.minutes, c.person))
    rows = []
    for rank, contact in enumerate(ranked, start=1):
        near, near_value = _nearness(contact, lang)
        cells = [
            (str(rank), rank, True),
            (f'<span class="pseudonym">{_e(contact.person)}</span>', contact.person, False),
            (
                f'<span class="badge {contact.klass}">{_e(class_label(contact.klass, lang))}</span>',
                _CLASS_RANK[contact.klass],
                False,
            ),
            (_e(format_number(contact.risk, lang, digits=2)), contact.risk, True),
            (_e(format_minutes(contact.minutes, lang)), contact.minutes, True),
            (_e(format_minutes(contact.max_daily_minutes, lang)), contact.max_daily_minutes, True),
            (_e(near), near_value, True),
            (_e(setting_label(contact.setting, lang)), setting_label(contact.setting, lang), False),
            (_e(sources_label(contact.sources, lang)), sources_label(contact.sources, lang), False),
            (_e(contact.explanation) + _evidence_list(contact, lang), contact.explanation, False),
        ]
        rows.append(
            f'<tr data-class="{contact.klass}">'
            + "".join(
                f"<td{' class=num' if is_num else ' class=explain' if k == len(cells) - 1 else ''} "
                f'data-value="{_e(value)}">{shown}</td>'
                for k, (shown, value, is_num) in enumerate(cells)
            )
            + "</tr>"
        )
    return (
        f'<section id="contacts-section"><h2>{_e(title)}</h2>'
        f'<p class="note no-print">{_e(text("report.sort_hint", lang))}</p>'
        f'<div class="scroll"><table id="contacts" class="sortable"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div></section>"
    )


def _footer(result: TraceResult, lang: Lang) -> str:
    """The rules the trace used, so a printed report can be reproduced and two reports compared."""
    items = "".join(
        f"<li><code>{_e(key)}</code> = {_e(value)}</li>" for key, value in sorted(result.parameters.items())
    )
    return (
        f"<footer><details><summary>{_e(text('report.parameters', lang))}</summary><ul>{items}</ul></details>"
        f"<p>izquvar · {_e(result.schema_version)}</p></footer>"
    )


def render_html(result: TraceResult, lang: Lang, areas: AreaIndex | None = None) -> str:
    """The whole report as one HTML document in ``lang`` (boundaries from ``areas``, default: shipped)."""
    title = f"{text('report.title', lang)} · {result.case.person}"
    return (
        f'<!DOCTYPE html>\n<html lang="{_e(lang)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_csp())}">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="izquvar ({_e(result.schema_version)})">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
        f"{_header(result, lang)}{_map_section(result, lang, areas)}{_timeline_section(result, lang)}"
        f"{_contacts_section(result, lang)}{_places_section(result, lang)}"
        f"{_footer(result, lang)}"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )
