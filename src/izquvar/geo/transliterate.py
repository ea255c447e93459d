"""Uzbek Cyrillic ↔ Latin transliteration (the 1995 Latin alphabet, with oʻ gʻ and ʼ).

Hand-written rules rather than a library: the few context rules that matter (е → ye word-initially and after a
vowel, ц → s or ts, э → e, the sʼh / ш distinction) are simpler to state than to audit in a dependency, and
they reproduce 99 %+ of the official SOATO name pairs (see tests/geo/test_transliterate.py).

Output uses the official modifier letters: ``ʻ`` (U+02BB, in oʻ and gʻ) and ``ʼ`` (U+02BC, tutuq belgisi).
Input may use any of the apostrophes people actually type: ASCII ``'``, ``‘`` ``’`` ``ʻ`` ``ʼ`` and backtick.
"""

from __future__ import annotations

import re

OKINA = "\u02bb"  # ʻ in oʻ, gʻ
TUTUQ = "\u02bc"  # ʼ, the glottal-stop sign
APOSTROPHES = "'\u2018\u2019\u02bb\u02bc`\u00b4"
_APOSTROPHE_CLASS = "[" + re.escape(APOSTROPHES) + "]"

_CYR_VOWELS = set("аеёиоуэюяўАЕЁИОУЭЮЯЎ")
_LAT_VOWELS = set("aeiouAEIOU")

_CYR_TO_LAT: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "ё": "yo", "ж": "j", "з": "z", "и": "i", "й": "y",
    "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "x", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": TUTUQ, "ы": "i", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ў": "o" + OKINA, "қ": "q", "ғ": "g" + OKINA, "ҳ": "h",
}  # fmt: skip


def _case_like(source: str, latin: str, next_char: str) -> str:
    """Upper-case a multi-letter rendering only as far as the source's case says (Ш → Sh, but ШО → SHO)."""
    if not source.isupper():
        return latin
    if len(latin) > 1 and not (next_char.isalpha() and next_char.isupper()):
        return latin[0].upper() + latin[1:]
    return latin.upper()


def cyrillic_to_latin(text: str) -> str:
    """Uzbek Cyrillic text in the current (1995) Latin alphabet; non-Uzbek characters pass through."""
    out: list[str] = []
    for i, ch in enumerate(text):
        lower = ch.lower()
        prev = text[i - 1] if i > 0 else ""
        nxt = text[i + 1] if i + 1 < len(text) else ""
        word_start = not prev.isalpha()
        if lower == "е":
            latin = "ye" if word_start or prev in _CYR_VOWELS or prev.lower() in "ъь" else "e"
        elif lower == "ц":
            latin = "ts" if prev in _CYR_VOWELS else "s"
        elif lower == "ҳ" and prev.lower() == "с":
            latin = TUTUQ + "h"  # сҳ is written sʼh so that it is not read as ш
        elif lower in _CYR_TO_LAT:
            latin = _CYR_TO_LAT[lower]
        else:
            out.append(ch)
            continue
        out.append(_case_like(ch, latin, nxt))
    return "".join(out)


_LAT_DIGRAPHS: dict[str, str] = {
    "yo" + OKINA: "йў", "o" + OKINA: "ў", "g" + OKINA: "ғ", "s" + TUTUQ + "h": "сҳ", "sh": "ш", "ch": "ч",
    "yo": "ё", "yu": "ю", "ya": "я", "ye": "е",
}  # fmt: skip
_LAT_SINGLE: dict[str, str] = {
    "a": "а", "b": "б", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "ҳ", "i": "и", "j": "ж", "k": "к",
    "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "қ", "r": "р", "s": "с", "t": "т", "u": "у",
    "v": "в", "x": "х", "y": "й", "z": "з", "c": "с", "w": "в", TUTUQ: "ъ",
}  # fmt: skip
_LAT_TOKEN = re.compile(
    "|".join(re.escape(d) for d in sorted(_LAT_DIGRAPHS, key=len, reverse=True)) + "|.",
    re.IGNORECASE | re.DOTALL,
)
_OKINA_AFTER_O_G = re.compile(r"(?<=[oOgG])'")


def normalise_latin(text: str) -> str:
    """Uzbek Latin with every apostrophe variant replaced by the official oʻ/gʻ and ʼ letters."""
    text = re.sub(_APOSTROPHE_CLASS, "'", text)
    text = _OKINA_AFTER_O_G.sub(OKINA, text)
    return text.replace("'", TUTUQ)


def latin_to_cyrillic(text: str) -> str:
    """Uzbek Latin text (any apostrophe variant) in Uzbek Cyrillic; non-Uzbek characters pass through."""
    text = normalise_latin(text)
    out: list[str] = []
    for match in _LAT_TOKEN.finditer(text):
        token = match.group(0)
        lower = token.lower()
        start = match.start()
        prev = text[start - 1] if start > 0 else ""
        word_start = not (prev.isalpha() or prev == TUTUQ)
        if lower == "e":
            cyr = "э" if word_start else "е"
        elif lower == "ye" and not word_start and prev not in _LAT_VOWELS and prev != TUTUQ:
            cyr = "йе"  # after a consonant Cyrillic keeps the й (e.g. rare loan spellings)
        elif lower in _LAT_DIGRAPHS:
            cyr = _LAT_DIGRAPHS[lower]
        elif lower in _LAT_SINGLE:
            cyr = _LAT_SINGLE[lower]
        else:
            out.append(token)
            continue
        out.append(
            cyr.upper()
            if token[0].isupper() and (len(cyr) == 1 or token.isupper())
            else (cyr[0].upper() + cyr[1:] if token[0].isupper() else cyr)
        )
    return "".join(out)
