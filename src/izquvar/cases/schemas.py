"""What the case management takes in and gives out (pydantic v2): lab results, cases, proposed contacts, contacts.

Every string that comes in refuses control characters (a NUL byte cannot be stored by PostgreSQL, and no
name, code or test ever needs one): the service answers 422 naming the field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from izquvar.persons.national_id import PINFL_DIGITS

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_ID = 2**31 - 1

Classification = Literal["suspected", "probable", "confirmed", "not_a_case"]
LabResultValue = Literal["positive", "negative", "inconclusive"]
JobStatus = Literal["queued", "running", "done", "failed"]
ProposalStatus = Literal["proposed", "accepted", "rejected"]
ContactClass = Literal["close", "casual", "possible"]
Relation = Literal["household", "work", "school", "venue", "transport", "visit", "other"]
Outcome = Literal["recovered", "died", "unknown"]


def no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


#: The days a case-management date may fall on: dates far outside would overflow the window arithmetic.
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)


def plausible_day(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"{value} is outside {FIRST_DAY} to {LAST_DAY}")
    return value


#: A date of case management (2000 to 2100).
Day = Annotated[dt.date, AfterValidator(plausible_day)]

#: A single line of text: stripped, no control characters.
Text = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(no_control_characters)]
Code = Annotated[Text, StringConstraints(min_length=1, max_length=64)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabResultCreate(_In):
    """A laboratory result for a registered person, named by ``person_id`` or by ``national_id`` (PINFL)."""

    person_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    national_id: Annotated[Text, StringConstraints(pattern=rf"^[0-9]{{{PINFL_DIGITS}}}$")] | None = Field(
        default=None, description=f"the person's PINFL ({PINFL_DIGITS} digits), instead of person_id"
    )
    disease: Code = Field(default="COVID-19", description="a disease of the service's configuration")
    test: Code = Field(description="e.g. PCR, antigen")
    result: LabResultValue
    specimen_date: Day
    result_date: Day | None = None

    @model_validator(mode="after")
    def _check(self) -> LabResultCreate:
        if (self.person_id is None) == (self.national_id is None):
            raise ValueError("give exactly one of person_id and national_id")
        if self.result_date is not None and self.result_date < self.specimen_date:
            raise ValueError(f"result_date {self.result_date} is before specimen_date {self.specimen_date}")
        today = dt.datetime.now(dt.UTC).date()
        if self.specimen_date > today + dt.timedelta(days=1):
            raise ValueError(f"specimen_date {self.specimen_date} is in the future")
        return self


class LabResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int | None
    person_id: int
    disease: str
    test: str
    result: LabResultValue
    specimen_date: dt.date
    result_date: dt.date | None
    tracing_job_id: int | None
    created_at: dt.datetime


class TracingRead(BaseModel):
    """The newest tracing job of a case."""

    model_config = ConfigDict(from_attributes=True)

    job_id: int = Field(validation_alias="id")
    status: JobStatus
    attempts: int
    max_attempts: int
    error: str | None
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    summary: dict[str, Any] | None


class PersonBrief(BaseModel):
    """Who a case or contact is, as a case list shows them."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    national_id: str
    family_name: str
    given_name: str
    patronymic: str | None
    district_id: str | None


class CaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    person_id: int
    person: PersonBrief | None = None
    disease: str
    classification: Classification
    onset_date: dt.date | None
    specimen_date: dt.date | None
    isolation_date: dt.date | None
    outcome: Outcome | None
    hospitalised: bool
    investigating_user_id: int | None
    source_case_id: int | None
    region_id: str | None
    district_id: str | None
    infectious_window: tuple[dt.date, dt.date] | None = Field(
        default=None, description="first and last infectious day, from the disease's configuration"
    )
    follow_up_days: int | None = None
    confirmed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    tracing: TracingRead | None = Field(default=None, description="the newest tracing job; null before any")


#: What an epidemiologist may register a case as; ``confirmed`` needs the confirming ``test`` and its specimen date.
NewClassification = Literal["suspected", "probable", "confirmed"]
PersonNationalId = Annotated[Text, StringConstraints(pattern=rf"^[0-9]{{{PINFL_DIGITS}}}$")]


