"""``/api/v1/lab-results``, ``/cases``, ``/contacts``, ``/diseases``: case management, within role and jurisdiction,
audited.

Who: epidemiologists do everything; contact tracers read cases and contacts; lab staff post lab results (and
nothing else here); analysts (aggregates only), administrators and data-protection officers get 403 (no
business with names). Where: a case outside the user's region or district answers 404 exactly as a missing one
does, and lists hold only cases (and contacts of cases) in it. Every answer that shows a case or contact, and
every change, writes an audit record with the case's id, in the request's unit of work.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, NoReturn

from fastapi import APIRouter, BackgroundTasks, Body, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session

from izquvar.cases import service
from izquvar.cases.diseases import DiseaseRegistry
from izquvar.cases.models import Case, Contact, ProposedContact
from izquvar.cases.schemas import (
    AcceptContact,
    BulkAccepted,
    CaseCreate,
    CaseRead,
    CaseUpdate,
    Classification,
    ContactClass,
    ContactRead,
    ContactToCase,
    Day,
    DiseaseRead,
    LabResultCreate,
    LabResultRead,
    PersonBrief,
    ProposalStatus,
    ProposedContactRead,
    Relation,
    SecondDegreeContactRead,
    SecondDegreeList,
    TracingRead,
)
from izquvar.config import Settings
from izquvar.errors import NotFound
from izquvar.i18n import DEFAULT_LANG, LANGS
from izquvar.persons import service as persons_service
from izquvar.persons.models import Person
from izquvar.service import second_degree
from izquvar.service.deps import AuditDep, CurrentUser, SessionDep, require_role
from izquvar.service.ids import IdFilter, RecordId
from izquvar.service.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from izquvar.users.models import Role, User

lab_router = APIRouter(prefix="/lab-results", tags=["lab results"])
cases_router = APIRouter(prefix="/cases", tags=["cases"])
contacts_router = APIRouter(prefix="/contacts", tags=["contacts"])
diseases_router = APIRouter(prefix="/diseases", tags=["cases"])

LabUser = Annotated[User, Depends(require_role(Role.EPIDEMIOLOGIST, Role.LAB, to="post lab results"))]
CaseReader = Annotated[
    User, Depends(require_role(Role.EPIDEMIOLOGIST, Role.CONTACT_TRACER, to="read cases and contacts"))
]
Epidemiologist = Annotated[User, Depends(require_role(Role.EPIDEMIOLOGIST, to="work on cases and traced contacts"))]
AreaId = Annotated[str | None, Query(pattern=r"^[0-9A-Za-z\-]{1,32}$", description="a SOATO-based area id")]
DiseaseCode = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._\-]{0,63}$")]


def diseases_of(request: Request) -> DiseaseRegistry:
    registry: DiseaseRegistry = request.app.state.diseases
    return registry


Diseases = Annotated[DiseaseRegistry, Depends(diseases_of)]


@lab_router.post("", response_model=LabResultRead, status_code=201)
def post_lab_result(
    lab_in: LabResultCreate,
    user: LabUser,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    request: Request,
    background: BackgroundTasks,
) -> LabResultRead:
    """Record a result for a registered person (by ``person_id`` or ``national_id``). A positive result of a
    confirming test confirms the person's case (opening one if needed) and queues a tracing job; the response's
    ``case_id`` is that case (null for a result that touches none)."""
    disease = diseases.find(lab_in.disease)
    if disease is None:
        _unprocessable("disease", f"unknown disease {lab_in.disease!r}; known: {', '.join(diseases.codes())}")
    person = _person_in_reach(lab_in, user, db_session)
    settings: Settings = request.app.state.settings
    outcome = service.record_lab_result(
        person=person,
        disease=disease,
        test=lab_in.test,
        result=lab_in.result,
        specimen_date=lab_in.specimen_date,
        result_date=lab_in.result_date,
        user=user,
        db_session=db_session,
        lang=_lang(request),
        max_attempts=settings.tracing_max_attempts,
    )
    case_id = outcome.case.id if outcome.case is not None else None
    if outcome.case_created and outcome.case is not None:
        audit("case.create", object_type="case", object_id=case_id, case_id=case_id,
              details={"person_id": person.id, "source_case_id": outcome.case.source_case_id})  # fmt: skip
    audit(
        "lab_result.create",
        object_type="lab_result",
        object_id=outcome.lab_result.id,
        case_id=case_id,
        details={"person_id": person.id, "result": lab_in.result, "tracing_job_id": outcome.lab_result.tracing_job_id},
    )
    worker = getattr(request.app.state, "tracing_worker", None)
    if outcome.job is not None and worker is not None:
        background.add_task(worker.wake)  # after the response, so after the commit
    return LabResultRead.model_validate(outcome.lab_result)


@cases_router.get("", response_model=Page[CaseRead])
def list_cases(
    user: CaseReader,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    classification: Classification | None = None,
    disease: DiseaseCode = None,
    district_id: AreaId = None,
    region_id: AreaId = None,
    reported_from: Annotated[Day | None, Query(description="opened on or after this day (UTC+5)")] = None,
    reported_to: Annotated[Day | None, Query(description="opened on or before this day (UTC+5)")] = None,
    specimen_from: Annotated[Day | None, Query()] = None,
    specimen_to: Annotated[Day | None, Query()] = None,
    source_case_id: IdFilter = None,
) -> Page[CaseRead]:
    """Cases in the user's jurisdiction, newest first, filtered."""
    case_filter = service.CaseFilter(
        classification=classification, disease=disease, district_id=district_id, region_id=region_id,
        reported_from=reported_from, reported_to=reported_to, specimen_from=specimen_from, specimen_to=specimen_to,
        source_case_id=source_case_id,
    )  # fmt: skip
    found, total = service.list_cases(
        case_filter, service.Area.of(user), db_session=db_session, limit=limit, offset=offset
    )
    items = _case_reads(found, db_session, diseases)
    audit("case.list", object_type="case", details={"case_ids": [c.id for c in items], "offset": offset})
    return page_of(items, limit=limit, offset=offset, total=total)


