"""The identity registry's file format (``izquvar import persons``; the simulator writes the same file).

It lives with the feed formats at the bottom layer so that the importer (``persons/``) and the simulator, which
may not import each other, share one definition (docs/registry.md describes it).
"""

from __future__ import annotations

#: The columns of a registry file, in the order the template and the simulator write them, with what they hold.
PERSON_COLUMNS: dict[str, str] = {
    "national_id": "PINFL, 14 digits (required)",
    "family_name": "family name, Latin or Cyrillic script (required)",
    "given_name": "given name (required)",
    "patronymic": "patronymic (e.g. Alisherovich, Alisher oʻgʻli)",
    "birth_date": "YYYY-MM-DD (or a date cell); taken from the PINFL when empty",
    "sex": "F or M; taken from the PINFL when empty",
    "phones": "phone numbers separated by ';', any usual spelling",
    "region_id": "SOATO code of the region (e.g. 1726 for Tashkent city)",
    "district_id": "code of the district, inside the region",
    "mahalla_id": "code of the mahalla, inside the district",
    "street": "street, free text",
    "house": "house and flat, free text",
    "preferred_language": "uz-Latn, uz-Cyrl, ru or en",
}
PERSON_REQUIRED = ("national_id", "family_name", "given_name")
