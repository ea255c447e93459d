"""The words and colours every report format shares, so a table, a map and a timeline never disagree.

Reports show Tashkent time: investigators and the people they call think in local time, and a UTC timestamp
read aloud over the phone is an error waiting to happen. Uzbekistan has kept UTC+5 without daylight saving
since 1992, so a fixed offset is exact and needs no time-zone database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from izquvar.i18n import Lang, format_number, format_when, message
from izquvar.localtime import UZBEKISTAN_TZ
from izquvar.trace.result import AreaRef, ContactClass, Place, Source, TraceResult

TASHKENT = UZBEKISTAN_TZ

#: Drawing order and colours of contact classes (the most important drawn last, on top).
CLASS_ORDER: tuple[ContactClass, ...] = ("possible", "casual", "close")
CLASS_COLOURS: dict[ContactClass, str] = {"close": "#c62828", "casual": "#ef8f00", "possible": "#1e6fb8"}

#: Colours of settings on the timeline; a setting not listed is drawn in ``OTHER_SETTING_COLOUR``.
SETTING_COLOURS: dict[str, str] = {
    "home": "#8d6e63",
    "area": "#b0bec5",
    "school": "#5e35b1",
    "workplace": "#3949ab",
    "bazaar": "#f4511e",
    "shop": "#fb8c00",
    "restaurant": "#e53935",
    "choyxona": "#d81b60",
    "mosque": "#00897b",
    "gym": "#43a047",
    "clinic": "#039be5",
    "wedding_hall": "#c0ca33",
    "metro": "#546e7a",
    "bus": "#78909c",
    "park": "#7cb342",
}
OTHER_SETTING_COLOUR = "#9e9e9e"


def text(key: str, lang: Lang, **params: object) -> str:
    """One message of the report catalog."""
    return message("report", key, lang, **params)


def counts_line(result: TraceResult, lang: Lang) -> str:
    """ "N places · close, casual and possible contacts": the one summary line every report shows."""
    counts = result.summary.contacts
    return text(
        "report.counts",
        lang,
        places=len(result.places),
        close=counts.get("close", 0),
        casual=counts.get("casual", 0),
        possible=counts.get("possible", 0),
    )


def class_label(klass: ContactClass, lang: Lang) -> str:
    return text(f"class.{klass}", lang)


def source_label(source: Source, lang: Lang) -> str:
    return text(f"source.{source}", lang)


def sources_label(sources: Iterable[Source], lang: Lang) -> str:
    """Sources joined in the order given (the tracer lists them from most to least precise)."""
    labels = [source_label(source, lang) for source in sources]
    return ", ".join(labels) if labels else text("report.no_sources", lang)


def setting_label(setting: str, lang: Lang) -> str:
    """A setting in words; one the catalog does not know yet is shown as written rather than hidden."""
    try:
        return text(f"setting.{setting}", lang)
    except KeyError:
        return setting.replace("_", " ")


def setting_colour(setting: str) -> str:
    return SETTING_COLOURS.get(setting, OTHER_SETTING_COLOUR)


def area_label(area: AreaRef | None) -> str:
    """The most precise area first: "mahalla, district" (region only when nothing finer is known)."""
    if area is None:
        return ""
    finer = [name for name in (area.mahalla, area.district) if name]
    if finer:
        return ", ".join(finer)
    return area.region or ""


def place_label(place: Place, lang: Lang) -> str:
    """What a place is called: its venue, else the setting (a home has no public name), else "unnamed"."""
    if place.venue is not None:
        return place.venue.name
    if place.setting and place.setting != "unknown":
        return setting_label(place.setting, lang)
    return text("place.unnamed", lang)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(TASHKENT)


def when(moment: dt.datetime, lang: Lang) -> str:
    """Date and time in Tashkent, in the language's own style."""
    return format_when(moment, lang, TASHKENT)


def clock(moment: dt.datetime) -> str:
    return f"{local(moment):%H:%M}"


def distance_label(metres: float, lang: Lang) -> str:
    """Metres below one kilometre, kilometres above it (one decimal unless whole: a scale bar says "2 km")."""
    if metres < 1000:
        return text("unit.m", lang, n=format_number(metres, lang, digits=1 if metres < 10 else 0))
    kilometres = metres / 1000
    return text("unit.km", lang, n=format_number(kilometres, lang, digits=0 if kilometres.is_integer() else 1))


def attenuation_label(db: float, lang: Lang) -> str:
    return text("unit.db", lang, n=format_number(db, lang))


def percent(value: float, lang: Lang) -> str:
    return f"{format_number(value * 100, lang)} %"
