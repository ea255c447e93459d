"""Every tracing rule in one typed, frozen object, so a health authority can set them per disease or country.

Why one object: a rule that lives as a module constant can be neither set per disease nor recorded in a
result. The defaults are the values the sources were written with; each field's comment says its unit and
where the figure comes from. Loading order (docs/tracing-rules.md): these defaults, then the settings' rules
file (``IZQUVAR_TRACING_RULES``), or instead a ``--rules FILE``; a file gives partial overrides, and its
``[diseases."NAME"]`` tables override them again for one disease. A trace result records every rule
(:meth:`TracingRules.parameters`).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from izquvar.errors import InvalidInput
from izquvar.formats import RELATIONS
from izquvar.trace.disease import COVID19_INFECTIOUSNESS, DiseaseProfile

if TYPE_CHECKING:
    from izquvar.config import Settings

Grade = Literal["close", "casual", "possible"]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiseaseRules(_Section):
    """The infectious window and the close-contact definition (WHO contact-tracing guidance 2021, US CDC)."""

    name: str = "COVID-19"
    #: Days before onset (or specimen date) that the window opens (WHO 2021: 2 days for COVID-19).
    days_before_onset: int = Field(default=2, ge=0)
    #: Without isolation, days after onset that the window closes (WHO 2021: 10 days).
    days_infectious_after_onset: int = Field(default=10, ge=0)
    #: Metres within which two people are close (CDC: about 2 m / 6 ft).
    close_distance_m: float = Field(default=2.0, gt=0)
    #: Close minutes in one local day that make a close contact (CDC: a cumulative 15 minutes in 24 hours).
    close_minutes: float = Field(default=15.0, gt=0)
    #: Relative infectiousness by day from ``-days_before_onset`` (He et al., Nature Medicine 2020); risk only.
    infectiousness: tuple[float, ...] = COVID19_INFECTIOUSNESS
    #: Hours east of UTC of the population's local day, the "24 hours" of the close rule (Uzbekistan, UTC+5).
    utc_offset_hours: float = 5.0

    def profile(self) -> DiseaseProfile:
        """The tracer's disease profile for these rules."""
        return DiseaseProfile(**self.model_dump())

    @classmethod
    def of(cls, profile: DiseaseProfile) -> DiseaseRules:
        """The rules of a disease profile given in code."""
        return cls(**{name: getattr(profile, name) for name in cls.model_fields})


class HouseholdRules(_Section):
    """Household members assumed home together (household.py)."""

    #: Local hours [start, end) at home together each day: nights and evenings a working or schooling
    #: household shares (an assumption, docs/tracing.md).
    home_blocks: tuple[tuple[int, int], ...] = ((0, 7), (18, 24))
    #: Chance of being within the close distance while at home together: people who share a flat share its
    #: air and its table.
    p_near: float = Field(default=0.9, ge=0, le=1)


class RosterRules(_Section):
    """Classmates and department colleagues (roster.py)."""

    #: Local hours [start, end) a group meets by group kind when GPS says nothing (school shift 08-13,
    #: office day 09-18); an unknown kind meets as a department.
    hours: dict[str, tuple[int, int]] = Field(default_factory=lambda: {"school_class": (8, 13), "department": (9, 18)})
    #: Weekdays a group meets, Monday = 0 (a five-day school and working week).
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    #: Chance of at least one close day over the shared days at which a roster contact is close (more likely
    #: than not); below it, casual.
    close_probability: float = Field(default=0.5, ge=0, le=1)

    @model_validator(mode="after")
    def _department(self) -> RosterRules:
        if "department" not in self.hours:
            raise ValueError("hours must give 'department' (the hours of a group of another kind)")
        if any(not 0 <= lo < hi <= 24 for lo, hi in self.hours.values()):
            raise ValueError("hours must be [start, end) local hours within 0-24")
        return self


class BleRules(_Section):
    """Bluetooth attenuation buckets (ble.py, after the GAEN v2 risk model a health authority configures)."""

    #: Attenuation bucket edges in dB, ascending: immediate ≤ 55, near ≤ 63, medium ≤ 73, other above
    #: (GAEN ``attenuationDurationThresholds``).
    thresholds_db: tuple[float, float, float] = (55.0, 63.0, 73.0)
    #: Minutes weight per bucket immediate/near/medium/other (GAEN duration weights 150/100/50/0 %); buckets of
    #: weight ≥ 1 count towards the close minutes.
    weights: tuple[float, float, float, float] = (1.5, 1.0, 0.5, 0.0)
    #: Chance of being within the close distance per bucket: attenuation varies ±6 dB with pose and bodies.
    p_near: tuple[float, float, float, float] = (0.95, 0.7, 0.25, 0.05)
    #: Grade per bucket immediate/near/medium/other.
    grades: tuple[Grade, Grade, Grade, Grade] = ("close", "close", "casual", "possible")

    @model_validator(mode="after")
    def _ascending(self) -> BleRules:
        if list(self.thresholds_db) != sorted(self.thresholds_db):
            raise ValueError("thresholds_db must be in ascending order")
        return self


