"""Small pieces the feeds rely on: time conversion, identifiers, where someone was at a given minute."""

from __future__ import annotations

import datetime as dt

import numpy as np

from izquvar.simulate import SimConfig
from izquvar.simulate.clock import Clock
from izquvar.simulate.ids import msisdn, pinfl
from izquvar.simulate.schedule import HOME, RIDE, VENUE, Stays
from izquvar.simulate.sources.common import locate


def test_clock_local_midnight_is_19_utc_the_day_before() -> None:
    clock = Clock(SimConfig(start=dt.date(2026, 3, 2)))
    us = clock.to_utc_us(1, np.array([0.0, 90.5]))
    as_dt = [dt.datetime.fromtimestamp(u / 1e6, tz=dt.UTC) for u in us]
    assert as_dt[0] == dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)
    assert as_dt[1] == dt.datetime(2026, 3, 2, 20, 30, 30, tzinfo=dt.UTC)


def test_pinfl_unique_even_for_shared_birthdays() -> None:
    n = 3_000
    birth = np.full(n, 10_000, dtype=np.int64)  # everyone born on the same day
    male = np.arange(n) % 2 == 0
    ids = pinfl(birth, male, np.full(n, 266, dtype=np.int64))
    assert len(set(ids.tolist())) == n
    assert all(len(i) == 14 for i in ids)
    assert {i[0] for i in ids} == {"3", "4"}  # born 1997: men 3, women 4


def test_msisdn_unique_and_well_formed() -> None:
    numbers = msisdn(50_000, np.random.default_rng(0))
    assert len(set(numbers.tolist())) == len(numbers)
    assert all(len(n) == 12 and n.startswith("998") for n in numbers[:1000])


def test_locate_inside_stays_rides_and_travel() -> None:
    stays = Stays(
        person=np.array([0, 0, 0, 0]),
        place=np.array([10, 5, 6, 10]),
        zone=np.zeros(4, dtype=np.int64),
        start=np.array([0.0, 480.0, 520.0, 1000.0]),
        end=np.array([470.0, 500.0, 900.0, 1440.0]),
        kind=np.array([HOME, RIDE, VENUE, HOME], dtype=np.int8),
        x0=np.array([0.0, 0.0, 1000.0, 0.0]),
        y0=np.zeros(4),
        x1=np.array([0.0, 1000.0, 1000.0, 0.0]),
        y1=np.zeros(4),
    )
    minute = np.array([100.0, 475.0, 490.0, 600.0, 950.0, 1200.0])
    x, _, idx, inside = locate(stays, np.zeros(len(minute), dtype=np.int64), minute)
    assert inside.tolist() == [True, False, True, True, False, True]
    assert np.allclose(x, [0.0, 0.0, 500.0, 1000.0, 500.0, 0.0])
    assert idx.tolist() == [0, 0, 1, 2, 2, 3]
