"""Persons of the identity registry: the tables, and the schemas that validate what comes in and goes out.

The registry is the one place where a person's national ID and phones sit beside their name (split custody:
the location store holds only keyed pseudonyms of them, see ``service.person_for_pseudonym``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from izquvar.db import Base, UtcDateTime, utcnow
from izquvar.errors import InvalidInput
from izquvar.geo.areas import AreaIndex
from izquvar.i18n import LANGS, Lang, parse_lang
from izquvar.ingest.phone import EXPECTED as PHONE_EXPECTED
from izquvar.ingest.phone import canonical_one
from izquvar.persons.national_id import PINFL_DIGITS, check_pinfl
from izquvar.persons.search_key import KEY_LENGTH, name_key

NAME_LENGTH = 100
STREET_LENGTH = 200
HOUSE_LENGTH = 50
AREA_ID_LENGTH = 32
MSISDN_LENGTH = 15
Sex = Literal["F", "M"]


def _key_column() -> String:
    """A search-key column: on PostgreSQL in the ``C`` collation, so key order is byte order as on SQLite and a
    prefix range uses the plain b-tree index whatever the server's locale."""
    return String(KEY_LENGTH).with_variant(String(KEY_LENGTH, collation="C"), "postgresql")


class Person(Base):
    """One person of the population registry."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    national_id: Mapped[str] = mapped_column(String(PINFL_DIGITS), unique=True)
    family_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    given_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    patronymic: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    region_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    district_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH), index=True)
    mahalla_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    street: Mapped[str | None] = mapped_column(String(STREET_LENGTH))
    house: Mapped[str | None] = mapped_column(String(HOUSE_LENGTH))
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    #: Search keys (``search_key.name_key``), kept in step with the names by :meth:`set_names`.
    family_key: Mapped[str] = mapped_column(_key_column(), index=True)
    given_key: Mapped[str] = mapped_column(_key_column(), index=True)
    #: Family, given and patronymic keys with a space between: "Shadmanov Alisher" finds the full name.
    full_key: Mapped[str] = mapped_column(_key_column(), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    phones: Mapped[list[PersonPhone]] = relationship(
        back_populates="person", cascade="all, delete-orphan", order_by="PersonPhone.id", lazy="selectin"
    )

    def set_names(self, family_name: str, given_name: str, patronymic: str | None) -> None:
        """Set the names and their search keys together, so a key never disagrees with its name."""
        self.family_name, self.given_name, self.patronymic = family_name, given_name, patronymic
        self.family_key, self.given_key, self.full_key = search_keys(family_name, given_name, patronymic)


class PersonPhone(Base):
    """A phone number registered to a person (canonical MSISDN); a number belongs to one person at a time."""

    __tablename__ = "person_phones"
    __table_args__ = (Index("ix_person_phones_person_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    msisdn: Mapped[str] = mapped_column(String(MSISDN_LENGTH), unique=True)

    person: Mapped[Person] = relationship(back_populates="phones")


#: Characters of a store pseudonym (a hex HMAC-SHA-256, possibly shortened) the registry's table can hold.
PSEUDONYM_LENGTH = 64
#: Characters of the identifier of a pseudonym key (``persons.pseudonyms.key_id``).
KEY_ID_LENGTH = 16


class RegistryPseudonym(Base):
    """The pseudonym of one registry identifier (a PINFL or a canonical phone number) under one pseudonym key.

    Kept so that a re-identification looks a case's pseudonyms up on an index instead of hashing the whole
    registry each time; ``identifier`` is what was hashed, so a row whose person no longer has it is known to be
    stale whatever wrote the change (``persons/pseudonyms.py``)."""

    __tablename__ = "registry_pseudonyms"
    __table_args__ = (Index("ix_registry_pseudonyms_person_id", "person_id"),)

    key_id: Mapped[str] = mapped_column(String(KEY_ID_LENGTH), primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="CASCADE"))
    identifier: Mapped[str] = mapped_column(String(max(PINFL_DIGITS, MSISDN_LENGTH)))


def search_keys(family_name: str, given_name: str, patronymic: str | None) -> tuple[str, str, str]:
    """The family, given and full-name keys of a person's names (the full one with a space between names)."""
    family, given = name_key(family_name), name_key(given_name)
    return family, given, " ".join(k for k in (family, given, name_key(patronymic or "")) if k)[:KEY_LENGTH]


# -- schemas ------------------------------------------------------------------------------------------------

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=NAME_LENGTH)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=STREET_LENGTH)]