class GpsRules(_Section):
    """GPS co-location of two people's stays (gps.py)."""

    #: Metres within which stays are candidates (a phone's indoor error is ~25 m; twice that is searched).
    query_m: float = Field(default=50.0, gt=0)
    #: Minutes two candidate stays must overlap in total (shorter: passing by).
    min_minutes: float = Field(default=5.0, ge=0)
    #: Floor in metres of the centroid-distance standard error (no centroid is known better than 1 m).
    sigma_floor_m: float = Field(default=1.0, gt=0)
    #: Standard errors of distance within which two stays count as together (2.5 σ: ~99 % of true meetings).
    together_sigmas: float = Field(default=2.5, gt=0)
    #: ``p_near`` at or above which GPS evidence is close-grade (more likely than not within the distance).
    close_p_near: float = Field(default=0.5, ge=0, le=1)


class VisitRules(_Section):
    """Home visits found by GPS at registered homes (visits.py)."""

    #: Minutes a stay must last to be a visit (a *mehmon* visit lasts an hour or more; shorter is a doorstep).
    min_minutes: float = Field(default=30.0, ge=0)
    #: Metres added to the stay's error for a home's own size and its geocoding.
    home_size_m: float = Field(default=15.0, ge=0)
    #: Standard errors of the stay's position within which it is at the home.
    sigmas: float = Field(default=2.5, ge=0)
    #: Largest matching radius in metres, however imprecise the stay (homes are tens of metres apart).
    max_radius_m: float = Field(default=60.0, gt=0)
    #: Floor area in m² per occupant of a home (hosts and guest), for ``p_near`` (Uzbek housing ~15 m²/person).
    m2_per_occupant: float = Field(default=15.0, gt=0)


class CheckinRules(_Section):
    """QR check-ins (checkins.py); the assumed dwell without a check-out is a venue rule."""

    #: Seconds a check-in visit lasts at least (a check-out in the same minute as the check-in).
    min_visit_s: int = Field(default=60, ge=0)


class CardRules(_Section):
    """Card payments at one venue (card.py)."""

    #: Two payments this many minutes apart or less were in one queue at one till: casual; else possible.
    same_queue_minutes: float = Field(default=5.0, ge=0)
    #: Factor on the venue's disc share for ``p_near``: the visit around a payment is itself assumed (halved).
    p_near_factor: float = Field(default=0.5, ge=0, le=1)


class CellRules(_Section):
    """Operator records at the case's exposure sites (cell.py, after Korea's Itaewon rule of May 2020)."""

    #: Most people kept per exposure site, most minutes first: the list is for a text message, not follow-up.
    max_per_site: int = Field(default=200, ge=1)
    #: Most people kept per trace.
    max_total: int = Field(default=1000, ge=1)
    #: Seconds of padding around a subscriber's first and last record there (records are sparse).
    pad_s: int = Field(default=15 * 60, ge=0)
    #: Chance of being within the close distance: a cell covers hundreds of metres.
    p_near: float = Field(default=0.001, ge=0, le=1)


