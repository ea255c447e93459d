"""One line in plain words per contact, in the report's language: "3 h 10 min in the same classroom (roster
+ GPS)". Templates live in i18n/messages/trace.<lang>.json so translators, not code, own the wording."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, lru_cache
from typing import Any

from izquvar.formats import VENUE_CATEGORIES
from izquvar.i18n import DEFAULT_LANG, Lang, catalog, format_minutes

#: Settings with their own phrase; venue categories use ``setting.venue`` with the category's name.
OWN_PHRASE = ("home", "visit", "school_class", "department", "nearby", "phone_proximity", "cell")


@cache
def _template(key: str, lang: Lang) -> str:
    """A trace message template, read from its catalog once per process (a trace explains thousands of
    contacts); falls back to English like :func:`izquvar.i18n.message`."""
    template = catalog("trace", lang).get(key) or catalog("trace", DEFAULT_LANG).get(key)
    if template is None:
        raise KeyError(f"no message trace:{key}")
    return template


def message(domain: str, key: str, lang: Lang, **params: Any) -> str:
    """:func:`izquvar.i18n.message` for the trace domain, with cached templates."""
    assert domain == "trace"
    return _template(key, lang).format(**params)


@lru_cache(maxsize=4096)
def _duration(minutes: int, lang: Lang) -> str:
    return format_minutes(minutes, lang)


@lru_cache(maxsize=16_384)
def setting_phrase(setting: str, venue: str | None, lang: Lang) -> str:
    if setting in OWN_PHRASE:
        if setting == "cell" and venue:
            return message("trace", "setting.cell_near", lang, venue=venue)
        return message("trace", f"setting.{setting}", lang)
    category = setting if setting in VENUE_CATEGORIES else "other"
    name = message("trace", f"category.{category}", lang)
    if venue:
        return message("trace", "setting.venue_named", lang, category=name, venue=venue)
    return message("trace", "setting.venue", lang, category=name)


def sources_phrase(sources: Sequence[str], lang: Lang) -> str:
    return _sources_phrase(tuple(sources), lang)


@lru_cache(maxsize=1_024)
def _sources_phrase(sources: tuple[str, ...], lang: Lang) -> str:
    """:func:`sources_phrase`, memoised: a trace's lines share a handful of source combinations."""
    return " + ".join(message("trace", f"source.{s}", lang) for s in sources)


def explanation(
    *,
    lang: Lang,
    klass: str,
    minutes: float,
    setting: str,
    venue: str | None,
    sources: Sequence[str],
    contradicted: int = 0,
) -> str:
    """The contact's one-line explanation."""
    return _explanation(lang, klass, round(minutes), setting, venue, tuple(sources), contradicted)


def explanation_lines(
    lang: Lang,
    klass: Sequence[str],
    minutes: Sequence[int],
    setting: Sequence[str],
    venue: Sequence[str | None],
    sources: Sequence[tuple[str, ...]],
    contradicted: Sequence[int],
    said: Sequence[str | None] | None = None,
) -> list[str]:
    """:func:`explanation` of many contacts given as columns (``minutes`` already rounded to whole minutes);
    ``said``: per contact, what the case said of them in an interview (an interview row's detail), if anything."""
    lines = [
        _explanation(lang, *row) for row in zip(klass, minutes, setting, venue, sources, contradicted, strict=True)
    ]
    if said is None:
        return lines
    return [
        line if what is None else _with_statement(line, what, m, lang)
        for line, what, m in zip(lines, said, minutes, strict=True)
    ]


@lru_cache(maxsize=16_384)
def statement_phrase(detail: str, lang: Lang) -> str:
    """What the case said, from an interview row's detail (``relation;first;last;how``): "named by the case
    (friend), met 2026-03-03 to 2026-03-04"."""
    relation, first, last, *_ = [*detail.split(";"), "", "", ""]
    days = first if first == last else message("trace", "interview.days", lang, first=first, last=last)
    return message(
        "trace", "interview.said", lang, relation=message("trace", f"relation.{relation or 'other'}", lang), days=days
    )


def _with_statement(line: str, detail: str, minutes: int, lang: Lang) -> str:
    """The line with what the case said; a contact known by the interview alone (no minutes measured) is
    explained by the statement alone."""
    phrase = statement_phrase(detail, lang)
    if minutes == 0:
        return message("trace", "interview.only", lang, said=phrase, line=line)
    return message("trace", "interview.also", lang, said=phrase, line=line)


@lru_cache(maxsize=65_536)
def _explanation(
    lang: Lang, klass: str, minutes: int, setting: str, venue: str | None, sources: tuple[str, ...], contradicted: int
) -> str:
    """:func:`explanation`, memoised: a trace's hundreds of operator contacts mostly share one line."""
    line = message(
        "trace",
        f"explain.{klass}",
        lang,
        duration=_duration(minutes, lang),
        place=setting_phrase(setting, venue, lang),
        sources=_sources_phrase(sources, lang),
    )
    if contradicted:
        line += message("trace", "explain.gps_not_home", lang, n=contradicted)
    return line


def place_setting(setting: str, lang: Lang) -> str:
    """How a place's setting is named in the report."""
    if setting in VENUE_CATEGORIES:
        return message("trace", f"category.{setting}", lang)
    return message("trace", f"place.{setting}", lang)
