"""Contacts of contacts for one case: whom its accepted, identified close contacts met over the days after their
exposure, traced on the location store through :class:`~izquvar.service.tracing.StoreTracer`.

The window is trace-all's (``outbreak.second_degree.exposures``, reused as is): each close contact is traced
from local midnight of their first exposure day to the quarantine day (the case's isolation, else the day after
its onset or specimen date). The contact is traced under the pseudonym the tracer found them by, then their
registry pseudonyms (PINFL, phones). Only close second-degree contacts are kept, and neither the case's person,
the first-degree contacts themselves, nor anyone with an open case of the disease (traced in their own right).
The second-degree pseudonyms are re-identified through ``persons.service`` for this case; the route audits it.
Measured on the tests' simulated city: a few milliseconds per contact traced, so it runs in the request.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from izquvar.cases.diseases import Disease
from izquvar.cases.models import Case, Contact, ProposedContact
from izquvar.errors import NotFound
from izquvar.localtime import UZBEKISTAN_TZ
from izquvar.outbreak.second_degree import exposures
from izquvar.persons import service as persons_service
from izquvar.persons.models import Person
from izquvar.service.tracing import StoreTracer
from izquvar.trace.result import Contact as TracedContact

#: The class of first- and second-degree contacts that is followed (trace-all's default).
CLOSE = "close"


@dataclass(frozen=True)
class SecondDegreeContact:
    """A close contact of a close contact of the case."""

    via_contact_id: int
    via_person_id: int
    pseudonym: str
    person: Person | None
    klass: str
    risk: float
    minutes: float
    first_seen: dt.datetime
    last_seen: dt.datetime
    setting: str
    sources: list[str]
    explanation: str


@dataclass
class SecondDegree:
    """What tracing a case's close contacts found."""

    contacts: list[SecondDegreeContact] = field(default_factory=list)
    #: First-degree contacts traced, and those the location store does not know.
    traced: int = 0
    not_in_store: list[int] = field(default_factory=list)
    #: Contacts left out because their exposure was on or after the quarantine day (nothing to trace).
    skipped: list[int] = field(default_factory=list)
    elapsed_ms: float = 0.0


def second_degree_of(
    case: Case, *, disease: Disease, tracer: StoreTracer, db_session: Session, reason: str, lang: str = "en"
) -> SecondDegree:
    """The second-degree close contacts of ``case`` (riskiest first), re-identified for this case."""
    started = time.perf_counter()
    contacts = list(
        db_session.scalars(
            select(Contact)
            .where(Contact.case_id == case.id, Contact.classification == CLOSE, Contact.person_id.is_not(None))
            .order_by(Contact.id)
        )
    )
    found = SecondDegree()
    reference = case.onset_date or case.specimen_date
    if not contacts or reference is None:
        return found
    first_seen = _first_exposures(contacts, db_session)
    by_pseudonym = {_key(c): c for c in contacts if c.id in first_seen}
    index = f"case:{case.id}"
    cases_table = pa.table({"person": [index], "onset": [reference], "isolation": [case.isolation_date]})
    contacts_table = pa.table(
        {
            "case": [index] * len(by_pseudonym),
            "contact": list(by_pseudonym),
            "klass": [CLOSE] * len(by_pseudonym),
            "first_seen": pa.array([first_seen[c.id] for c in by_pseudonym.values()], pa.timestamp("us", tz="UTC")),
        }
    )
    utc_offset = UZBEKISTAN_TZ.utcoffset(None) or dt.timedelta(hours=5)
    windows, _ = exposures(cases_table, contacts_table, utc_offset, {index}, disease.days_before_onset)
    windowed = {w.person for w in windows}
    found.skipped = sorted(c.id for p, c in by_pseudonym.items() if p not in windowed)
    found.skipped += sorted(c.id for c in contacts if c.id not in first_seen)
    wanted = {c.person_id for c in contacts}
    persons = {p.id: p for p in db_session.scalars(select(Person).where(Person.id.in_(wanted)))}
    if windows:
        tracer.require_store()
    pseudonymizer = tracer.pseudonymizer()
    own = persons_service.pseudonyms_of(persons_service.get(case.person_id, db_session=db_session), pseudonymizer)
    first_degree = set(own.all()) | set(by_pseudonym)
    raw: list[tuple[Contact, TracedContact]] = []
    for window in windows:
        contact = by_pseudonym[window.person]
        person = persons[contact.person_id] if contact.person_id is not None else None
        names = [window.person] + (persons_service.pseudonyms_of(person, pseudonymizer).all() if person else [])
        try:
            result = tracer.trace(list(dict.fromkeys(names)), window.onset, window.isolation, disease, lang)
        except NotFound:
            found.not_in_store.append(contact.id)
            continue
        found.traced += 1
        first_degree |= set(names)
        raw += [(contact, c) for c in result.contacts if c.klass == CLOSE]
    raw = [(contact, c) for contact, c in raw if c.person not in first_degree]
    identified = persons_service.persons_for_pseudonyms(
        sorted({c.person for _, c in raw}),
        pseudonymizer,
        db_session=db_session,
        case_id=case.id,
        reason=reason,
    )
    with_cases = _with_open_cases({p.id for p in identified.values()}, disease.code, db_session)
    for contact, traced in raw:
        match = identified.get(traced.person)
        if match is not None and (match.id in with_cases or match.id == case.person_id):
            continue
        assert contact.person_id is not None
        found.contacts.append(
            SecondDegreeContact(
                via_contact_id=contact.id,
                via_person_id=contact.person_id,
                pseudonym=traced.person,
                person=match,
                klass=traced.klass,
                risk=traced.risk,
                minutes=traced.minutes,
                first_seen=traced.first_seen,
                last_seen=traced.last_seen,
                setting=traced.setting,
                sources=list(traced.sources),
                explanation=traced.explanation,
            )
        )
    found.contacts.sort(key=lambda c: (-c.risk, c.via_contact_id, c.pseudonym))
    found.elapsed_ms = (time.perf_counter() - started) * 1000
    return found


def _key(contact: Contact) -> str:
    """The pseudonym a contact is traced under first: the one the tracer found them by, else a stand-in that the
    registry pseudonyms replace (a hand-entered contact)."""
    return contact.pseudonym or f"contact:{contact.id}"


def _first_exposures(contacts: list[Contact], db_session: Session) -> dict[int, dt.datetime]:
    """Each contact's first exposure: the traced ``first_seen``, else local midnight of the last exposure day."""
    proposed_ids = [c.proposed_contact_id for c in contacts if c.proposed_contact_id is not None]
    seen: dict[int, dt.datetime] = {}
    if proposed_ids:
        rows = db_session.execute(
            select(ProposedContact.id, ProposedContact.first_seen).where(ProposedContact.id.in_(proposed_ids))
        )
        seen = {row.id: row.first_seen for row in rows}
    first: dict[int, dt.datetime] = {}
    for contact in contacts:
        at = seen.get(contact.proposed_contact_id) if contact.proposed_contact_id is not None else None
        if at is None and contact.last_exposure_date is not None:
            at = dt.datetime.combine(contact.last_exposure_date, dt.time(), UZBEKISTAN_TZ)
        if at is not None:
            first[contact.id] = at.astimezone(dt.UTC)
    return first


def _with_open_cases(person_ids: set[int], disease: str, db_session: Session) -> set[int]:
    if not person_ids:
        return set()
    return set(
        db_session.scalars(
            select(Case.person_id).where(
                Case.person_id.in_(person_ids), Case.disease == disease, Case.classification != "not_a_case"
            )
        )
    )
