"""The script-independent search key of a name: "Шадманов", "Shadmanov" and "SHADMANOV" share ``shadmanov``.

Registries write Uzbek names in Latin or Cyrillic script, and people type any apostrophe for oʻ/gʻ (or none).
A key is the name transliterated to Uzbek Latin (``geo.transliterate``; Latin passes through unchanged),
lower-cased, with every apostrophe variant (ʻ ʼ ' ’ ‘ `) and everything else that is not a letter or digit
(spaces, hyphens, dots) dropped. A person's full-name key is the keys of family name, given name and
patronymic with one space between (``words_key``), so "Shadmanov Alisher" finds the person and "Shadmanova"
does not find Shadmanov Alisher. Dropping the apostrophes rather than unifying them lets "Ogabek" find
"Oʻgʻabek" as typed on a phone; the price, that "Isʼhoq" and "Ishoq" share a key, is what a search wants.

Keys are plain ASCII-like text compared byte for byte, so a prefix search is an indexed range scan on SQLite
and PostgreSQL alike (:func:`prefix_range`), with no database-specific function.
"""

from __future__ import annotations

import re
import unicodedata

from izquvar.geo.transliterate import APOSTROPHES, cyrillic_to_latin

#: A key longer than this is cut: names are at most a few words, and the index stays small.
KEY_LENGTH = 200
#: The character after every character a key can hold: ``key < prefix + _AFTER`` closes a prefix range.
_AFTER = "\U0010ffff"
#: ʻ and ʼ are letters to Unicode (modifier letters), so they are dropped by name, with the other apostrophes.
_DROPPED = str.maketrans("", "", APOSTROPHES)
_CYRILLIC = re.compile("[\u0400-\u04ff]")


def name_key(text: str) -> str:
    """The search key of a name or of a typed query (see the module docstring)."""
    text = unicodedata.normalize("NFC", text.strip())
    latin = cyrillic_to_latin(text) if _CYRILLIC.search(text) else text  # Latin passes through unchanged
    latin = latin.translate(_DROPPED)
    return "".join(ch for ch in latin.lower() if ch.isalnum())[:KEY_LENGTH]


def words_key(text: str) -> str:
    """The key of each word, one space between: a query of several words, matched against the full-name key."""
    return " ".join(key for key in (name_key(word) for word in text.split()) if key)[:KEY_LENGTH]


def prefix_range(prefix: str) -> tuple[str, str]:
    """The half-open key range ``[low, high)`` that holds exactly the keys starting with ``prefix``."""
    return prefix, prefix + _AFTER