@cases_router.post("", response_model=CaseRead, status_code=201)
def create_case(
    case_in: CaseCreate,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    request: Request,
    background: BackgroundTasks,
) -> CaseRead:
    """Register a case for a registered person (by ``person_id`` or ``national_id``): ``suspected`` or ``probable``
    with its onset; ``confirmed`` only with the positive ``test`` and ``specimen_date``, stored as the lab result
    that confirms it (and queues tracing, as any positive result does). 409 while the person has an open case of
    the disease."""
    disease = diseases.find(case_in.disease)
    if disease is None:
        _unprocessable("disease", f"unknown disease {case_in.disease!r}; known: {', '.join(diseases.codes())}")
    problem = case_in.confirmation_problem()
    if problem is not None:
        _unprocessable(*problem)
    person = _person_in_reach(case_in, user, db_session)
    details: dict[str, Any] = {"person_id": person.id, "classification": case_in.classification}
    job_id: int | None = None
    if case_in.classification == "confirmed":
        assert case_in.test is not None and case_in.specimen_date is not None
        if not disease.confirms(case_in.test):
            _unprocessable("test", f"a positive {case_in.test} does not confirm {disease.code} "
                                   f"(confirming tests: {', '.join(disease.tests)})")  # fmt: skip
        service.refuse_second_case(person.id, disease.code, db_session=db_session)
        settings: Settings = request.app.state.settings
        outcome = service.record_lab_result(
            person=person, disease=disease, test=case_in.test, result="positive",
            specimen_date=case_in.specimen_date, result_date=None, user=user, db_session=db_session,
            lang=_lang(request), max_attempts=settings.tracing_max_attempts,
        )  # fmt: skip
        case = outcome.case
        assert case is not None
        case.onset_date, case.investigating_user_id = case_in.onset_date, user.id
        db_session.flush()
        job_id = outcome.job.id if outcome.job is not None else None
        details |= {"lab_result_id": outcome.lab_result.id, "tracing_job_id": job_id}
        audit("lab_result.create", object_type="lab_result", object_id=outcome.lab_result.id, case_id=case.id,
              details={"person_id": person.id, "result": "positive", "tracing_job_id": job_id})  # fmt: skip
    else:
        case = service.register_case(person=person, disease=disease, classification=case_in.classification,
                                     onset_date=case_in.onset_date, user=user, db_session=db_session)  # fmt: skip
    audit("case.create", object_type="case", object_id=case.id, case_id=case.id,
          details=details | {"source_case_id": case.source_case_id})  # fmt: skip
    worker = getattr(request.app.state, "tracing_worker", None)
    if job_id is not None and worker is not None:
        background.add_task(worker.wake)
    return _case_reads([case], db_session, diseases)[0]


