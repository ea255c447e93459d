"""izquvar speaks Uzbek (Latin and Cyrillic script), Russian and English.

Messages live in JSON catalogs, one file per domain and language: ``messages/<domain>.<lang>.json``
(``trace.en.json``, ``report.uz-Cyrl.json`` ...). A key missing in one language falls back to English, so a
new message never breaks a report; tests check that every catalog has every key. Dates, numbers and durations
are formatted by Babel with the language's own CLDR rules.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from importlib import resources
from typing import Any, Literal, cast, get_args

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from izquvar.errors import InvalidInput

Lang = Literal["uz-Latn", "uz-Cyrl", "ru", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "en"
_BABEL_LOCALE: dict[Lang, str] = {"uz-Latn": "uz_Latn", "uz-Cyrl": "uz_Cyrl", "ru": "ru", "en": "en"}
_ALIASES = {"uz": "uz-Latn", "uz_latn": "uz-Latn", "uz-latn": "uz-Latn", "uz_cyrl": "uz-Cyrl", "uz-cyrl": "uz-Cyrl"}


def parse_lang(text: str) -> Lang:
    """A language tag as izquvar spells it (``uz-Latn``, ``uz-Cyrl``, ``ru``, ``en``), accepting common variants."""
    lowered = text.strip().lower()
    tag = _ALIASES.get(lowered, lowered)
    for lang in LANGS:
        if lang.lower() == tag.lower():
            return lang
    raise InvalidInput(f"unknown language {text!r}; izquvar speaks {', '.join(LANGS)}.")


@cache
def catalog(domain: str, lang: Lang) -> dict[str, str]:
    """The messages of one domain in one language (empty when the file does not exist)."""
    resource = resources.files("izquvar.i18n").joinpath("messages", f"{domain}.{lang}.json")
    if not resource.is_file():
        return {}
    return cast(dict[str, str], json.loads(resource.read_text(encoding="utf-8")))


def message(domain: str, key: str, lang: Lang, **params: Any) -> str:
    """The message ``key`` in ``lang`` with ``{placeholders}`` filled, falling back to English."""
    template = catalog(domain, lang).get(key) or catalog(domain, DEFAULT_LANG).get(key)
    if template is None:
        raise KeyError(f"no message {domain}:{key}")
    return template.format(**params)


def format_minutes(minutes: float, lang: Lang) -> str:
    """A duration the way people say it: "3 h 10 min" / "3 soat 10 daqiqa" / "3 ч 10 мин"."""
    total = round(minutes)
    hours, rest = divmod(total, 60)
    if hours == 0:
        return message("common", "duration.minutes", lang, m=rest)
    if rest == 0:
        return message("common", "duration.hours", lang, h=hours)
    return message("common", "duration.hours_minutes", lang, h=hours, m=rest)


def format_when(value: dt.datetime, lang: Lang, tz: dt.tzinfo = dt.UTC) -> str:
    """A date and time in the language's own style, in ``tz`` (reports show Tashkent time)."""
    return format_datetime(value.astimezone(tz), "d MMM y, HH:mm", tzinfo=tz, locale=_BABEL_LOCALE[lang])


def format_day(value: dt.date, lang: Lang) -> str:
    return format_date(value, "d MMMM y", locale=_BABEL_LOCALE[lang])


def format_number(value: float, lang: Lang, digits: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_BABEL_LOCALE[lang])
