"""The personal identification number of an individual (PINFL, Uzbek JShShIR): what it encodes and how it is checked.

A PINFL has 14 digits ``S DDMMYY RRR NNN C``: ``S`` the century of birth and sex (1/2 men/women born in the
1800s, 3/4 in the 1900s, 5/6 in the 2000s), ``DDMMYY`` the birth date, ``RRR`` the code of the issuing
district, ``NNN`` a serial number and ``C`` a check digit. The number follows ICAO 9303 (machine-readable
travel documents), whose check digit is the sum of the digits weighted 7, 3, 1, 7, 3, 1, ... modulo 10.

The checks applied (:func:`check_pinfl`) are exactly these: 14 ASCII digits, a first digit 1–6, a birth date
that exists in the calendar, and the check digit. A registry row's birth date and sex must agree with what its
PINFL encodes (checked where the row is validated, ``models.PersonCreate``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

PINFL_DIGITS = 14
_WEIGHTS = (7, 3, 1)
_CENTURY: dict[str, tuple[int, str]] = {
    "1": (1800, "M"),
    "2": (1800, "F"),
    "3": (1900, "M"),
    "4": (1900, "F"),
    "5": (2000, "M"),
    "6": (2000, "F"),
}
_PATTERN = re.compile(rf"[0-9]{{{PINFL_DIGITS}}}")


@dataclass(frozen=True)
class PinflFacts:
    """What a valid PINFL says about its holder."""

    birth_date: dt.date
    sex: str  # "M" or "F", as the people feed writes it


def check_digit(first_13: str) -> int:
    """The ICAO 9303 check digit of the first 13 digits."""
    return sum(int(d) * _WEIGHTS[i % 3] for i, d in enumerate(first_13)) % 10


def check_pinfl(value: str) -> PinflFacts:
    """The birth date and sex a PINFL encodes; ``ValueError`` saying which check failed otherwise."""
    if not _PATTERN.fullmatch(value):
        raise ValueError(f"a PINFL is {PINFL_DIGITS} digits (got {len(value)} characters)")
    if value[0] not in _CENTURY:
        raise ValueError("a PINFL starts with 1 to 6 (century of birth and sex)")
    century, sex = _CENTURY[value[0]]
    try:
        birth = dt.date(century + int(value[5:7]), int(value[3:5]), int(value[1:3]))
    except ValueError:
        raise ValueError(f"digits 2-7 of a PINFL are the birth date DDMMYY; {value[1:7]} is no date") from None
    if check_digit(value[:13]) != int(value[13]):
        raise ValueError("the check digit (the 14th) does not match: a digit is mistyped")
    return PinflFacts(birth_date=birth, sex=sex)