@cases_router.post("/{case_id}/trace", response_model=TracingRead, status_code=202)
def trace_case(
    case_id: RecordId,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    request: Request,
    background: BackgroundTasks,
) -> TracingRead:
    """Queue a tracing job for a probable (or confirmed) case, on demand: the same durable job a positive result
    queues. 409 for a suspected case, and while a job of the case is queued or running."""
    case = _case_in_reach(case_id, user, db_session)
    settings: Settings = request.app.state.settings
    job = service.trace_on_demand(case, db_session=db_session, lang=_lang(request),
                                  max_attempts=settings.tracing_max_attempts)  # fmt: skip
    audit("case.trace", object_type="case", object_id=case.id, case_id=case.id,
          details={"tracing_job_id": job.id, "classification": case.classification})  # fmt: skip
    worker = getattr(request.app.state, "tracing_worker", None)
    if worker is not None:
        background.add_task(worker.wake)
    return TracingRead.model_validate(job)


@cases_router.get("/{case_id}", response_model=CaseRead)
def get_case(
    case_id: RecordId, user: CaseReader, audit: AuditDep, db_session: SessionDep, diseases: Diseases
) -> CaseRead:
    """One case with its person and its newest tracing job (``tracing.status``: queued, running, done, failed)."""
    case = _case_in_reach(case_id, user, db_session)
    audit("case.read", object_type="case", object_id=case.id, case_id=case.id)
    return _case_reads([case], db_session, diseases)[0]


@cases_router.patch("/{case_id}", response_model=CaseRead)
def update_case(
    case_id: RecordId,
    changes: CaseUpdate,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    request: Request,
    background: BackgroundTasks,
) -> CaseRead:
    """Change a case's classification, onset, isolation, outcome or hospitalisation; a new onset or isolation
    of a confirmed case traces it again."""
    case = _case_in_reach(case_id, user, db_session)
    given = changes.model_dump(exclude_unset=True)
    if given.get("hospitalised") is None:
        given.pop("hospitalised", None)
    if given.get("classification") is None:
        given.pop("classification", None)
    reference = given.get("onset_date", case.onset_date) or case.specimen_date
    isolation = given.get("isolation_date", case.isolation_date)
    disease = diseases.find(case.disease)
    opens = reference - dt.timedelta(days=disease.days_before_onset) if reference and disease else None
    if isolation is not None and opens is not None and isolation < opens:
        _unprocessable("isolation_date", f"{isolation} is before the infectious window opens")
    if case.investigating_user_id is None:
        given["investigating_user_id"] = user.id
    settings: Settings = request.app.state.settings
    job = service.update_case(case, given, db_session=db_session, lang=_lang(request),
                              max_attempts=settings.tracing_max_attempts)  # fmt: skip
    changed = sorted(changes.model_dump(exclude_unset=True))
    audit("case.update", object_type="case", object_id=case.id, case_id=case.id,
          details={"changed": changed, "tracing_job_id": job.id if job else None})  # fmt: skip
    worker = getattr(request.app.state, "tracing_worker", None)
    if job is not None and worker is not None:
        background.add_task(worker.wake)
    return _case_reads([case], db_session, diseases)[0]


@cases_router.get(
    "/{case_id}/proposed-contacts", response_model=Page[ProposedContactRead], response_model_by_alias=True
)
def list_proposed_contacts(
    case_id: RecordId,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    status: ProposalStatus | None = None,
    contact_class: Annotated[ContactClass | None, Query(alias="class")] = None,
) -> Page[ProposedContactRead]:
    """The contacts tracing proposed for the case, riskiest first: a registered person (``person_id``) or an
    unidentified subscriber (``person_id`` null, ``pseudonym`` only), each with its evidence and explanation."""
    case = _case_in_reach(case_id, user, db_session)
    found, total = service.list_proposed(case.id, db_session=db_session, limit=limit, offset=offset, status=status,
                                         contact_class=contact_class)  # fmt: skip
    items = _proposed_reads(found, db_session)
    audit("proposed_contact.list", object_type="case", object_id=case.id, case_id=case.id,
          details={"proposed_ids": [p.id for p in items]})  # fmt: skip
    return page_of(items, limit=limit, offset=offset, total=total)