class CaseCreate(_In):
    """A case an epidemiologist registers for a registered person (``person_id`` or ``national_id``): suspected or
    probable on clinical grounds; confirmed only with the positive ``test`` and its ``specimen_date`` (which are
    stored as the lab result that confirms it)."""

    person_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    national_id: PersonNationalId | None = Field(
        default=None, description=f"the person's PINFL ({PINFL_DIGITS} digits), instead of person_id"
    )
    disease: Code = Field(default="COVID-19", description="a disease of the service's configuration")
    classification: NewClassification = "suspected"
    onset_date: Day = Field(description="the day symptoms began")
    test: Code | None = Field(default=None, description="the confirming test (classification confirmed only)")
    specimen_date: Day | None = Field(default=None, description="the positive specimen's day (confirmed only)")

    @field_validator("onset_date", "specimen_date")
    @classmethod
    def _not_in_future(cls, value: dt.date | None) -> dt.date | None:
        return _not_after_tomorrow(value)

    @model_validator(mode="after")
    def _check(self) -> CaseCreate:
        if (self.person_id is None) == (self.national_id is None):
            raise ValueError("give exactly one of person_id and national_id")
        return self

    def confirmation_problem(self) -> tuple[str, str] | None:
        """The field that is wrong for the classification, and why (the route answers 422 naming it)."""
        if self.classification == "confirmed":
            for name in ("test", "specimen_date"):
                if getattr(self, name) is None:
                    return name, f"a confirmed case needs its positive {name} (or post the lab result instead)"
            return None
        for name in ("test", "specimen_date"):
            if getattr(self, name) is not None:
                return name, f"{name} confirms a case: give it only with classification confirmed"
        return None


def _not_after_tomorrow(value: dt.date | None) -> dt.date | None:
    if value is not None and value > dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1):
        raise ValueError(f"{value} is in the future")
    return value


class ContactToCase(_In):
    """What is known of a contact who became a case (optional)."""

    onset_date: Day | None = Field(default=None, description="the day symptoms began, if they did")

    @field_validator("onset_date")
    @classmethod
    def _not_in_future(cls, value: dt.date | None) -> dt.date | None:
        return _not_after_tomorrow(value)


class CaseUpdate(_In):
    """A change to a case: only the fields given change; a new onset or isolation traces the case again."""

    classification: Classification | None = None
    onset_date: Day | None = None
    isolation_date: Day | None = None
    outcome: Outcome | None = None
    hospitalised: bool | None = None


class ProposedContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    id: int
    case_id: int
    person_id: int | None = Field(description="null for an unidentified subscriber")
    person: PersonBrief | None = None
    pseudonym: str
    klass: ContactClass = Field(
        validation_alias="contact_class", serialization_alias="class", description="close, casual or possible"
    )
    risk: float
    minutes: float
    max_daily_minutes: float
    closest_m: float | None
    attenuation_db: float | None
    setting: str
    sources: list[str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    evidence: list[dict[str, Any]]
    explanation: str
    status: ProposalStatus
    decided_by_user_id: int | None
    decided_at: dt.datetime | None
    contact_id: int | None


class AcceptContact(_In):
    """Optional corrections an epidemiologist makes when accepting a proposed contact."""

    relation: Relation | None = Field(default=None, description="default: from the traced setting")
    classification: ContactClass | None = Field(default=None, description="default: the traced class")


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    person_id: int | None
    person: PersonBrief | None = None
    pseudonym: str | None
    classification: ContactClass
    relation: Relation
    setting: str | None
    last_exposure_date: dt.date | None
    follow_up_until: dt.date | None = None
    risk: float | None
    minutes: float | None
    evidence: list[dict[str, Any]]
    explanation: str | None
    proposed_contact_id: int | None
    converted_case_id: int | None = Field(default=None, description="the case this contact was converted into")
    region_id: str | None
    district_id: str | None
    created_by_user_id: int | None
    created_at: dt.datetime


class BulkAccepted(BaseModel):
    """What a bulk acceptance did."""

    accepted: int
    contacts: list[ContactRead]


class DiseaseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    days_before_onset: int
    days_infectious_after_onset: int
    follow_up_days: int
    case_definitions: dict[str, str]
    tests: list[str]


class SecondDegreeContactRead(BaseModel):
    """A close contact of one of the case's close contacts (``via_contact_id``), over the days after that
    contact's exposure: a registered person, or an unidentified subscriber (``person_id`` null)."""

    model_config = ConfigDict(from_attributes=True, populate_by_name=True)

    via_contact_id: int = Field(description="the case's contact through whom this person was reached")
    via_person_id: int
    person_id: int | None = Field(default=None, description="null for an unidentified subscriber")
    person: PersonBrief | None = None
    pseudonym: str
    klass: ContactClass = Field(validation_alias="klass", serialization_alias="class")
    risk: float
    minutes: float
    first_seen: dt.datetime
    last_seen: dt.datetime
    setting: str
    sources: list[str]
    explanation: str


class SecondDegreeList(BaseModel):
    """One page of a case's second-degree contacts, with what the tracing covered."""

    items: list[SecondDegreeContactRead]
    limit: int
    offset: int
    next_offset: int | None
    total: int
    contacts_traced: int = Field(description="accepted, identified close contacts traced on the location store")
    not_in_store: list[int] = Field(description="contacts the location store does not know (ids)")
    skipped: list[int] = Field(description="contacts with no exposure before the quarantine day (ids)")
    elapsed_ms: float
