"""Report catalogs: every language has every key and placeholder; Uzbek Cyrillic is the Latin transliterated."""

from __future__ import annotations

import re
import string

import pytest

from izquvar.geo.transliterate import latin_to_cyrillic
from izquvar.i18n import LANGS, Lang, catalog

#: Words and symbols kept in Latin script in Uzbek Cyrillic, as Uzbek Cyrillic texts write them.
_KEPT_LATIN = ("GPS", "QR", "Bluetooth", "UTC", "geoBoundaries", "Runfola", "CC BY 3.0 IGO")
#: Where the Cyrillic deliberately differs from a letter-by-letter transliteration: Russian loanwords keep
#: ц (izolyatsiya → изоляция).
_CYRILLIC_EXCEPTIONS = {"report.isolation", "report.not_isolated"}


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("lang", LANGS)
def test_every_catalog_has_every_key_and_placeholder(lang: Lang) -> None:
    english = catalog("report", "en")
    other = catalog("report", lang)
    assert other.keys() == english.keys()
    for key, template in english.items():
        assert _placeholders(other[key]) == _placeholders(template), key
        assert other[key].strip(), key


def test_uzbek_cyrillic_is_the_transliterated_latin() -> None:
    latin = catalog("report", "uz-Latn")
    cyrillic = catalog("report", "uz-Cyrl")
    kept = re.compile("(" + "|".join(re.escape(w) for w in _KEPT_LATIN) + r"|\{\w+\})")
    for key, text in latin.items():
        expected = "".join(part if kept.fullmatch(part) else latin_to_cyrillic(part) for part in kept.split(text))
        if key in _CYRILLIC_EXCEPTIONS:
            assert cyrillic[key] != expected, f"{key} is no longer an exception"
        else:
            assert cyrillic[key] == expected, key


@pytest.mark.parametrize("lang", ["uz-Cyrl", "ru"])
def test_cyrillic_catalogs_contain_no_stray_latin(lang: Lang) -> None:
    kept = re.compile("|".join(re.escape(w) for w in _KEPT_LATIN) + r"|\{\w+\}|et al\.")
    for key, text in catalog("report", lang).items():
        assert not re.search("[A-Za-z]", kept.sub("", text)), (key, text)


def test_uzbek_latin_uses_the_official_apostrophes() -> None:
    for key, text in catalog("report", "uz-Latn").items():
        assert "'" not in text and "‘" not in text and "’" not in text, key