class InterviewRules(_Section):
    """People the case named when interviewed (sources/interview.py). The interview gives days, not minutes:
    the class comes from who the person is and how often they met, and the minutes below only weigh the risk."""

    #: Relations close on any day met: people who share a home, and a home visit (a *mehmon* visit is an hour
    #: or more at one table, as the visit rules assume).
    close_relations: tuple[str, ...] = ("household", "guest", "host")
    #: Relations close when met on ``close_days`` days or more (repeated time together may make 15 minutes
    #: within 2 m on one of them likely); on fewer days, their grade below. None by default: a statement of days
    #: does not measure the time, and the rosters, GPS and Bluetooth do. Measured on the simulator (docs/
    #: evaluation.md), relatives, friends, colleagues and classmates named on two days or more and made close by
    #: this rule were true close contacts about 4 times in 10, far below the 0.8 precision a close list needs.
    repeat_relations: tuple[str, ...] = ()
    close_days: int = Field(default=2, ge=1)
    #: Grade of a named person who is not close by the rules above: casual (told to watch for symptoms), but
    #: ``other`` possible (the case could not say how they know them).
    grades: dict[str, Grade] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]  # the literals are grades
            "household": "close", "relative": "casual", "friend": "casual", "colleague": "casual",
            "classmate": "casual", "guest": "casual", "host": "casual", "other": "possible",
        }
    )  # fmt: skip
    #: Minutes assumed together on a day met, by relation, for the risk only (household: the home blocks'
    #: 13 hours; a home visit 90; a school shift or office day in one room 300; friends 60; other 30).
    minutes_per_day: dict[str, float] = Field(
        default_factory=lambda: {
            "household": 780.0, "relative": 90.0, "friend": 60.0, "colleague": 300.0, "classmate": 300.0,
            "guest": 90.0, "host": 90.0, "other": 30.0,
        }
    )  # fmt: skip
    #: Chance of being within the close distance during that time (household as the household rule; a
    #: visit's table; a room shared by a class or a department as a 2 m disc of it, roughly; friends talk
    #: face to face).
    p_near: dict[str, float] = Field(
        default_factory=lambda: {
            "household": 0.9, "relative": 0.5, "friend": 0.5, "colleague": 0.1, "classmate": 0.1,
            "guest": 0.5, "host": 0.5, "other": 0.2,
        }
    )  # fmt: skip

    @model_validator(mode="after")
    def _relations(self) -> InterviewRules:
        for name in ("grades", "minutes_per_day", "p_near"):
            missing = set(RELATIONS) - set(getattr(self, name))
            if missing:
                raise ValueError(f"{name} must give every relation (missing {', '.join(sorted(missing))})")
        unknown = (set(self.close_relations) | set(self.repeat_relations)) - set(RELATIONS)
        if unknown:
            raise ValueError(f"unknown relations {', '.join(sorted(unknown))}; known: {', '.join(RELATIONS)}")
        if any(not 0 <= p <= 1 for p in self.p_near.values()):
            raise ValueError("p_near must be chances between 0 and 1")
        return self


#: Floor area in m² per person by venue category: classrooms 2.5 (SanPiN 2.4.2.2821-10), offices 6
#: (SanPiN 2.2.2/2.4.1340-03), dining 1.5 (catering norms 1.4-2.0), prayer halls ~1, vehicles at crush load.
_M2_PER_PERSON: dict[str, float] = {
    "school": 2.5,
    "workplace": 6.0,
    "bazaar": 2.0,
    "shop": 3.0,
    "restaurant": 1.5,
    "choyxona": 1.5,
    "mosque": 1.0,
    "gym": 5.0,
    "clinic": 3.0,
    "wedding_hall": 1.5,
    "metro": 0.35,
    "bus": 0.4,
    "park": 10.0,
    "other": 3.0,
}
#: Typical visit length in minutes by venue category (a school shift, a working day, a meal, a prayer, ...).
_DWELL_MINUTES: dict[str, float] = {
    "school": 300.0,
    "workplace": 480.0,
    "bazaar": 60.0,
    "shop": 15.0,
    "restaurant": 60.0,
    "choyxona": 90.0,
    "mosque": 30.0,
    "gym": 75.0,
    "clinic": 45.0,
    "wedding_hall": 180.0,
    "metro": 20.0,
    "bus": 20.0,
    "park": 60.0,
    "other": 60.0,
}


class VenueRules(_Section):
    """What the feeds do not say about venues: room size and visit length (venues.py)."""

    #: Floor area in m² per person by venue category; a category not listed counts as ``other``.
    m2_per_person: dict[str, float] = Field(default_factory=lambda: dict(_M2_PER_PERSON))
    #: Typical visit length in minutes by venue category, assumed for a check-in without a check-out and around
    #: a card payment; a category not listed counts as ``other``.
    dwell_minutes: dict[str, float] = Field(default_factory=lambda: dict(_DWELL_MINUTES))
    #: Share of the dwell before a card payment (people pay on leaving).
    share_before_payment: float = Field(default=0.8, ge=0, le=1)
    #: Capacity assumed for a venue the feed gives none (a small shop or café).
    default_capacity: float = Field(default=50.0, gt=0)
    #: Smallest zone floor area in m² (a kiosk or a lift is still a room of a few square metres).
    min_zone_area_m2: float = Field(default=4.0, gt=0)

    @model_validator(mode="after")
    def _other(self) -> VenueRules:
        for name in ("m2_per_person", "dwell_minutes"):
            if "other" not in getattr(self, name):
                raise ValueError(f"{name} must give 'other' (the figure of a category not listed)")
        return self


class PlaceRules(_Section):
    """The case's movement path (places.py)."""

    #: Seconds between two records of one cell that still join one place.
    cell_gap_s: int = Field(default=3600, ge=0)
    #: Seconds of padding around a run of cell records.
    cell_pad_s: int = Field(default=15 * 60, ge=0)
    #: Certainty of a place from this source alone (a check-out is a fact, an assumed dwell a guess, a payment
    #: an instant, a cell hundreds of metres).
    certainty: dict[str, float] = Field(
        default_factory=lambda: {"checkins": 0.7, "checkins_assumed": 0.6, "card": 0.5, "cell": 0.2}
    )
    #: Certainty of a GPS stay of perfect accuracy; it falls as ``exp(-accuracy / gps_certainty_scale_m)``.
    gps_certainty: float = Field(default=0.95, ge=0, le=1)
    gps_certainty_scale_m: float = Field(default=200.0, gt=0)

    @model_validator(mode="after")
    def _sources(self) -> PlaceRules:
        missing = {"checkins", "checkins_assumed", "card", "cell"} - set(self.certainty)
        if missing:
            raise ValueError(f"certainty must give {', '.join(sorted(missing))}")
        return self


