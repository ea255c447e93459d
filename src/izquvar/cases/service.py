"""Lab results, cases and the decisions on traced contacts.

Every function takes the database session as the keyword-only ``db_session`` and flushes, never commits: the
caller owns the unit of work. Jurisdiction and roles are the service layer's business (it knows the user);
these functions take the area filters it derives from them.

The flow (docs/service.md): :func:`record_lab_result` stores a result; a positive one confirms the person's
open case of that disease, or opens one, links it to its source case when the person was an accepted contact
of another case, and queues a tracing job (``cases.jobs``). The job writes :class:`ProposedContact` rows;
:func:`accept`, :func:`reject` and :func:`accept_close` turn them into :class:`Contact` rows or set them aside.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select, update
from sqlalchemy.orm import Session, lazyload

from izquvar.cases.diseases import Disease
from izquvar.cases.models import Case, Contact, LabResult, ProposedContact, TracingJob
from izquvar.db import utcnow
from izquvar.errors import Conflict, InvalidInput, NotFound
from izquvar.localtime import UZBEKISTAN_TZ
from izquvar.persons.models import Person
from izquvar.users.models import User

#: Attempts a tracing job gets before it is failed for good.
DEFAULT_MAX_ATTEMPTS = 3
#: Traced settings (trace/sources) and the relation they stand for; a venue category not listed is a venue.
RELATION_OF_SETTING = {
    "home": "household",
    "household": "household",
    "school_class": "school",
    "school": "school",
    "department": "work",
    "work": "work",
    "office": "work",
    "visit": "visit",
    "bus": "transport",
    "metro": "transport",
    "transport": "transport",
    "taxi": "transport",
    "phone_proximity": "other",
    "cell": "other",
}


@dataclass(frozen=True)
class Area:
    """A jurisdiction as a filter: a district, or a region, or (both ``None``) the whole country."""

    region_id: str | None = None
    district_id: str | None = None

    @classmethod
    def of(cls, user: User) -> Area:
        if user.district_id is not None:
            return cls(district_id=user.district_id)
        return cls(region_id=user.region_id)

    def condition(self, region: Any, district: Any) -> list[ColumnElement[bool]]:
        if self.district_id is not None:
            return [district == self.district_id]
        if self.region_id is not None:
            return [region == self.region_id]
        return []


# -- lab results and cases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabOutcome:
    """What recording a lab result did."""

    lab_result: LabResult
    case: Case | None
    job: TracingJob | None
    case_created: bool


def record_lab_result(
    *,
    person: Person,
    disease: Disease,
    test: str,
    result: str,
    specimen_date: dt.date,
    result_date: dt.date | None,
    user: User | None,
    db_session: Session,
    lang: str = "en",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> LabOutcome:
    """Store a result. A positive result of a confirming test confirms the person's open case of ``disease``
    (opening one if there is none, linked to its source case when the person was a contact of one) and queues a
    tracing job unless one is queued or running already. Any other result is linked to the open case, if any.

    Results for one person are recorded one at a time, so two positives arriving together open one case and queue
    one job: the first statement writes the person's row (unchanged), which takes its row lock on PostgreSQL and
    the write lock on SQLite before anything is read."""
    db_session.execute(update(Person).where(Person.id == person.id).values(updated_at=Person.updated_at))
    case = open_case(person.id, disease.code, db_session=db_session)
    created = False
    job: TracingJob | None = None
    if result == "positive" and disease.confirms(test):
        if case is None:
            source = source_case_of(person.id, disease.code, db_session=db_session)
            case = Case(
                person_id=person.id,
                disease=disease.code,
                classification="confirmed",
                specimen_date=specimen_date,
                hospitalised=False,
                region_id=person.region_id,
                district_id=person.district_id,
                investigating_user_id=None,
                source_case_id=source.id if source is not None else None,
                confirmed_at=utcnow(),
            )
            db_session.add(case)
            db_session.flush()
            created = True
        else:
            if case.classification != "confirmed":
                case.classification = "confirmed"
                case.confirmed_at = utcnow()
            if case.specimen_date is None or specimen_date < case.specimen_date:
                case.specimen_date = specimen_date
        job = active_job(case.id, db_session=db_session)
        if job is None:
            job = enqueue(case, db_session=db_session, lang=lang, max_attempts=max_attempts)
    lab = LabResult(
        person_id=person.id,
        case_id=case.id if case is not None else None,
        disease=disease.code,
        test=test,
        result=result,
        specimen_date=specimen_date,
        result_date=result_date,
        entered_by_user_id=user.id if user is not None else None,
        tracing_job_id=job.id if job is not None else None,
    )
    db_session.add(lab)
    db_session.flush()
    return LabOutcome(lab_result=lab, case=case, job=job, case_created=created)


def register_case(
    *,
    person: Person,
    disease: Disease,
    classification: str,
    onset_date: dt.date,
    user: User,
    db_session: Session,
    source_case_id: int | None = None,
) -> Case:
    """Open a suspected or probable case of ``disease`` for ``person`` (``Conflict`` naming ``disease`` when the
    person has an open case of it already). Confirming is the lab result's business (:func:`record_lab_result`).
    Like a lab result, it takes the person's row first, so two registrations at once open one case."""
    if classification not in ("suspected", "probable"):
        raise InvalidInput(f"a case is registered as suspected or probable, not {classification}",
                           field="classification")  # fmt: skip
    db_session.execute(update(Person).where(Person.id == person.id).values(updated_at=Person.updated_at))
    refuse_second_case(person.id, disease.code, db_session=db_session)
    if source_case_id is None:
        source = source_case_of(person.id, disease.code, db_session=db_session)
        source_case_id = source.id if source is not None else None
    case = Case(
        person_id=person.id,
        disease=disease.code,
        classification=classification,
        onset_date=onset_date,
        hospitalised=False,
        region_id=person.region_id,
        district_id=person.district_id,
        investigating_user_id=user.id,
        source_case_id=source_case_id,
    )
    db_session.add(case)
    db_session.flush()
    return case


