"""Every parameter of the outbreak simulator in one frozen, validated place.

Each default is a documented assumption or comes from a cited source (docs/simulator.md lists them). The
imperfections of the data feeds are parameters like any other, so an experiment can switch one off and see
what it costs tracing. Nothing here is tuned to make tracing look good.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

from izquvar.errors import InvalidInput
from izquvar.formats import RELATIONS
from izquvar.localtime import UZBEKISTAN_UTC_OFFSET

#: Feeds the simulator can write (formats/feeds.py kinds), in the order they are produced.
ALL_SOURCES: tuple[str, ...] = (
    "people",
    "rosters",
    "venues",
    "towers",
    "merchants",
    "gps",
    "cell",
    "card",
    "checkins",
    "ble",
    "lab",
    "interviews",
)

#: Feeds that are events in time, written one directory per day.
EVENT_SOURCES: tuple[str, ...] = ("gps", "cell", "card", "checkins", "ble", "lab", "interviews")

#: A fixed Monday so that a seed alone makes a run fully deterministic.
DEFAULT_START = dt.date(2026, 3, 2)


@dataclass(frozen=True)
class SimConfig:
    """All parameters of one simulation; equal configs give byte-identical output."""

    people: int = 10_000
    days: int = 14
    seed: int = 1
    start: dt.date = DEFAULT_START
    #: ``"parquet"`` or ``"csv"``.
    format: str = "parquet"
    #: Feeds to write; truth tables are always written.
    sources: tuple[str, ...] = ALL_SOURCES
    #: Compute the close-contact truth table (pairs within 2 m for 15 min); costly at a million people.
    close_contacts: bool = True
    #: Local time offset of Tashkent (UTC+5, no daylight saving since 1992).
    utc_offset_hours: int = int(UZBEKISTAN_UTC_OFFSET.total_seconds()) // 3600

    # --- phones and apps ------------------------------------------------------------------------------------
    phone_owner_share: float = 0.85
    phone_owner_min_age: int = 13
    app_user_share: float = 0.30

    # --- GPS ------------------------------------------------------------------------------------------------
    gps_interval_still_s: int = 300
    gps_interval_moving_s: int = 60
    gps_sigma_outdoor_m: float = 8.0
    gps_sigma_indoor_m: float = 25.0
    gps_loss: float = 0.10
    #: The Tashkent metro runs underground: a phone there gets no GPS fix.
    gps_fix_in_metro: bool = False

    # --- mobile operator ------------------------------------------------------------------------------------
    cell_interval_min_min: float = 30.0
    cell_interval_max_min: float = 60.0
    tower_spacing_m: float = 500.0
    tower_range_min_m: float = 300.0
    tower_range_max_m: float = 1_500.0
    #: Share of events served by the second- or third-nearest cell (load balancing, walls, cell breathing).
    cell_not_nearest_share: float = 0.2

    # --- cards ----------------------------------------------------------------------------------------------
    card_holder_share: float = 0.44
    card_payment_share: float = 0.40

    # --- QR check-ins ---------------------------------------------------------------------------------------
    checkin_compliance: float = 0.70
    checkout_share: float = 0.50
    checkin_categories: tuple[str, ...] = (
        "restaurant",
        "choyxona",
        "gym",
        "wedding_hall",
        "mosque",
        "clinic",
    )

    # --- Bluetooth ------------------------------------------------------------------------------------------
    ble_range_m: float = 5.0
    ble_noise_db: float = 6.0
    ble_scan_interval_s: int = 300
    #: Attenuation at 1 m and path-loss exponent of the log-distance model.
    ble_attenuation_1m_db: float = 55.0
    ble_path_loss_exponent: float = 2.0

    # --- epidemic -------------------------------------------------------------------------------------------
    index_cases: int = 10
    #: Hazard per 5-minute slot at 1 m face to face, per unit of infectiousness density (per day).
    beta_close: float = 0.006
    #: Hazard per 5-minute slot of sharing indoor air with unit infectiousness, per 100 m² of room.
    beta_air: float = 0.0018
    #: Decay length of close-range transmission with distance, metres.
    close_range_decay_m: float = 1.0
    #: Relative transmission outdoors (Nishiura et al.: closed settings 18.7× the odds).
    outdoor_factor: float = 1.0 / 18.7
    asymptomatic_share: float = 0.33
    asymptomatic_relative_infectiousness: float = 0.35
    incubation_meanlog: float = 1.621
    incubation_sdlog: float = 0.418

    # --- testing and isolation ------------------------------------------------------------------------------
    symptomatic_test_share: float = 0.6
    #: Probabilities of 0, 1, 2, ... days from onset to specimen.
    onset_to_specimen_days: tuple[float, ...] = (0.15, 0.30, 0.25, 0.15, 0.10, 0.05)
    pcr_share: float = 0.75
    #: Probabilities of 0, 1, 2 days from specimen to PCR result (antigen results are same-day).
    pcr_result_delay_days: tuple[float, ...] = (0.2, 0.6, 0.2)
    pcr_specificity: float = 0.998
    pcr_inconclusive: float = 0.01
    antigen_sensitivity_symptomatic: float = 0.72
    antigen_sensitivity_asymptomatic: float = 0.58
    antigen_specificity: float = 0.996
    household_contact_test_share: float = 0.5
    self_isolation_at_onset: float = 0.3
    isolation_days: int = 10
    #: Daily probability that anyone is tested for reasons unrelated to infection (admission, travel).
    background_test_rate: float = 0.001

    # --- case interviews (simulate/sources/interviews.py; sources in docs/simulator.md, "Interviews") ----------
    #: Share of confirmed cases a tracer reaches (NHS Test and Trace, England, autumn 2020: 80-87 % reached).
    interview_reached_share: float = 0.85
    #: Probabilities of 0, 1, 2, 3 days from the positive result to the interview (NHS Test and Trace 2020:
    #: most cases reached within a day of referral, a tail of several days).
    interview_delay_days: tuple[float, ...] = (0.5, 0.3, 0.15, 0.05)
    #: Days before symptom onset (or the specimen) the interview asks about (WHO contact tracing guidance 2021).
    interview_days_before_onset: int = 2
    #: Minutes together in one room or home that make a meeting someone could name (an assumption).
    interview_min_overlap_min: float = 15.0
    #: Chance of naming a person met the day before, by relation (household near-complete; the rest an
    #: assumption after Mastrandrea et al. 2015 and Smieszek et al. 2014: long, familiar contacts are mostly
    #: reported, short ones rarely). Strangers are never named.
    interview_recall: dict[str, float] = dataclasses.field(
        default_factory=lambda: {
            "household": 0.98,
            "relative": 0.85,
            "host": 0.85,
            "guest": 0.85,
            "friend": 0.7,
            "classmate": 0.6,
            "colleague": 0.6,
            "other": 0.3,
        }
    )
    #: Exponent of the power-law decline of recall with the days since the meeting (Broda et al. 2024, PNAS
    #: Nexus 3:pgae283: reported contacts ∝ delay^-0.075 over 1-14 days, UK sample).
    interview_recall_exponent: float = -0.075
    #: How a named person is recorded, by relation: shares (national ID, phone, name only); a phone only when
    #: the person has one, else the name (an assumption: household and colleagues via the registry and the
    #: employer, friends by phone, classmates often only by name).
    interview_identified: dict[str, tuple[float, float, float]] = dataclasses.field(
        default_factory=lambda: {
            "household": (0.95, 0.05, 0.0),
            "relative": (0.4, 0.5, 0.1),
            "host": (0.4, 0.5, 0.1),
            "guest": (0.4, 0.5, 0.1),
            "friend": (0.1, 0.7, 0.2),
            "classmate": (0.2, 0.3, 0.5),
            "colleague": (0.4, 0.4, 0.2),
            "other": (0.1, 0.4, 0.5),
        }
    )

    # --- daily life -----------------------------------------------------------------------------------------
    employment_share: float = 0.60
    school_days: tuple[int, ...] = (0, 1, 2, 3, 4)
    saturday_work_share: float = 0.30
    metro_commute_share: float = 0.15
    bus_commute_share: float = 0.20
    lunch_out_share: float = 0.25
    friday_prayer_share: float = 0.40
    marriages_per_1000_year: float = 9.0

    def __post_init__(self) -> None:
        self._check()

    def _check(self) -> None:
        if self.people < 10:
            raise InvalidInput(f"simulate: people must be at least 10 (got {self.people}).")
        if not 1 <= self.days <= 366:
            raise InvalidInput(f"simulate: days must be between 1 and 366 (got {self.days}).")
        if self.format not in ("parquet", "csv"):
            raise InvalidInput(f"simulate: format must be parquet or csv (got {self.format!r}).")
        unknown = sorted(set(self.sources) - set(ALL_SOURCES))
        if unknown:
            raise InvalidInput(f"simulate: unknown sources {unknown}; known: {', '.join(ALL_SOURCES)}.")
        if not 0 <= self.seed < 2**63:
            raise InvalidInput(f"simulate: seed must be a non-negative 63-bit integer (got {self.seed}).")
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            is_share = f.name.endswith(("_share", "_loss", "_compliance", "_specificity", "_inconclusive"))
            is_share = is_share or f.name.startswith("antigen_sensitivity")
            if is_share and (not isinstance(value, float | int) or not 0.0 <= float(value) <= 1.0):
                raise InvalidInput(f"simulate: {f.name} must be a share between 0 and 1 (got {value!r}).")
        self._check_interviews()
        for name in ("onset_to_specimen_days", "pcr_result_delay_days", "interview_delay_days"):
            probs = getattr(self, name)
            if not probs or any(p < 0 for p in probs) or abs(sum(probs) - 1.0) > 1e-6:
                raise InvalidInput(f"simulate: {name} must be probabilities summing to 1 (got {probs}).")
        positive = (
            "gps_interval_still_s",
            "gps_interval_moving_s",
            "tower_spacing_m",
            "ble_range_m",
            "ble_scan_interval_s",
            "isolation_days",
            "close_range_decay_m",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise InvalidInput(f"simulate: {name} must be positive (got {getattr(self, name)!r}).")
        if self.ble_scan_interval_s % 300 != 0:
            raise InvalidInput("simulate: ble_scan_interval_s must be a multiple of 300 s (the 5-minute slot).")
        if not self.cell_interval_min_min <= self.cell_interval_max_min:
            raise InvalidInput("simulate: cell_interval_min_min must not exceed cell_interval_max_min.")
        if not self.tower_range_min_m <= self.tower_range_max_m:
            raise InvalidInput("simulate: tower_range_min_m must not exceed tower_range_max_m.")
        if self.index_cases > self.people:
            raise InvalidInput("simulate: more index cases than people.")
        for day in self.school_days:
            if not 0 <= day <= 6:
                raise InvalidInput(f"simulate: school_days holds weekday numbers 0 (Monday) to 6, not {day}.")

    def _check_interviews(self) -> None:
        for name in ("interview_recall", "interview_identified"):
            value = getattr(self, name)
            if not isinstance(value, dict) or sorted(value) != sorted(RELATIONS):
                raise InvalidInput(f"simulate: {name} must give every relation ({', '.join(RELATIONS)}).")
        for relation, p in self.interview_recall.items():
            if not 0.0 <= float(p) <= 1.0:
                raise InvalidInput(f"simulate: interview_recall[{relation}] must be a share (got {p!r}).")
        for relation, shares in self.interview_identified.items():
            if len(shares) != 3 or any(s < 0 for s in shares) or abs(sum(shares) - 1.0) > 1e-6:
                raise InvalidInput(
                    f"simulate: interview_identified[{relation}] must be three shares (ID, phone, name) summing to 1."
                )
        if self.interview_recall_exponent > 0:
            raise InvalidInput("simulate: interview_recall_exponent must not be positive (recall does not grow).")
        if self.interview_days_before_onset < 0 or self.interview_min_overlap_min < 0:
            raise InvalidInput("simulate: interview_days_before_onset and interview_min_overlap_min must be >= 0.")

    def wants(self, source: str) -> bool:
        """Whether feed ``source`` is written."""
        return source in self.sources

    def to_json(self) -> dict[str, Any]:
        """The config as plain JSON values, for ``simulation.json``."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dt.date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, dict):
                value = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
            out[f.name] = value
        return out

    def replace(self, **changes: Any) -> SimConfig:
        """A copy with some parameters changed (validated again)."""
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise InvalidInput(f"simulate: unknown parameters {unknown}.")
        return dataclasses.replace(self, **changes)
