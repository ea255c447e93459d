"""Uzbekistan's local time: one offset for the whole project."""

from __future__ import annotations

import datetime as dt

from izquvar.localtime import UZBEKISTAN_TZ, local_midnight


def test_local_midnight_in_tashkent_is_19_utc_the_day_before() -> None:
    midnight = local_midnight(dt.date(2026, 3, 3))
    assert midnight == dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)
    assert midnight.astimezone(UZBEKISTAN_TZ).hour == 0
