"""Diseases as configuration: what a case of each disease means and how long it is followed, never hard-wired.

A :class:`Disease` holds the public-health parameters the case management needs: the infectious window relative
to the onset (or, without one, the specimen date), the follow-up of contacts, the case definitions a
classification stands for, and the tests whose positive result confirms a case. :data:`COVID19` is shipped;
a deployment adds or overrides diseases with :meth:`DiseaseRegistry.register` or a TOML/JSON file
(``IZQUVAR_DISEASES``, docs/service.md)::

    [diseases."measles"]
    name = "Measles"
    days_before_onset = 4
    days_infectious_after_onset = 4
    follow_up_days = 21
    tests = ["IgM", "PCR"]

The tracer's close-contact rules stay in ``trace/rules.py`` (``[diseases."NAME"]`` of the tracing rules file);
the window given here is the one a tracing job traces.
"""

from __future__ import annotations

import datetime as dt
import json
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from izquvar.errors import InvalidInput, NotFound

#: The classifications a case can have (WHO surveillance case definitions).
CLASSIFICATIONS = ("suspected", "probable", "confirmed", "not_a_case")


class Disease(BaseModel):
    """One disease's case-management parameters."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The code the API and the database use ("COVID-19").
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._\-]*$")
    name: str = Field(min_length=1, max_length=200)
    #: Days before onset (or specimen date) that the infectious window opens (WHO 2021, COVID-19: 2).
    days_before_onset: int = Field(ge=0, le=60)
    #: Without isolation, days after onset that the window closes (WHO 2021, COVID-19: 10).
    days_infectious_after_onset: int = Field(ge=0, le=120)
    #: Days a contact is followed after the last exposure (WHO 2021, COVID-19: 14).
    follow_up_days: int = Field(ge=0, le=120)
    #: What each classification means for this disease, in words an investigator applies.
    case_definitions: dict[str, str] = Field(default_factory=dict)
    #: Tests whose positive result confirms a case; empty means any test.
    tests: tuple[str, ...] = ()

    def window(self, reference: dt.date, isolation: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """The infectious window's first and last day: from ``days_before_onset`` before ``reference`` (onset, or
        specimen date) to the day before isolation, or ``days_infectious_after_onset`` after ``reference``."""
        first = reference - dt.timedelta(days=self.days_before_onset)
        last = reference + dt.timedelta(days=self.days_infectious_after_onset)
        if isolation is not None:
            last = max(first, min(last, isolation - dt.timedelta(days=1)))
        return first, last

    def confirms(self, test: str) -> bool:
        """Whether a positive result of ``test`` confirms a case of this disease."""
        return not self.tests or test.strip().lower() in {t.lower() for t in self.tests}


COVID19 = Disease(
    code="COVID-19",
    name="COVID-19",
    days_before_onset=2,
    days_infectious_after_onset=10,
    follow_up_days=14,
    case_definitions={
        "suspected": "acute onset of fever and cough, or of three or more of the WHO list of symptoms",
        "probable": "a suspected case who is a contact of a probable or confirmed case, or with typical imaging",
        "confirmed": "a positive nucleic acid amplification test, or a positive antigen test meeting WHO criteria",
        "not_a_case": "investigated and found not to meet any definition",
    },
    tests=("PCR", "NAAT", "antigen"),
)


class DiseaseRegistry:
    """The diseases a deployment manages, by code (compared without regard to case)."""

    def __init__(self, diseases: Mapping[str, Disease] | None = None) -> None:
        self._diseases: dict[str, Disease] = {}
        for disease in (diseases or {}).values():
            self.register(disease)

    @classmethod
    def default(cls) -> DiseaseRegistry:
        """The shipped diseases (COVID-19)."""
        return cls({COVID19.code: COVID19})

    @classmethod
    def from_file(cls, path: Path, base: DiseaseRegistry | None = None) -> DiseaseRegistry:
        """``base`` (default: the shipped diseases) with the file's ``[diseases."CODE"]`` tables added; a table
        for a known code overrides only the fields it gives."""
        registry = cls(dict((base or cls.default())._diseases))
        try:
            text = path.read_text(encoding="utf-8")
            data: dict[str, Any] = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as exc:
            raise InvalidInput(f"{path}: cannot read the diseases file ({exc})") from None
        tables = data.get("diseases")
        if not isinstance(tables, dict):
            raise InvalidInput(f'{path}: expected [diseases."CODE"] tables')
        for code, fields in tables.items():
            if not isinstance(fields, dict):
                raise InvalidInput(f"{path}: diseases.{code}: expected a table of fields")
            known = registry.find(code)
            values = {**(known.model_dump() if known else {}), **fields, "code": known.code if known else code}
            values.setdefault("name", code)
            try:
                registry.register(Disease.model_validate(values))
            except ValidationError as exc:
                problem = exc.errors()[0]
                field = ".".join(str(p) for p in problem["loc"])
                raise InvalidInput(f"{path}: diseases.{code}.{field}: {problem['msg']}", field=field) from None
        return registry

    def register(self, disease: Disease) -> None:
        """Add ``disease`` (replacing one of the same code)."""
        self._diseases[disease.code.lower()] = disease

    def find(self, code: str) -> Disease | None:
        return self._diseases.get(code.strip().lower())

    def get(self, code: str) -> Disease:
        """The disease of this code; ``NotFound`` naming the known ones otherwise."""
        disease = self.find(code)
        if disease is None:
            raise NotFound(f"unknown disease {code!r}; known: {', '.join(self.codes())}", field="disease")
        return disease

    def codes(self) -> list[str]:
        return sorted(d.code for d in self._diseases.values())

    def __iter__(self) -> Iterator[Disease]:
        return iter(sorted(self._diseases.values(), key=lambda d: d.code))