def refuse_second_case(person_id: int, disease: str, *, db_session: Session) -> None:
    """``Conflict`` naming ``disease`` when the person has an open case of ``disease``."""
    existing = open_case(person_id, disease, db_session=db_session)
    if existing is not None:
        raise Conflict(f"the person has an open case of {disease} already (case {existing.id})", field="disease")


def trace_on_demand(
    case: Case, *, db_session: Session, lang: str = "en", max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> TracingJob:
    """Queue a tracing job for a probable or confirmed case (``Conflict`` for a suspected one, a case that is not
    one, or while a job is queued or running)."""
    if case.classification not in ("probable", "confirmed"):
        raise Conflict(f"case {case.id} is {case.classification}: only a probable or confirmed case is traced",
                       field="classification")  # fmt: skip
    if case.onset_date is None and case.specimen_date is None:
        raise Conflict(f"case {case.id} has neither an onset nor a specimen date to trace from", field="onset_date")
    running = active_job(case.id, db_session=db_session)
    if running is not None:
        raise Conflict(f"case {case.id} has tracing job {running.id} {running.status} already", field="tracing")
    return enqueue(case, db_session=db_session, lang=lang, max_attempts=max_attempts)


def convert_contact(
    contact: Contact, *, disease: Disease, user: User, db_session: Session, onset_date: dt.date | None = None
) -> Case:
    """Open a suspected case for an identified contact's person, linked to the contact's case (a chain), and mark
    the contact converted. ``Conflict`` for an unidentified subscriber (no person to open a case for), a contact
    converted already, or a person with an open case of the disease."""
    if contact.person_id is None:
        raise Conflict(f"contact {contact.id} is an unidentified subscriber: register the person first",
                       field="person_id")  # fmt: skip
    if contact.converted_case_id is not None:
        raise Conflict(f"contact {contact.id} was converted into case {contact.converted_case_id} already",
                       field="converted_case_id")  # fmt: skip
    person = db_session.get(Person, contact.person_id)
    if person is None:
        raise NotFound(f"contact {contact.id}: person {contact.person_id} is gone", field="person_id")
    db_session.execute(update(Person).where(Person.id == person.id).values(updated_at=Person.updated_at))
    refuse_second_case(person.id, disease.code, db_session=db_session)
    case = Case(
        person_id=person.id,
        disease=disease.code,
        classification="suspected",
        onset_date=onset_date,
        hospitalised=False,
        region_id=person.region_id,
        district_id=person.district_id,
        investigating_user_id=user.id,
        source_case_id=contact.case_id,
    )
    db_session.add(case)
    db_session.flush()
    contact.converted_case_id = case.id
    db_session.flush()
    return case


def get_contact(contact_id: int, *, db_session: Session) -> Contact:
    contact = db_session.get(Contact, contact_id)
    if contact is None:
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def open_case(person_id: int, disease: str, *, db_session: Session) -> Case | None:
    """The person's newest case of ``disease`` that is not ``not_a_case``, or ``None``."""
    return db_session.scalars(
        select(Case)
        .where(Case.person_id == person_id, Case.disease == disease, Case.classification != "not_a_case")
        .order_by(Case.id.desc())
        .limit(1)
    ).first()


def source_case_of(person_id: int, disease: str, *, db_session: Session) -> Case | None:
    """The case whose accepted contact this person was most recently, for the same disease (a chain)."""
    return db_session.scalars(
        select(Case)
        .join(Contact, Contact.case_id == Case.id)
        .where(Contact.person_id == person_id, Case.disease == disease, Case.person_id != person_id)
        .order_by(Contact.last_exposure_date.desc().nulls_last(), Contact.id.desc())
        .limit(1)
    ).first()


def get_case(case_id: int, *, db_session: Session) -> Case:
    case = db_session.get(Case, case_id)
    if case is None:
        raise NotFound(f"no case with id {case_id}")
    return case


@dataclass(frozen=True)
class CaseFilter:
    classification: str | None = None
    disease: str | None = None
    district_id: str | None = None
    region_id: str | None = None
    reported_from: dt.date | None = None
    reported_to: dt.date | None = None
    specimen_from: dt.date | None = None
    specimen_to: dt.date | None = None
    source_case_id: int | None = None


def list_cases(
    case_filter: CaseFilter, area: Area, *, db_session: Session, limit: int, offset: int
) -> tuple[list[Case], int]:
    """Cases in ``area`` matching the filter, newest first, and how many match in all."""
    conditions = area.condition(Case.region_id, Case.district_id)
    f = case_filter
    if f.classification is not None:
        conditions.append(Case.classification == f.classification)
    if f.disease is not None:
        conditions.append(Case.disease == f.disease)
    if f.district_id is not None:
        conditions.append(Case.district_id == f.district_id)
    if f.region_id is not None:
        conditions.append(Case.region_id == f.region_id)
    if f.reported_from is not None:
        conditions.append(Case.created_at >= _day_start(f.reported_from))
    if f.reported_to is not None:
        conditions.append(Case.created_at < _day_start(f.reported_to + dt.timedelta(days=1)))
    if f.specimen_from is not None:
        conditions.append(Case.specimen_date >= f.specimen_from)
    if f.specimen_to is not None:
        conditions.append(Case.specimen_date <= f.specimen_to)
    if f.source_case_id is not None:
        conditions.append(Case.source_case_id == f.source_case_id)
    statement = select(Case).where(and_(True, *conditions))
    return _page(statement, Case.created_at.desc(), Case.id.desc(), db_session=db_session, limit=limit, offset=offset)


def update_case(
    case: Case,
    changes: dict[str, object],
    *,
    db_session: Session,
    lang: str = "en",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> TracingJob | None:
    """Apply ``changes``; a changed onset or isolation of a confirmed case queues a new tracing job (returned)."""
    retrace = any(k in changes and changes[k] != getattr(case, k) for k in ("onset_date", "isolation_date"))
    for name, value in changes.items():
        setattr(case, name, value)
    if changes.get("classification") == "confirmed" and case.confirmed_at is None:
        case.confirmed_at = utcnow()
    db_session.flush()
    if retrace and case.classification == "confirmed" and active_job(case.id, db_session=db_session) is None:
        return enqueue(case, db_session=db_session, lang=lang, max_attempts=max_attempts)
    return None


# -- jobs as the case sees them ---------------------------------------------------------------------------


def enqueue(
    case: Case, *, db_session: Session, lang: str = "en", max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> TracingJob:
    """A queued tracing job for ``case`` (``cases.jobs`` runs it)."""
    job = TracingJob(case_id=case.id, status="queued", attempts=0, max_attempts=max_attempts, lang=lang,
                     run_after=utcnow())  # fmt: skip
    db_session.add(job)
    db_session.flush()
    return job


def active_job(case_id: int, *, db_session: Session) -> TracingJob | None:
    """The case's queued or running job, if any."""
    return db_session.scalars(
        select(TracingJob)
        .where(TracingJob.case_id == case_id, TracingJob.status.in_(("queued", "running")))
        .order_by(TracingJob.id.desc())
        .limit(1)
    ).first()


def latest_jobs(case_ids: Sequence[int], *, db_session: Session) -> dict[int, TracingJob]:
    """The newest tracing job of each case that has one."""
    if not case_ids:
        return {}
    newest = select(func.max(TracingJob.id)).where(TracingJob.case_id.in_(list(case_ids))).group_by(TracingJob.case_id)
    return {j.case_id: j for j in db_session.scalars(select(TracingJob).where(TracingJob.id.in_(newest)))}


# -- proposed contacts and contacts -----------------------------------------------------------------------


def list_proposed(
    case_id: int,
    *,
    db_session: Session,
    limit: int,
    offset: int,
    status: str | None = None,
    contact_class: str | None = None,
) -> tuple[list[ProposedContact], int]:
    """A case's proposed contacts, riskiest first."""
    conditions: list[ColumnElement[bool]] = [ProposedContact.case_id == case_id]
    if status is not None:
        conditions.append(ProposedContact.status == status)
    if contact_class is not None:
        conditions.append(ProposedContact.contact_class == contact_class)
    statement = select(ProposedContact).where(*conditions)
    return _page(
        statement, ProposedContact.risk.desc(), ProposedContact.id, db_session=db_session, limit=limit, offset=offset
    )


def get_proposed(case: Case, proposed_id: int, *, db_session: Session) -> ProposedContact:
    proposed = db_session.get(ProposedContact, proposed_id)
    if proposed is None or proposed.case_id != case.id:
        raise NotFound(f"no proposed contact with id {proposed_id} for case {case.id}")
    return proposed


def accept(
    case: Case,
    proposed: ProposedContact,
    *,
    user: User,
    db_session: Session,
    relation: str | None = None,
    classification: str | None = None,
) -> Contact:
    """The contact an accepted proposal becomes (``Conflict`` when it was decided already)."""
    _undecided(proposed)
    contact = Contact(
        case_id=case.id,
        person_id=proposed.person_id,
        pseudonym=proposed.pseudonym,
        classification=classification or proposed.contact_class,
        relation=relation or relation_of(proposed.setting),
        setting=proposed.setting,
        last_exposure_date=proposed.last_seen.astimezone(UZBEKISTAN_TZ).date(),
        risk=proposed.risk,
        minutes=proposed.minutes,
        evidence=proposed.evidence,
        explanation=proposed.explanation,
        proposed_contact_id=proposed.id,
        region_id=case.region_id,
        district_id=case.district_id,
        created_by_user_id=user.id,
    )
    db_session.add(contact)
    db_session.flush()
    proposed.status, proposed.contact_id = "accepted", contact.id
    proposed.decided_by_user_id, proposed.decided_at = user.id, utcnow()
    db_session.flush()
    return contact


def reject(proposed: ProposedContact, *, user: User, db_session: Session) -> ProposedContact:
    """Set a proposal aside (``Conflict`` when it was decided already)."""
    _undecided(proposed)
    proposed.status = "rejected"
    proposed.decided_by_user_id, proposed.decided_at = user.id, utcnow()
    db_session.flush()
    return proposed


def accept_close(case: Case, *, user: User, db_session: Session) -> list[Contact]:
    """Accept every proposed close contact of ``case`` still undecided, riskiest first."""
    waiting = db_session.scalars(
        select(ProposedContact)
        .where(
            ProposedContact.case_id == case.id,
            ProposedContact.status == "proposed",
            ProposedContact.contact_class == "close",
        )
        .order_by(ProposedContact.risk.desc(), ProposedContact.id)
    ).all()
    return [accept(case, p, user=user, db_session=db_session) for p in waiting]


def relation_of(setting: str) -> str:
    """The relation a traced setting stands for (a venue category not known otherwise is a venue)."""
    return RELATION_OF_SETTING.get(setting.strip().lower(), "venue")


@dataclass(frozen=True)
class ContactFilter:
    case_id: int | None = None
    classification: str | None = None
    relation: str | None = None
    district_id: str | None = None
    exposed_from: dt.date | None = None
    exposed_to: dt.date | None = None
    person_id: int | None = None


def list_contacts(
    contact_filter: ContactFilter, area: Area, *, db_session: Session, limit: int, offset: int
) -> tuple[list[Contact], int]:
    """Contacts of cases in ``area`` matching the filter, newest first."""
    f = contact_filter
    conditions = area.condition(Contact.region_id, Contact.district_id)
    if f.case_id is not None:
        conditions.append(Contact.case_id == f.case_id)
    if f.classification is not None:
        conditions.append(Contact.classification == f.classification)
    if f.relation is not None:
        conditions.append(Contact.relation == f.relation)
    if f.district_id is not None:
        conditions.append(Contact.district_id == f.district_id)
    if f.exposed_from is not None:
        conditions.append(Contact.last_exposure_date >= f.exposed_from)
    if f.exposed_to is not None:
        conditions.append(Contact.last_exposure_date <= f.exposed_to)
    if f.person_id is not None:
        conditions.append(Contact.person_id == f.person_id)
    statement = select(Contact).where(and_(True, *conditions))
    return _page(
        statement, Contact.created_at.desc(), Contact.id.desc(), db_session=db_session, limit=limit, offset=offset
    )


def diseases_of_cases(case_ids: Sequence[int], *, db_session: Session) -> dict[int, str]:
    """The disease of each of these cases, in one query (a page of contacts may belong to 50 cases)."""
    wanted = sorted(set(case_ids))
    if not wanted:
        return {}
    rows = db_session.execute(select(Case.id, Case.disease).where(Case.id.in_(wanted)))
    return dict(rows.all())


def persons_by_id(ids: Sequence[int | None], *, db_session: Session) -> dict[int, Person]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    # the briefs that lists show carry no phones: do not load them (they still load if asked for)
    found = db_session.scalars(select(Person).where(Person.id.in_(wanted)).options(lazyload(Person.phones)))
    return {p.id: p for p in found}


def _undecided(proposed: ProposedContact) -> None:
    if proposed.status != "proposed":
        raise Conflict(f"proposed contact {proposed.id} was {proposed.status} already", field="status")


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), UZBEKISTAN_TZ)


def _page(statement: Select[Any], *order: Any, db_session: Session, limit: int, offset: int) -> tuple[list[Any], int]:
    """One page of ``statement`` (a select of one table's rows) in ``order``, and how many rows match in all.

    The page's ids are picked first and only then their rows read, so that where an index holds the filter and
    the order (``ix_contacts_last_exposure_date_created_at_id``) PostgreSQL picks the page from the index alone
    instead of reading every matching row (40,000 of a million contacts for a week of exposures) to sort them."""
    entity = statement.column_descriptions[0]["entity"]
    total = db_session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    ids = statement.with_only_columns(entity.id).order_by(*order).limit(limit).offset(offset)
    items = list(db_session.scalars(select(entity).where(entity.id.in_(ids)).order_by(*order)))
    return items, int(total)
