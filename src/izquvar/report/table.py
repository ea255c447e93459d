"""The terminal view of a trace: a header, the places in time order and the contacts ranked by risk.

What an investigator reads first, on the phone with the case: so times are Tashkent time, durations are in
words, and each contact carries its one-line explanation.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from izquvar.i18n import Lang, format_day, format_minutes, format_number
from izquvar.report.labels import (
    CLASS_COLOURS,
    area_label,
    attenuation_label,
    class_label,
    counts_line,
    distance_label,
    percent,
    place_label,
    setting_label,
    sources_label,
    text,
    when,
)
from izquvar.trace.result import Contact, TraceResult


def _header(result: TraceResult, lang: Lang) -> RenderableType:
    case = result.case
    isolation = format_day(case.isolation, lang) if case.isolation else text("report.not_isolated", lang)
    lines = Text()
    lines.append(text("report.title", lang), style="bold")
    lines.append(f"\n{text('report.case', lang)}: ", style="dim")
    lines.append(case.person, style="bold")
    lines.append(f"\n{text('report.onset', lang)}: ", style="dim")
    lines.append(format_day(case.onset, lang))
    lines.append(f" · {text('report.isolation', lang)}: ", style="dim")
    lines.append(isolation)
    lines.append(f"\n{text('report.window', lang)}: ", style="dim")
    lines.append(f"{when(case.window_start, lang)} – {when(case.window_end, lang)}")
    lines.append("\n")
    lines.append(counts_line(result, lang), style="bold")
    lines.append(f"\n{text('report.times_note', lang)}", style="dim")
    return lines


def _add_row(table: Table, *cells: str | Text) -> None:
    """Add a row whose strings are shown literally: a venue called "[bold]x" is data, not rich markup."""
    table.add_row(*(Text(cell) if isinstance(cell, str) else cell for cell in cells))


def places_table(result: TraceResult, lang: Lang) -> Table:
    """The movement path, one row per stay in time order."""
    table = Table(title=text("section.places", lang), title_justify="left", title_style="bold")
    for key, justify in (
        ("col.number", "right"),
        ("col.from", "left"),
        ("col.to", "left"),
        ("col.duration", "right"),
        ("col.place", "left"),
        ("col.area", "left"),
        ("col.setting", "left"),
        ("col.sources", "left"),
        ("col.certainty", "right"),
    ):
        table.add_column(text(key, lang), justify=justify)  # type: ignore[arg-type]
    for number, place in enumerate(sorted(result.places, key=lambda p: p.start), start=1):
        _add_row(
            table,
            str(number),
            when(place.start, lang),
            when(place.end, lang),
            format_minutes(place.minutes, lang),
            place_label(place, lang),
            area_label(place.area),
            setting_label(place.setting, lang),
            sources_label(place.sources, lang),
            percent(place.certainty, lang),
        )
    return table


def _nearness(contact: Contact, lang: Lang) -> str:
    if contact.closest_m is not None:
        return distance_label(contact.closest_m, lang)
    if contact.strongest_attenuation_db is not None:
        return attenuation_label(contact.strongest_attenuation_db, lang)
    return "—"


def contacts_table(result: TraceResult, lang: Lang, limit: int | None = None) -> Table:
    """Contacts ranked by risk (highest first), with class, time together and the explanation."""
    table = Table(title=text("section.contacts", lang), title_justify="left", title_style="bold")
    for key, justify in (
        ("col.number", "right"),
        ("col.contact", "left"),
        ("col.class", "left"),
        ("col.risk", "right"),
        ("col.time_together", "right"),
        ("col.worst_day", "right"),
        ("col.closest", "right"),
        ("col.sources", "left"),
        ("col.explanation", "left"),
    ):
        table.add_column(text(key, lang), justify=justify)  # type: ignore[arg-type]
    ranked = sorted(result.contacts, key=lambda c: (-c.risk, -c.minutes, c.person))[:limit]
    for rank, contact in enumerate(ranked, start=1):
        _add_row(
            table,
            str(rank),
            contact.person,
            Text(class_label(contact.klass, lang), style=f"bold {CLASS_COLOURS[contact.klass]}"),
            format_number(contact.risk, lang, digits=2),
            format_minutes(contact.minutes, lang),
            format_minutes(contact.max_daily_minutes, lang),
            _nearness(contact, lang),
            sources_label(contact.sources, lang),
            contact.explanation,
        )
    return table


def trace_renderable(result: TraceResult, lang: Lang) -> RenderableType:
    """Header, places and contacts as one rich renderable (empty sections say so instead of vanishing)."""
    parts: list[RenderableType] = [_header(result, lang), Text()]
    parts.append(places_table(result, lang) if result.places else Text(text("empty.places", lang)))
    parts.append(Text())
    parts.append(contacts_table(result, lang) if result.contacts else Text(text("empty.contacts", lang)))
    return Group(*parts)


def trace_brief(result: TraceResult, lang: Lang, contacts: int = 10) -> RenderableType:
    """The header and the ``contacts`` riskiest contacts: what fits on one screen."""
    top = contacts_table(result, lang, limit=contacts) if result.contacts else Text(text("empty.contacts", lang))
    return Group(_header(result, lang), Text(), top)


def trace_text(result: TraceResult, lang: Lang, width: int = 160) -> str:
    """The tables as plain text (no colour codes), for a file."""
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(trace_renderable(result, lang))
    return buffer.getvalue()
