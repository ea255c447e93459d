"""Cases, lab results, tracing jobs, proposed contacts and contacts: the tables.

A case belongs to a registered person and one disease (``cases.diseases``); its jurisdiction (region and
district) is the person's address when the case was opened, kept on the case so that lists filter in SQL. A
positive lab result confirms a case and queues a :class:`TracingJob`; the job's traced contacts land as
:class:`ProposedContact` rows (a registered person, or an unidentified subscriber known only by pseudonym),
which an epidemiologist accepts into :class:`Contact` rows or rejects.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from izquvar.db import Base, UtcDateTime, utcnow

AREA_ID_LENGTH = 32
DISEASE_LENGTH = 64
PSEUDONYM_LENGTH = 64
TEST_LENGTH = 64

#: Tracing job states: queued (waiting, or waiting to be retried), running (claimed, under a lease), done, failed.
JOB_STATUSES = ("queued", "running", "done", "failed")
#: What an epidemiologist decided about a proposed contact.
PROPOSAL_STATUSES = ("proposed", "accepted", "rejected")
#: How a contact knew the case (Go.Data's and SORMAS's exposure types).
RELATIONS = ("household", "work", "school", "venue", "transport", "visit", "other")
LAB_RESULTS = ("positive", "negative", "inconclusive")
OUTCOMES = ("recovered", "died", "unknown")


class Case(Base):
    """A case of a disease in a registered person."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_district_id_created_at", "district_id", "created_at"),
        Index("ix_cases_region_id_created_at", "region_id", "created_at"),
        Index("ix_cases_classification_created_at", "classification", "created_at"),
        Index("ix_cases_person_id_disease", "person_id", "disease"),
        Index("ix_cases_source_case_id", "source_case_id"),
        Index("ix_cases_created_at", "created_at"),
        # the specimen and exposure date filters (benchmarks/service_lists.py: a week of exposures among a
        # million contacts took 1.4 s at p95 without it, a scan of the table)
        Index("ix_cases_specimen_date", "specimen_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    disease: Mapped[str] = mapped_column(String(DISEASE_LENGTH))
    classification: Mapped[str] = mapped_column(String(16))
    onset_date: Mapped[dt.date | None] = mapped_column(Date)
    specimen_date: Mapped[dt.date | None] = mapped_column(Date)
    isolation_date: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    hospitalised: Mapped[bool] = mapped_column(Boolean, default=False)
    investigating_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: The case this one caught it from, when it was a contact of that case (a chain).
    source_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    region_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    district_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class LabResult(Base):
    """One laboratory result for a person; a positive one confirms a case."""

    __tablename__ = "lab_results"
    __table_args__ = (
        Index("ix_lab_results_person_id", "person_id"),
        Index("ix_lab_results_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id", ondelete="RESTRICT"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    disease: Mapped[str] = mapped_column(String(DISEASE_LENGTH))
    test: Mapped[str] = mapped_column(String(TEST_LENGTH))
    result: Mapped[str] = mapped_column(String(16))
    specimen_date: Mapped[dt.date] = mapped_column(Date)
    result_date: Mapped[dt.date | None] = mapped_column(Date)
    entered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    tracing_job_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class TracingJob(Base):
    """A durable tracing run for a case: kept in the database, claimed by one worker at a time under a lease,
    retried up to ``max_attempts``."""

    __tablename__ = "tracing_jobs"
    __table_args__ = (
        Index("ix_tracing_jobs_status_run_after", "status", "run_after"),
        Index("ix_tracing_jobs_case_id", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    #: The language of the contacts' explanations (the requesting user's).
    lang: Mapped[str] = mapped_column(String(8), default="en")
    error: Mapped[str | None] = mapped_column(Text)
    #: Not to be claimed before (a retry waits a little).
    run_after: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    #: A running job whose lease has passed was abandoned (its worker died) and may be claimed again.
    lease_until: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class ProposedContact(Base):
    """A contact the tracer found for a case, waiting for an epidemiologist's decision."""

    __tablename__ = "proposed_contacts"
    __table_args__ = (
        Index("ix_proposed_contacts_case_id_status", "case_id", "status"),
        Index("ix_proposed_contacts_person_id", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("tracing_jobs.id", ondelete="SET NULL"))
    #: The registered person behind the pseudonym, or ``None`` for an unidentified subscriber.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    pseudonym: Mapped[str] = mapped_column(String(PSEUDONYM_LENGTH))
    contact_class: Mapped[str] = mapped_column(String(16))
    risk: Mapped[float] = mapped_column(Float)
    minutes: Mapped[float] = mapped_column(Float)
    max_daily_minutes: Mapped[float] = mapped_column(Float)
    closest_m: Mapped[float | None] = mapped_column(Float)
    attenuation_db: Mapped[float | None] = mapped_column(Float)
    setting: Mapped[str] = mapped_column(String(64))
    sources: Mapped[list[str]] = mapped_column(JSON)
    first_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    last_seen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    explanation: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    contact_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)


class Contact(Base):
    """A contact of a case: a registered person or an unidentified subscriber (pseudonym)."""

    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_case_id", "case_id"),
        Index("ix_contacts_person_id", "person_id"),
        Index("ix_contacts_district_id_created_at", "district_id", "created_at"),
        Index("ix_contacts_region_id_created_at", "region_id", "created_at"),
        # the exposure-date filter, and the page picked in the list's order from the index alone (service._page)
        Index("ix_contacts_last_exposure_date_created_at_id", "last_exposure_date", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id", ondelete="SET NULL"))
    pseudonym: Mapped[str | None] = mapped_column(String(PSEUDONYM_LENGTH))
    classification: Mapped[str] = mapped_column(String(16))
    relation: Mapped[str] = mapped_column(String(16))
    setting: Mapped[str | None] = mapped_column(String(64))
    last_exposure_date: Mapped[dt.date | None] = mapped_column(Date)
    risk: Mapped[float | None] = mapped_column(Float)
    minutes: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    explanation: Mapped[str | None] = mapped_column(Text)
    proposed_contact_id: Mapped[int | None] = mapped_column(Integer)
    #: The case this contact became when an epidemiologist converted it (``POST /contacts/{id}/case``).
    converted_case_id: Mapped[int | None] = mapped_column(Integer)
    #: The case's jurisdiction, kept here so that contact lists filter in SQL.
    region_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    district_id: Mapped[str | None] = mapped_column(String(AREA_ID_LENGTH))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utcnow)
