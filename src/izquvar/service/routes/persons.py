"""``/api/v1/persons``: register, search and read persons, within the user's role and jurisdiction, audited.

Who: epidemiologists, contact tracers and lab staff (a result needs its person); analysts see aggregates only
and administrators and data-protection officers have no business with names, so they get 403. Where: a user
of a region or district sees only persons whose address is in it; a person outside it answers 404 exactly as
a missing one does, so that existence does not leak. Every answer that shows a person is recorded in the audit
trail, in the same unit of work.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from izquvar.errors import Forbidden, NotFound
from izquvar.persons import service
from izquvar.persons.models import PersonCreate, PersonRead
from izquvar.service.deps import AuditDep, SessionDep, require_role
from izquvar.service.ids import RecordId
from izquvar.service.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from izquvar.users.models import Role, User

router = APIRouter(prefix="/persons", tags=["persons"])

#: The roles that work with named persons.
PERSON_ROLES = (Role.EPIDEMIOLOGIST, Role.CONTACT_TRACER, Role.LAB)
PersonUser = Annotated[User, Depends(require_role(*PERSON_ROLES, to="see or register named persons"))]


@router.post("", response_model=PersonRead, status_code=201)
def create_person(person_in: PersonCreate, user: PersonUser, audit: AuditDep, db_session: SessionDep) -> PersonRead:
    """Register a person (409 when the PINFL or a phone is registered already). The address must lie in the
    user's jurisdiction, or the user could not see the person they registered."""
    if not user.covers(person_in.region_id, person_in.district_id):
        field = "district_id" if user.district_id is not None else "region_id"
        raise Forbidden(f"{field}: the address is outside your jurisdiction ({_jurisdiction(user)})", field=field)
    person = service.create(person_in, db_session=db_session)
    audit("person.create", object_type="person", object_id=person.id)
    return PersonRead.model_validate(person)


@router.get("", response_model=Page[PersonRead])
def search_persons(
    user: PersonUser,
    audit: AuditDep,
    db_session: SessionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="a name (prefix, Latin or Cyrillic: 'Шадманов' finds 'Shadmanov'), a PINFL or a phone",
        ),
    ],
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[PersonRead]:
    """Persons matching ``q`` within the user's jurisdiction. The registry is searched, never browsed: ``q`` is
    required."""
    found = service.search(
        q,
        db_session=db_session,
        limit=limit + 1,
        offset=offset,
        region_id=user.region_id if user.district_id is None else None,
        district_id=user.district_id,
    )
    page = page_of([PersonRead.model_validate(p) for p in found], limit=limit, offset=offset)
    audit("person.search", object_type="person", details={"q": q, "person_ids": [p.id for p in page.items]})
    return page


@router.get("/{person_id}", response_model=PersonRead)
def get_person(person_id: RecordId, user: PersonUser, audit: AuditDep, db_session: SessionDep) -> PersonRead:
    """One person (404 when there is none, or they live outside the user's jurisdiction)."""
    person = service.get(person_id, db_session=db_session)
    if not user.covers(person.region_id, person.district_id):
        raise NotFound(f"no person with id {person_id}")
    audit("person.read", object_type="person", object_id=person.id)
    return PersonRead.model_validate(person)


def _jurisdiction(user: User) -> str:
    return f"district {user.district_id}" if user.district_id else f"region {user.region_id}"