@cases_router.post("/{case_id}/proposed-contacts/{proposed_id}/accept", response_model=ContactRead, status_code=201)
def accept_proposed_contact(
    case_id: RecordId,
    proposed_id: RecordId,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    decision: Annotated[AcceptContact | None, Body()] = None,
) -> ContactRead:
    """Accept a proposed contact: it becomes a contact of the case (409 when it was decided already)."""
    case = _case_in_reach(case_id, user, db_session)
    proposed = service.get_proposed(case, proposed_id, db_session=db_session)
    contact = service.accept(case, proposed, user=user, db_session=db_session,
                             relation=decision.relation if decision else None,
                             classification=decision.classification if decision else None)  # fmt: skip
    audit("proposed_contact.accept", object_type="contact", object_id=contact.id, case_id=case.id,
          details={"proposed_id": proposed.id, "person_id": contact.person_id})  # fmt: skip
    return _contact_reads([contact], db_session, diseases)[0]


@cases_router.post("/{case_id}/proposed-contacts/{proposed_id}/reject", response_model=ProposedContactRead,
                   response_model_by_alias=True)  # fmt: skip
def reject_proposed_contact(
    case_id: RecordId, proposed_id: RecordId, user: Epidemiologist, audit: AuditDep, db_session: SessionDep
) -> ProposedContactRead:
    """Reject a proposed contact (409 when it was decided already)."""
    case = _case_in_reach(case_id, user, db_session)
    proposed = service.reject(service.get_proposed(case, proposed_id, db_session=db_session), user=user,
                              db_session=db_session)  # fmt: skip
    audit("proposed_contact.reject", object_type="proposed_contact", object_id=proposed.id, case_id=case.id)
    return _proposed_reads([proposed], db_session)[0]


@cases_router.post("/{case_id}/proposed-contacts/accept-close", response_model=BulkAccepted)
def accept_close_contacts(
    case_id: RecordId, user: Epidemiologist, audit: AuditDep, db_session: SessionDep, diseases: Diseases
) -> BulkAccepted:
    """Accept every undecided proposed contact of class ``close`` at once."""
    case = _case_in_reach(case_id, user, db_session)
    contacts = service.accept_close(case, user=user, db_session=db_session)
    audit("proposed_contact.accept_close", object_type="case", object_id=case.id, case_id=case.id,
          details={"contact_ids": [c.id for c in contacts]})  # fmt: skip
    return BulkAccepted(accepted=len(contacts), contacts=_contact_reads(contacts, db_session, diseases))


