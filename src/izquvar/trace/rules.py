"""Every tracing rule in one typed, frozen object, so a health authority can set them per disease or country.

Defaults are the values the sources were written with (each field's comment names its source); a rules file
(TOML or JSON) gives partial overrides merged on these defaults, see docs/tracing.md.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from izquvar.errors import InvalidInput
from izquvar.trace.disease import COVID19_INFECTIOUSNESS, DiseaseProfile


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiseaseRules(_Section):
    """The infectious window and close-contact definition (WHO 2021 guidance, US CDC definition)."""

    name: str = "COVID-19"
    days_before_onset: int = Field(default=2, ge=0)
    days_infectious_after_onset: int = Field(default=10, ge=0)
    close_distance_m: float = Field(default=2.0, gt=0)
    close_minutes: float = Field(default=15.0, gt=0)
    #: Relative infectiousness by day from ``-days_before_onset`` (He et al., Nature Medicine 2020).
    infectiousness: tuple[float, ...] = COVID19_INFECTIOUSNESS
    #: Hours east of UTC of the population's local day (Uzbekistan, UTC+5).
    utc_offset_hours: float = 5.0

    def profile(self) -> DiseaseProfile:
        """The tracer's disease profile for these rules."""
        return DiseaseProfile(**self.model_dump())


class HouseholdRules(_Section):
    #: Local hours [start, end) when members are at home (household.py HOME_BLOCKS).
    home_blocks: tuple[tuple[int, int], ...] = ((0, 7), (18, 24))
    p_near: float = Field(default=0.9, ge=0, le=1)


class RosterRules(_Section):
    #: Local hours [start, end) a roster group meets, by group kind (roster.py HOURS).
    hours: dict[str, tuple[int, int]] = Field(default_factory=lambda: {"school_class": (8, 13), "department": (9, 18)})
    #: Weekdays a group meets, Monday = 0 (roster.py WEEKDAYS).
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    close_probability: float = Field(default=0.5, ge=0, le=1)


class BleRules(_Section):
    #: Attenuation bucket edges in dB, ascending (ble.py THRESHOLDS_DB, after the GAEN attenuation buckets).
    thresholds_db: tuple[float, float, float] = (55.0, 63.0, 73.0)
    #: Minutes weight per bucket immediate/near/medium/other (ble.py WEIGHTS).
    weights: tuple[float, float, float, float] = (1.5, 1.0, 0.5, 0.0)
    #: Chance of being within the close distance per bucket (ble.py P_NEAR).
    p_near: tuple[float, float, float, float] = (0.95, 0.7, 0.25, 0.05)

    @model_validator(mode="after")
    def _ascending(self) -> BleRules:
        if list(self.thresholds_db) != sorted(self.thresholds_db):
            raise ValueError("thresholds_db must be in ascending order")
        return self


class GpsRules(_Section):
    #: Search radius in metres for candidate stays (gps.py QUERY_M).
    query_m: float = Field(default=50.0, gt=0)
    #: Minimum total overlap in minutes (gps.py MIN_MINUTES).
    min_minutes: float = Field(default=5.0, ge=0)
    #: Floor of the centroid-distance standard error in metres (gps.py SIGMA_FLOOR_M).
    sigma_floor_m: float = Field(default=1.0, gt=0)
    #: Standard errors of distance within which two stays count as together (gps.py TOGETHER_SIGMAS).
    together_sigmas: float = Field(default=2.5, gt=0)


class VisitRules(_Section):
    #: Minimum visit length in minutes (visits.py MIN_MINUTES).
    min_minutes: float = Field(default=30.0, ge=0)
    #: Size of a home in metres (visits.py HOME_SIZE_M).
    home_size_m: float = Field(default=15.0, gt=0)
    sigmas: float = Field(default=2.5, gt=0)
    #: Largest matching radius in metres (visits.py MAX_RADIUS_M).
    max_radius_m: float = Field(default=60.0, gt=0)


class CheckinRules(_Section):
    pass


class CardRules(_Section):
    #: Two payments this many minutes apart or less count as one queue (card.py SAME_QUEUE_MIN).
    same_queue_minutes: float = Field(default=5.0, ge=0)