def split_phones(text: str) -> list[str]:
    """The numbers of a phone cell: ``;`` or ``,`` between them (as spreadsheets hold several in one cell)."""
    return [p for p in (part.strip() for part in text.replace(",", ";").split(";")) if p]


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class _PersonFields(BaseModel):
    """Checks shared by creation and update: phones canonical, areas existing and nested, language known."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator(
        "patronymic", "region_id", "district_id", "mahalla_id", "street", "house", mode="before", check_fields=False
    )
    @classmethod
    def _empty_is_absent(cls, value: object) -> object:
        return _blank_to_none(value)

    @field_validator("phones", mode="before", check_fields=False)
    @classmethod
    def _split_phones(cls, value: object) -> object:
        return split_phones(value) if isinstance(value, str) else value

    @field_validator("phones", check_fields=False)
    @classmethod
    def _canonical_phones(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        """Canonical MSISDNs, in order, each once. A caller validating many rows may pass the canonical forms
        it computed in bulk (``context={"canonical_phones": {written: canonical or None}}``, from
        ``ingest.phone.canonical_msisdn``), which is 100 times faster than one number at a time."""
        if value is None:
            return None
        known: dict[str, str | None] = (info.context or {}).get("canonical_phones", {})
        canonical: list[str] = []
        for number in value:
            msisdn = known[number] if number in known else canonical_one(number)
            if msisdn is None:
                raise ValueError(f"{number!r} is not {PHONE_EXPECTED}")
            if msisdn not in canonical:
                canonical.append(msisdn)
        return canonical

    @field_validator("preferred_language", mode="before", check_fields=False)
    @classmethod
    def _language(cls, value: object) -> object:
        value = _blank_to_none(value)
        if isinstance(value, str):
            try:
                return parse_lang(value)
            except InvalidInput:
                raise ValueError(f"unknown language {value!r}; expected one of {', '.join(LANGS)}") from None
        return value


class FieldProblem(ValueError):
    """A check across fields that blames one of them (so an import report names the right column)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_address(region_id: str | None, district_id: str | None, mahalla_id: str | None) -> None:
    """``FieldProblem`` unless each given area exists at its level and the three nest (a child needs its parent)."""
    areas = AreaIndex.default()
    given = {"region": region_id, "district": district_id, "mahalla": mahalla_id}
    parent_level = {"district": "region", "mahalla": "district"}
    for level, area_id in given.items():
        if area_id is None:
            continue
        if area_id not in areas or areas.get(area_id).level != level:
            raise FieldProblem(f"{level}_id", f"{level}_id {area_id!r} is not a {level} of the area hierarchy")
        if level in parent_level:
            above = parent_level[level]
            if given[above] is None:
                raise FieldProblem(f"{level}_id", f"{level} {area_id!r} is given without its {above}_id")
            if areas.get(area_id).parent_id != given[above]:
                raise FieldProblem(f"{level}_id", f"{level} {area_id!r} is not in {above} {given[above]!r}")


class PersonCreate(_PersonFields):
    """A person as a registry delivers them; birth date and sex may be left for the PINFL to supply."""

    national_id: str = Field(description=f"PINFL: {PINFL_DIGITS} digits with a valid birth date and check digit")
    family_name: Name
    given_name: Name
    patronymic: Name | None = None
    birth_date: dt.date | None = Field(default=None, description="as encoded in the PINFL when left out")
    sex: Sex | None = Field(default=None, description="F or M; as encoded in the PINFL when left out")
    phones: list[str] = Field(default_factory=list, description="any usual spelling; stored as canonical MSISDN")
    region_id: str | None = None
    district_id: str | None = None
    mahalla_id: str | None = None
    street: OptionalText | None = None
    house: OptionalText | None = Field(default=None, max_length=HOUSE_LENGTH)
    preferred_language: Lang | None = None

    @field_validator("national_id", mode="before")
    @classmethod
    def _pinfl(cls, value: object) -> object:
        if isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:0{PINFL_DIGITS}d}"  # a spreadsheet cell read as a number
        if isinstance(value, str):
            value = value.strip()
            check_pinfl(value)
        return value

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> object:
        value = _blank_to_none(value)
        return value.strip().upper() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _agree_with_pinfl(self) -> PersonCreate:
        facts = check_pinfl(self.national_id)
        if self.birth_date is None:
            self.birth_date = facts.birth_date
        elif self.birth_date != facts.birth_date:
            raise FieldProblem("birth_date", f"{self.birth_date} disagrees with the PINFL's {facts.birth_date}")
        if self.sex is None:
            self.sex = facts.sex  # type: ignore[assignment]
        elif self.sex != facts.sex:
            raise FieldProblem("sex", f"{self.sex} disagrees with the PINFL's {facts.sex}")
        check_address(self.region_id, self.district_id, self.mahalla_id)
        return self


class PersonUpdate(_PersonFields):
    """A change to a person: only the fields given change (the national ID, birth date and sex never do)."""

    family_name: Name | None = None
    given_name: Name | None = None
    patronymic: Name | None = None
    phones: list[str] | None = None
    region_id: str | None = None
    district_id: str | None = None
    mahalla_id: str | None = None
    street: OptionalText | None = None
    house: OptionalText | None = Field(default=None, max_length=HOUSE_LENGTH)
    preferred_language: Lang | None = None


class PersonRead(BaseModel):
    """A person as the registry returns them."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    national_id: str
    family_name: str
    given_name: str
    patronymic: str | None
    birth_date: dt.date
    sex: Sex
    phones: list[str]
    region_id: str | None
    district_id: str | None
    mahalla_id: str | None
    street: str | None
    house: str | None
    preferred_language: Lang | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("phones", mode="before")
    @classmethod
    def _phone_numbers(cls, value: object) -> object:
        if isinstance(value, list):
            return [p.msisdn if isinstance(p, PersonPhone) else p for p in value]
        return value