@cases_router.get("/{case_id}/second-degree", response_model=SecondDegreeList, response_model_by_alias=True)
def list_second_degree(
    case_id: RecordId,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    request: Request,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> SecondDegreeList:
    """Contacts of contacts: for each accepted, identified close contact of the case, the close contacts the
    tracer finds over the days after their exposure (trace-all's second-degree window), riskiest first;
    re-identified through the registry for this case, audited. 503 while the location store is not there."""
    case = _case_in_reach(case_id, user, db_session)
    reason = f"second-degree contacts of case {case.id}" + (f": {audit.reason}" if audit.reason else "")
    found = second_degree.second_degree_of(case, disease=diseases.get(case.disease), tracer=request.app.state.tracer,
                                           db_session=db_session, reason=reason, lang=_lang(request))  # fmt: skip
    page = found.contacts[offset : offset + limit]
    items = [
        SecondDegreeContactRead.model_validate(c).model_copy(
            update={"person_id": c.person.id if c.person else None, "person": _brief(c.person)}
        )
        for c in page
    ]
    audit("contact.second_degree", object_type="case", object_id=case.id, case_id=case.id,
          details={"contacts_traced": found.traced, "via_contact_ids": sorted({c.via_contact_id for c in page}),
                   "person_ids": sorted({c.person.id for c in found.contacts if c.person is not None}),
                   "total": len(found.contacts)})  # fmt: skip
    total = len(found.contacts)
    return SecondDegreeList(
        items=items, limit=limit, offset=offset, next_offset=offset + limit if offset + limit < total else None,
        total=total, contacts_traced=found.traced, not_in_store=found.not_in_store, skipped=found.skipped,
        elapsed_ms=round(found.elapsed_ms, 1),
    )  # fmt: skip


@cases_router.get("/{case_id}/contacts", response_model=Page[ContactRead])
def list_case_contacts(
    case_id: RecordId,
    user: CaseReader,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    classification: ContactClass | None = None,
    relation: Relation | None = None,
) -> Page[ContactRead]:
    """The case's contacts, newest first."""
    case = _case_in_reach(case_id, user, db_session)
    contact_filter = service.ContactFilter(case_id=case.id, classification=classification, relation=relation)
    found, total = service.list_contacts(contact_filter, service.Area(), db_session=db_session, limit=limit,
                                         offset=offset)  # fmt: skip
    items = _contact_reads(found, db_session, diseases)
    audit("contact.list", object_type="case", object_id=case.id, case_id=case.id,
          details={"contact_ids": [c.id for c in items]})  # fmt: skip
    return page_of(items, limit=limit, offset=offset, total=total)


@contacts_router.get("", response_model=Page[ContactRead])
def list_contacts(
    user: CaseReader,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    case_id: IdFilter = None,
    person_id: IdFilter = None,
    classification: ContactClass | None = None,
    relation: Relation | None = None,
    district_id: AreaId = None,
    exposed_from: Annotated[Day | None, Query(description="last exposure on or after this day")] = None,
    exposed_to: Annotated[Day | None, Query(description="last exposure on or before this day")] = None,
) -> Page[ContactRead]:
    """Contacts of the cases in the user's jurisdiction, newest first, filtered."""
    contact_filter = service.ContactFilter(case_id=case_id, classification=classification, relation=relation,
                                           district_id=district_id, exposed_from=exposed_from,
                                           exposed_to=exposed_to, person_id=person_id)  # fmt: skip
    found, total = service.list_contacts(contact_filter, service.Area.of(user), db_session=db_session,
                                         limit=limit, offset=offset)  # fmt: skip
    items = _contact_reads(found, db_session, diseases)
    audit("contact.list", object_type="contact",
          details={"contact_ids": [c.id for c in items], "case_ids": sorted({c.case_id for c in items})})  # fmt: skip
    return page_of(items, limit=limit, offset=offset, total=total)


@contacts_router.post("/{contact_id}/case", response_model=CaseRead, status_code=201)
def convert_contact(
    contact_id: RecordId,
    user: Epidemiologist,
    audit: AuditDep,
    db_session: SessionDep,
    diseases: Diseases,
    details: Annotated[ContactToCase | None, Body()] = None,
) -> CaseRead:
    """Convert an identified contact into a suspected case of the source case's disease, linked to that case
    (``source_case_id``: a chain); the contact keeps ``converted_case_id``. 409 for an unidentified subscriber,
    a contact converted already, or a person with an open case of the disease."""
    contact = _contact_in_reach(contact_id, user, db_session)
    source = service.get_case(contact.case_id, db_session=db_session)
    case = service.convert_contact(contact, disease=diseases.get(source.disease), user=user, db_session=db_session,
                                   onset_date=details.onset_date if details else None)  # fmt: skip
    audit("contact.convert", object_type="contact", object_id=contact.id, case_id=source.id,
          details={"new_case_id": case.id, "person_id": case.person_id})  # fmt: skip
    audit("case.create", object_type="case", object_id=case.id, case_id=case.id,
          details={"person_id": case.person_id, "classification": case.classification,
                   "source_case_id": source.id, "contact_id": contact.id})  # fmt: skip
    return _case_reads([case], db_session, diseases)[0]


@diseases_router.get("", response_model=list[DiseaseRead])
def list_diseases(_user: CurrentUser, diseases: Diseases) -> list[DiseaseRead]:
    """The diseases the service is configured for (no personal data: every signed-in role)."""
    return [DiseaseRead.model_validate(d) for d in diseases]


# -- helpers ------------------------------------------------------------------------------------------------


def _unprocessable(field: str, message: str) -> NoReturn:
    """A 422 naming ``field`` of the body, as the schema's own checks give."""
    raise RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message, "input": None}])


