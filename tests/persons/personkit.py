"""Valid PINFLs and registry rows for the registry tests."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from izquvar.persons.importer import COLUMNS
from izquvar.persons.national_id import check_digit

TASHKENT = "1726"
CHILONZOR_LIKE = "1726262"  # a Tashkent city district with shipped (synthetic) mahallas
MAHALLA = "1726262-M001"
OTHER_DISTRICT = "1726264"
OTHER_MAHALLA = "1726264-M001"


def pinfl(birth: dt.date = dt.date(1985, 8, 15), sex: str = "M", serial: int = 1, district: int = 262) -> str:
    """A PINFL that passes every check, for this birth date and sex."""
    century = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (sex == "F")
    body = f"{century}{birth:%d%m}{birth.year % 100:02d}{district:03d}{serial:03d}"
    return body + str(check_digit(body))


def row(**values: Any) -> dict[str, Any]:
    """A valid registry row; keyword arguments replace its cells."""
    base: dict[str, Any] = {
        "national_id": pinfl(),
        "family_name": "Shodmonov",
        "given_name": "Alisher",
        "patronymic": "Rustamovich",
        "birth_date": "",
        "sex": "",
        "phones": "+998 90 123-45-67",
        "region_id": TASHKENT,
        "district_id": CHILONZOR_LIKE,
        "mahalla_id": MAHALLA,
        "street": "Bunyodkor koʻchasi",
        "house": "12",
        "preferred_language": "uz-Latn",
    }
    return base | values


def write_rows(path: Path, rows: Iterable[dict[str, Any]], columns: Sequence[str] = tuple(COLUMNS)) -> Path:
    """A registry CSV file with these rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path
