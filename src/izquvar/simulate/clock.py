"""Simulation time: local minutes of a simulated day to UTC microseconds and dates."""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

from izquvar.simulate.config import SimConfig
from izquvar.simulate.ids import days_since_epoch

US_PER_MIN = 60_000_000
US_PER_DAY = 86_400_000_000


class Clock:
    """Converts (day, local minute) to UTC epoch microseconds for one simulation."""

    def __init__(self, config: SimConfig) -> None:
        self.start = config.start
        self.offset_us = config.utc_offset_hours * 3_600_000_000
        self.epoch_day0 = days_since_epoch(config.start)

    def day_start_us(self, day: int) -> int:
        """UTC microseconds of local midnight starting simulation day ``day``."""
        return (self.epoch_day0 + day) * US_PER_DAY - self.offset_us

    def to_utc_us(self, day: int, minutes: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        """UTC microseconds of local ``minutes`` after midnight of ``day``, to the whole second."""
        seconds = np.round(np.asarray(minutes, dtype=np.float64) * 60.0).astype(np.int64)
        return self.day_start_us(day) + seconds * 1_000_000

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def epoch_days(self, day: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Days since 1970-01-01 of simulation days (for date32 columns)."""
        return self.epoch_day0 + np.asarray(day, dtype=np.int64)