def _lang(request: Request) -> str:
    """The language of the request's ``Accept-Language`` that izquvar speaks, else English."""
    header = request.headers.get("accept-language", "")
    for part in header.split(","):
        tag = part.split(";")[0].strip()
        for lang in LANGS:
            if tag.lower() == lang.lower() or (tag.lower() == "uz" and lang == "uz-Latn"):
                return lang
        if tag[:2].lower() in {"ru", "en"}:
            return tag[:2].lower()
    return DEFAULT_LANG


def _person_in_reach(lab_in: LabResultCreate | CaseCreate, user: User, db_session: Session) -> Person:
    person: Person | None
    if lab_in.person_id is not None:
        person = db_session.get(Person, lab_in.person_id)
        missing = f"no person with id {lab_in.person_id}"
        field = "person_id"
    else:
        assert lab_in.national_id is not None
        person = persons_service.get_by_national_id(lab_in.national_id, db_session=db_session)
        missing = "no registered person with this national_id"
        field = "national_id"
    if person is None or not user.covers(person.region_id, person.district_id):
        raise NotFound(missing, field=field)
    return person


def _case_in_reach(case_id: int, user: User, db_session: Session) -> Case:
    case = db_session.get(Case, case_id)
    if case is None or not user.covers(case.region_id, case.district_id):
        raise NotFound(f"no case with id {case_id}")
    return case


def _contact_in_reach(contact_id: int, user: User, db_session: Session) -> Contact:
    contact = db_session.get(Contact, contact_id)
    if contact is None or not user.covers(contact.region_id, contact.district_id):
        raise NotFound(f"no contact with id {contact_id}")
    return contact


def _brief(person: Person | None) -> PersonBrief | None:
    return PersonBrief.model_validate(person) if person is not None else None


def _case_reads(cases: list[Case], db_session: Session, diseases: DiseaseRegistry) -> list[CaseRead]:
    persons = service.persons_by_id([c.person_id for c in cases], db_session=db_session)
    jobs = service.latest_jobs([c.id for c in cases], db_session=db_session)
    reads: list[CaseRead] = []
    for case in cases:
        disease = diseases.find(case.disease)
        reference = case.onset_date or case.specimen_date
        extra: dict[str, Any] = {
            "person": _brief(persons.get(case.person_id)),
            "tracing": TracingRead.model_validate(jobs[case.id]) if case.id in jobs else None,
            "infectious_window": disease.window(reference, case.isolation_date) if disease and reference else None,
            "follow_up_days": disease.follow_up_days if disease else None,
        }
        reads.append(CaseRead.model_validate(case).model_copy(update=extra))
    return reads


def _proposed_reads(proposed: list[ProposedContact], db_session: Session) -> list[ProposedContactRead]:
    persons = service.persons_by_id([p.person_id for p in proposed], db_session=db_session)
    return [
        ProposedContactRead.model_validate(p).model_copy(
            update={"person": _brief(persons.get(p.person_id) if p.person_id else None)}
        )
        for p in proposed
    ]


def _contact_reads(contacts: list[Contact], db_session: Session, diseases: DiseaseRegistry) -> list[ContactRead]:
    persons = service.persons_by_id([c.person_id for c in contacts], db_session=db_session)
    disease_of = service.diseases_of_cases([c.case_id for c in contacts], db_session=db_session)
    reads: list[ContactRead] = []
    for contact in contacts:
        disease = diseases.find(disease_of.get(contact.case_id, ""))
        until = (
            contact.last_exposure_date + dt.timedelta(days=disease.follow_up_days)
            if disease is not None and contact.last_exposure_date is not None
            else None
        )
        reads.append(
            ContactRead.model_validate(contact).model_copy(
                update={
                    "person": _brief(persons.get(contact.person_id) if contact.person_id else None),
                    "follow_up_until": until,
                }
            )
        )
    return reads
