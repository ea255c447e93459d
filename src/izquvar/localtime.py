"""Uzbekistan's local time: UTC+5 all year, no daylight saving since 1992.

Dates people give (symptom onset, isolation, specimen) are local dates, "a day" in the 24-hour close-contact
rule is a local calendar day, and reports show local time; storage stays UTC.
"""

from __future__ import annotations

import datetime as dt

UZBEKISTAN_UTC_OFFSET = dt.timedelta(hours=5)
UZBEKISTAN_TZ = dt.timezone(UZBEKISTAN_UTC_OFFSET, "UTC+05")


def local_midnight(day: dt.date, offset: dt.timedelta = UZBEKISTAN_UTC_OFFSET) -> dt.datetime:
    """The UTC instant at which local date ``day`` begins."""
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) - offset
