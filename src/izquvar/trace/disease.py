"""Per-disease tracing profile: the infectious window, the close-contact definition and infectiousness by day.

Why a profile: every number a tracer uses to decide "close" or "how risky" is a public-health parameter, not a
constant of the code. The COVID-19 defaults follow WHO's contact-tracing guidance (2021) and the US CDC
definition: infectious from 2 days before symptom onset (or before the specimen date when asymptomatic) until
isolation; a close contact is within about 2 m for a cumulative 15 minutes or more in 24 hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.errors import InvalidInput
from izquvar.localtime import UZBEKISTAN_UTC_OFFSET, local_midnight

#: Relative infectiousness by day since onset, from day -2 to day +10 (peak at onset, about 44 % of
#: transmission before symptoms; shape after He et al., Nature Medicine 26, 672-675, 2020). Days outside the
#: table count as the nearest end; the curve weights risk, it never decides whether someone is a contact.
COVID19_INFECTIOUSNESS = (0.6, 0.85, 1.0, 0.95, 0.85, 0.7, 0.55, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05)


@dataclass(frozen=True)
class DiseaseProfile:
    """What "infectious" and "close" mean for one disease."""

    name: str = "COVID-19"
    #: Days before onset (or specimen date) that the window opens.
    days_before_onset: int = 2
    #: When the case never isolated: days after onset that the window closes.
    days_infectious_after_onset: int = 10
    close_distance_m: float = 2.0
    close_minutes: float = 15.0
    #: Infectiousness by day since onset, starting at ``-days_before_onset``.
    infectiousness: tuple[float, ...] = COVID19_INFECTIOUSNESS
    #: Local time of the population, hours east of UTC: "a day" for the 24-hour rule is a local calendar day.
    utc_offset_hours: float = UZBEKISTAN_UTC_OFFSET.total_seconds() / 3600

    def __post_init__(self) -> None:
        if self.days_before_onset < 0 or self.days_infectious_after_onset < 0:
            raise InvalidInput("disease profile: window days must not be negative")
        if self.close_distance_m <= 0 or self.close_minutes <= 0:
            raise InvalidInput("disease profile: close distance and minutes must be positive")
        if not self.infectiousness or any(not 0.0 <= w <= 1.0 for w in self.infectiousness):
            raise InvalidInput("disease profile: infectiousness weights must lie in [0, 1]")

    @property
    def utc_offset(self) -> dt.timedelta:
        return dt.timedelta(hours=self.utc_offset_hours)

    def local_midnight(self, day: dt.date) -> dt.datetime:
        """The UTC instant at which local calendar ``day`` begins."""
        return local_midnight(day, self.utc_offset)

    def window(
        self, onset: dt.date, isolation: dt.date | None = None, data_end: dt.datetime | None = None
    ) -> tuple[dt.datetime, dt.datetime]:
        """The infectious window ``[start, end)`` in UTC.

        Opens at local midnight ``days_before_onset`` days before ``onset``; closes at local midnight of the
        isolation day, or, without isolation, ``days_infectious_after_onset`` days after onset or at the end of
        the data, whichever comes first.
        """
        if isolation is not None and isolation < onset - dt.timedelta(days=self.days_before_onset):
            raise InvalidInput(
                f"isolation {isolation.isoformat()} is before the infectious window opens "
                f"({self.days_before_onset} days before onset {onset.isoformat()})"
            )
        start = self.local_midnight(onset - dt.timedelta(days=self.days_before_onset))
        if isolation is not None:
            end = self.local_midnight(isolation)
        else:
            end = self.local_midnight(onset + dt.timedelta(days=self.days_infectious_after_onset + 1))
            if data_end is not None:
                end = max(start, min(end, data_end))
        return start, end

    def infectiousness_at(self, seconds: npt.NDArray[np.int64], onset: dt.date) -> npt.NDArray[np.float64]:
        """Relative infectiousness at each time (Unix seconds), by local days since onset."""
        day0 = int(self.local_midnight(onset).timestamp())
        days = np.floor_divide(np.asarray(seconds, dtype=np.int64) - day0, 86_400)
        slot = np.clip(days + self.days_before_onset, 0, len(self.infectiousness) - 1)
        weights: npt.NDArray[np.float64] = np.asarray(self.infectiousness, dtype=np.float64)[slot]
        return weights


COVID19 = DiseaseProfile()
