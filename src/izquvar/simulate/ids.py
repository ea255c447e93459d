"""Raw identifiers that look like real ones, so ingest and pseudonymisation are tested on realistic strings.

- person: a 14-digit PINFL-like number: a century-and-sex digit (3/4 for men/women born 1900–1999, 5/6 for
  2000–2099), birth date DDMMYY, a 3-digit district code, a 3-digit serial and a check digit (weights 7, 3, 1
  repeating, mod 10). Unique by construction.
- phone: an MSISDN ``998`` + operator code + 7 digits, e.g. ``998901234567``; unique.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

#: Uzbek mobile operator prefixes and rough market shares (assumption; Uzmobile, Beeline, Ucell, Mobiuz).
OPERATOR_CODES: tuple[tuple[str, float], ...] = (
    ("90", 0.20),
    ("91", 0.08),
    ("93", 0.17),
    ("94", 0.10),
    ("97", 0.20),
    ("88", 0.10),
    ("99", 0.10),
    ("33", 0.05),
)

StrArray = npt.NDArray[np.str_]


def _digits(values: npt.NDArray[np.int64], width: int) -> npt.NDArray[np.int64]:
    """Digits of each value, most significant first, shape (n, width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return (values[:, None] // powers[None, :]) % 10


def pinfl(birth: npt.NDArray[np.int64], male: npt.NDArray[np.bool_], district_code: npt.NDArray[np.int64]) -> StrArray:
    """PINFL-like identifiers from birth dates (days since 1970-01-01), sex and a 3-digit district code."""
    n = len(birth)
    dates = np.datetime64("1970-01-01") + birth.astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    century = np.where(years >= 2000, np.where(male, 5, 6), np.where(male, 3, 4)).astype(np.int64)
    # serial: rank among people sharing birth date, sex and district, so identifiers never collide
    key = (birth * 2 + male.astype(np.int64)) * 1000 + district_code
    order = np.lexsort((np.arange(n), key))
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    starts = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    serial = np.empty(n, dtype=np.int64)
    serial[order] = np.arange(n) - starts
    if serial.max(initial=0) >= 1000:
        # more than 1000 people share a birth date, sex and district: spill into the district digits
        district_code = (district_code + serial // 1000) % 1000
        serial = serial % 1000
    body = ((((century * 100 + days) * 100 + months) * 100 + years % 100) * 1000 + district_code) * 1000 + serial
    digits = _digits(body, 13)
    weights = np.resize(np.array([7, 3, 1], dtype=np.int64), 13)
    check = (digits * weights).sum(axis=1) % 10
    full = body * 10 + check
    return np.char.zfill(full.astype(str), 14)


def msisdn(n: int, rng: np.random.Generator) -> StrArray:
    """``n`` distinct Uzbek mobile numbers (12 digits, ``998`` + operator code + 7 digits)."""
    codes = np.array([int(c) for c, _ in OPERATOR_CODES], dtype=np.int64)
    shares = np.array([s for _, s in OPERATOR_CODES], dtype=np.float64)
    operator = rng.choice(len(codes), size=n, p=shares / shares.sum())
    numbers = np.empty(n, dtype=np.int64)
    for index in range(len(codes)):
        members = np.flatnonzero(operator == index)
        if len(members):
            numbers[members] = rng.choice(10_000_000, size=len(members), replace=False)
    full = (998 * 100 + codes[operator]) * 10_000_000 + numbers
    return full.astype(str)


def days_since_epoch(day: dt.date) -> int:
    """Days from 1970-01-01 to ``day``."""
    return (day - dt.date(1970, 1, 1)).days