class TracingRules(_Section):
    """Every rule the tracer applies, one section per source (see the module docstring)."""

    disease: DiseaseRules = DiseaseRules()
    #: The one "near the registered home" radius in metres: household nights contradicted by GPS, the case at
    #: home for a visit, a place's or a GPS contact's setting ``home`` (a block of flats and its yard).
    home_radius_m: float = Field(default=150.0, gt=0)
    household: HouseholdRules = HouseholdRules()
    roster: RosterRules = RosterRules()
    ble: BleRules = BleRules()
    gps: GpsRules = GpsRules()
    visits: VisitRules = VisitRules()
    checkins: CheckinRules = CheckinRules()
    card: CardRules = CardRules()
    cell: CellRules = CellRules()
    interview: InterviewRules = InterviewRules()
    venues: VenueRules = VenueRules()
    places: PlaceRules = PlaceRules()

    @classmethod
    def load(cls, path: Path, disease: str | None = None) -> TracingRules:
        """Rules from a TOML or JSON file of partial overrides; ``[diseases."NAME"]`` tables override them again
        when ``disease`` is NAME."""
        origin = f"tracing rules {path}"
        try:
            text = Path(path).read_text(encoding="utf-8")
            raw: dict[str, Any] = json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{origin}: cannot read: {exc}") from exc
        if not isinstance(raw, dict):
            raise InvalidInput(f"{origin}: expected a table of rules, got {type(raw).__name__}")
        diseases = raw.pop("diseases", {})
        if not isinstance(diseases, dict):
            raise InvalidInput(f"{origin}: diseases: expected tables named by disease")
        own = cls.from_overrides(raw, origin=origin)  # the file's own rules must hold whatever a disease adds
        if disease is None:
            return own
        if disease not in diseases and disease != own.disease.name:
            known = ", ".join(sorted({own.disease.name, *diseases}))
            raise InvalidInput(f"{origin}: unknown disease {disease!r} (the file has {known})")
        overrides = diseases.get(disease, {})
        if not isinstance(overrides, dict):
            raise InvalidInput(f"{origin}: diseases.{disease}: expected a table of rules")
        merged = _merge(raw, overrides)
        section = merged.setdefault("disease", {})
        if isinstance(section, dict):  # anything else is refused by the validation, naming the field
            merged["disease"] = {**section, "name": disease}
        return cls.from_overrides(merged, origin=f"{origin} (diseases.{disease})")

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any], origin: str = "tracing rules") -> TracingRules:
        """The defaults with ``overrides`` (nested sections, as in a file) merged on them."""
        try:
            return cls.model_validate(overrides)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"{origin}: {fields}") from exc

    def parameters(self) -> dict[str, float | int | str | bool]:
        """Every rule flattened with dotted keys (``gps.query_m``), as a trace result records it."""
        return _flatten(self.model_dump(mode="json"))


#: The built-in rules: what every source uses when built without rules of its own.
DEFAULT_RULES = TracingRules()


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, float | int | str | bool]:
    flat: dict[str, float | int | str | bool] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        elif isinstance(value, list):
            flat[name] = ",".join(json.dumps(v).replace(" ", "") if isinstance(v, list) else str(v) for v in value)
        else:
            flat[name] = value
    return flat


def rules_from_settings(settings: Settings | None = None) -> TracingRules:
    """The rules of the settings' file (``IZQUVAR_TRACING_RULES``, for ``IZQUVAR_TRACING_DISEASE``), else the
    built-in ones."""
    from izquvar.config import get_settings

    chosen = settings if settings is not None else get_settings()
    if chosen.tracing_rules is None:
        if chosen.tracing_disease is not None:
            raise InvalidInput("IZQUVAR_TRACING_DISEASE is set without IZQUVAR_TRACING_RULES (a file naming it)")
        return DEFAULT_RULES
    return TracingRules.load(chosen.tracing_rules, disease=chosen.tracing_disease)


def load_rules(path: Path | None, disease: str | None = None) -> TracingRules | None:
    """The rules of a ``--rules`` file (for ``--disease``), ``None`` (the settings' rules) without one."""
    if path is None:
        if disease is not None:
            raise InvalidInput("--disease needs --rules (a rules file with that disease's overrides)")
        return None
    return TracingRules.load(path, disease=disease)
