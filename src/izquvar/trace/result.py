"""What a trace answers: the case's places and contacts, each with its evidence.

These pydantic models are the contract every other part reads (CLI, reports, the service, evaluation):
``TraceResult.to_json()`` is the JSON documented in docs/trace-json.md, and
``TraceResult.model_json_schema()`` is its JSON Schema (docs/trace-schema.json is generated from it).
Times are UTC; persons are pseudonyms, never raw identifiers.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SCHEMA_VERSION: Literal["izquvar.trace/1"] = "izquvar.trace/1"

#: The data sources a piece of evidence can come from.
Source = Literal["gps", "cell", "card", "checkins", "ble", "household", "roster", "interview"]
#: Contact classes: close follows the WHO/CDC definition (≤ ~2 m for ≥ 15 min cumulative in 24 h).
ContactClass = Literal["close", "casual", "possible"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AreaRef(_Model):
    """Where something was in the area hierarchy (ids are SOATO-based codes; names in the report language)."""

    region_id: str | None = None
    region: str | None = None
    district_id: str | None = None
    district: str | None = None
    mahalla_id: str | None = None
    mahalla: str | None = None


class VenueRef(_Model):
    """A venue as the report shows it."""

    venue_id: str
    name: str
    category: str
    indoor: bool


class Place(_Model):
    """One stop on the case's movement path."""

    start: AwareDatetime
    end: AwareDatetime
    minutes: float = Field(ge=0)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    venue: VenueRef | None = None
    #: Private places (the case's home, homes visited) are marked so public outputs can leave them out.
    setting: str
    area: AreaRef
    sources: list[Source]
    #: How sure izquvar is that the case was here then, in [0, 1] (more, and more precise, sources: higher).
    certainty: float = Field(ge=0, le=1)


class Evidence(_Model):
    """One observation that puts a contact near the case."""

    source: Source
    start: AwareDatetime
    end: AwareDatetime
    minutes: float = Field(ge=0)
    venue: VenueRef | None = None
    area: AreaRef | None = None
    lat: float | None = None
    lon: float | None = None
    #: Distance between the two (GPS, rosters' room), metres; ``None`` where the source gives none.
    distance_m: float | None = Field(default=None, ge=0)
    #: Bluetooth attenuation, dB (lower is nearer).
    attenuation_db: float | None = Field(default=None, ge=0)
    detail: str = ""


class Contact(_Model):
    """A person the data puts near the case in space and time, ranked by risk."""

    person: str
    klass: ContactClass
    risk: float = Field(ge=0, le=1)
    #: Cumulative minutes near the case (union over sources, each minute counted once).
    minutes: float = Field(ge=0)
    #: Cumulative minutes on the worst 24-hour day, what the close-contact definition counts.
    max_daily_minutes: float = Field(ge=0)
    closest_m: float | None = Field(default=None, ge=0)
    strongest_attenuation_db: float | None = Field(default=None, ge=0)
    setting: str
    sources: list[Source]
    first_seen: AwareDatetime
    last_seen: AwareDatetime
    #: One line in plain words, e.g. "3 h 10 min in the same classroom (roster + GPS)".
    explanation: str
    evidence: list[Evidence]


class CaseRef(_Model):
    person: str
    onset: dt.date
    isolation: dt.date | None = None
    window_start: AwareDatetime
    window_end: AwareDatetime


class TraceSummary(_Model):
    places: int
    contacts: dict[ContactClass, int]
    sources_used: list[Source]
    elapsed_ms: float


class TraceResult(_Model):
    """Everything a trace found for one case."""

    schema_version: Literal["izquvar.trace/1"] = SCHEMA_VERSION
    case: CaseRef
    parameters: dict[str, float | int | str | bool]
    places: list[Place]
    contacts: list[Contact]
    summary: TraceSummary

    def to_json(self, indent: int | None = 2) -> str:
        """The documented JSON (docs/trace-json.md)."""
        return self.model_dump_json(indent=indent)