class CellRules(_Section):
    #: Most contacts kept per cell site and in total (cell.py MAX_PER_SITE, MAX_TOTAL).
    max_per_site: int = Field(default=200, ge=1)
    max_total: int = Field(default=1000, ge=1)
    #: Seconds of padding around a cell event (cell.py PAD_S).
    pad_s: int = Field(default=15 * 60, ge=0)
    p_near: float = Field(default=0.001, ge=0, le=1)


class PlaceRules(_Section):
    #: Seconds between cell events that still join one place (places.py CELL_GAP_S, CELL_PAD_S).
    cell_gap_s: int = Field(default=3600, ge=0)
    cell_pad_s: int = Field(default=15 * 60, ge=0)
    #: Certainty of a place by its source (places.py CERTAINTY).
    certainty: dict[str, float] = Field(
        default_factory=lambda: {"checkins": 0.7, "checkins_assumed": 0.6, "card": 0.5, "cell": 0.2}
    )


#: Floor area in m² per person by venue category (the sources' crowd-density figures).
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
#: Typical visit length in minutes, assumed when a check-in has no check-out or for a card payment.
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
    #: Floor area in m² per person by venue category (venues.py M2_PER_PERSON).
    m2_per_person: dict[str, float] = Field(default_factory=lambda: dict(_M2_PER_PERSON))
    #: Typical visit length in minutes by venue category (venues.py DWELL_MINUTES).
    dwell_minutes: dict[str, float] = Field(default_factory=lambda: dict(_DWELL_MINUTES))
    #: Share of the dwell before a card payment (venues.py SHARE_BEFORE_PAYMENT).
    share_before_payment: float = Field(default=0.8, ge=0, le=1)


class TracingRules(_Section):
    """Every rule the tracer applies."""

    disease: DiseaseRules = DiseaseRules()
    #: The one "near the registered home" radius in metres (household, visits, places and GPS).
    home_radius_m: float = Field(default=150.0, gt=0)
    household: HouseholdRules = HouseholdRules()
    roster: RosterRules = RosterRules()
    ble: BleRules = BleRules()
    gps: GpsRules = GpsRules()
    visits: VisitRules = VisitRules()
    checkins: CheckinRules = CheckinRules()
    card: CardRules = CardRules()
    cell: CellRules = CellRules()
    venues: VenueRules = VenueRules()
    places: PlaceRules = PlaceRules()

    @classmethod
    def load(cls, path: Path, disease: str | None = None) -> TracingRules:
        """Rules from a TOML or JSON file of partial overrides; ``[diseases."NAME"]`` tables override per disease."""
        try:
            text = Path(path).read_text(encoding="utf-8")
            raw: dict[str, Any] = json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"tracing rules {path}: cannot read: {exc}") from exc
        diseases = raw.pop("diseases", {})
        if disease is not None:
            if disease not in diseases and disease != raw.get("disease", {}).get("name", "COVID-19"):
                raise InvalidInput(f"tracing rules {path}: unknown disease {disease!r}")
            raw = _merge(raw, diseases.get(disease, {}))
            raw.setdefault("disease", {})["name"] = disease
        return cls.from_overrides(raw, origin=str(path))

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any], origin: str = "tracing rules") -> TracingRules:
        """The defaults with ``overrides`` (nested sections) merged on them."""
        try:
            return cls.model_validate(overrides)
        except ValidationError as exc:
            fields = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            raise InvalidInput(f"{origin}: {fields}") from exc

    def parameters(self) -> dict[str, float | int | str | bool]:
        """Every rule flattened with dotted keys, as a trace result records it."""
        return _flatten(self.model_dump(mode="json"))


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


def rules_from_settings() -> TracingRules:
    """The rules named by ``IZQUVAR_TRACING_RULES`` (settings), else the built-in ones."""
    from izquvar.config import get_settings

    path = get_settings().tracing_rules
    return TracingRules.load(path) if path is not None else TracingRules()


def load_rules(path: Path | None) -> TracingRules | None:
    """The rules of a ``--rules`` file, ``None`` (the settings' rules) without one."""
    return TracingRules.load(path) if path is not None else None
