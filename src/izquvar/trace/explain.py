"""One line in plain words per contact, in the report's language: "3 h 10 min in the same classroom (roster
+ GPS)". Templates live in i18n/messages/trace.<lang>.json so translators, not code, own the wording."""

from __future__ import annotations

from collections.abc import Sequence

from izquvar.formats import VENUE_CATEGORIES
from izquvar.i18n import Lang, format_minutes, message

#: Settings with their own phrase; venue categories use ``setting.venue`` with the category's name.
OWN_PHRASE = ("home", "visit", "school_class", "department", "nearby", "phone_proximity", "cell")


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
    line = message(
        "trace",
        f"explain.{klass}",
        lang,
        duration=format_minutes(minutes, lang),
        place=setting_phrase(setting, venue, lang),
        sources=sources_phrase(sources, lang),
    )
    if contradicted:
        line += message("trace", "explain.gps_not_home", lang, n=contradicted)
    return line


def place_setting(setting: str, lang: Lang) -> str:
    """How a place's setting is named in the report."""
    if setting in VENUE_CATEGORIES:
        return message("trace", f"category.{setting}", lang)
    return message("trace", f"place.{setting}", lang)
