"""The registry's operations: create, get, update and search persons, and the join of pseudonyms to persons.

Every function takes the database session as the keyword-only ``db_session``; the caller owns the unit of
work (``izquvar.db.session_scope``): these functions flush, never commit.

Re-identification (a pseudonym from the location store back to a person) happens only here, in
:func:`person_for_pseudonym` and :func:`persons_for_pseudonyms`. They take the case and the reason the
re-identification is done for; the audit trail (who, when, which case, why) is written by the service layer
that calls them with the signed-in user, which is where the user is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, select, union
from sqlalchemy.orm import Session

from izquvar.errors import Conflict, InvalidInput, NotFound
from izquvar.ingest.phone import canonical_one
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons import pseudonyms as kept_pseudonyms
from izquvar.persons.models import Person, PersonCreate, PersonPhone, PersonUpdate, check_address
from izquvar.persons.national_id import PINFL_DIGITS
from izquvar.persons.search_key import name_key, prefix_range, words_key

#: A query made only of digits and phone punctuation is an identifier (PINFL or phone), not a name.
_IDENTIFIER_QUERY = re.compile(r"[0-9\s\-().+/]+")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1_000
#: Persons read per round trip when the whole registry is hashed.
_SCAN_BATCH = 5_000


def get(person_id: int, *, db_session: Session) -> Person:
    """The person with this id; ``NotFound`` otherwise."""
    person = db_session.get(Person, person_id)
    if person is None:
        raise NotFound(f"no person with id {person_id}")
    return person


def get_by_national_id(national_id: str, *, db_session: Session) -> Person | None:
    """The person with this PINFL, or ``None``."""
    return db_session.scalars(select(Person).where(Person.national_id == national_id.strip())).one_or_none()


def create(person_in: PersonCreate, *, db_session: Session) -> Person:
    """A new person; ``InvalidInput`` when the PINFL or a phone is already registered."""
    if get_by_national_id(person_in.national_id, db_session=db_session) is not None:
        raise Conflict(
            f"national_id {person_in.national_id}: a person with this PINFL is already registered", field="national_id"
        )
    _check_phones_free(person_in.phones, owner=None, db_session=db_session)
    person = Person(
        national_id=person_in.national_id,
        birth_date=person_in.birth_date,
        sex=person_in.sex,
        region_id=person_in.region_id,
        district_id=person_in.district_id,
        mahalla_id=person_in.mahalla_id,
        street=person_in.street,
        house=person_in.house,
        preferred_language=person_in.preferred_language,
        phones=[PersonPhone(msisdn=m) for m in person_in.phones],
    )
    person.set_names(person_in.family_name, person_in.given_name, person_in.patronymic)
    db_session.add(person)
    db_session.flush()
    return person


def update(person: Person, person_in: PersonUpdate, *, db_session: Session) -> Person:
    """The person with the fields given in ``person_in`` changed (an explicit ``null`` clears an optional one)."""
    changes = person_in.model_dump(exclude_unset=True)
    for required in ("family_name", "given_name"):
        if required in changes and changes[required] is None:
            raise InvalidInput(f"{required} cannot be removed from a person")
    address = {k: changes.get(k, getattr(person, k)) for k in ("region_id", "district_id", "mahalla_id")}
    try:
        check_address(**address)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if "phones" in changes:
        phones = changes.pop("phones") or []
        _check_phones_free(phones, owner=person, db_session=db_session)
        kept = {p.msisdn: p for p in person.phones}
        person.phones = [kept.get(m) or PersonPhone(msisdn=m) for m in phones]
    names = {k: changes.pop(k, getattr(person, k)) for k in ("family_name", "given_name", "patronymic")}
    person.set_names(names["family_name"], names["given_name"], names["patronymic"])
    for field, value in changes.items():
        setattr(person, field, value)
    db_session.flush()
    return person


def _check_phones_free(phones: Iterable[str], *, owner: Person | None, db_session: Session) -> None:
    """``InvalidInput`` when a number is registered to someone other than ``owner``."""
    numbers = list(phones)
    if not numbers:
        return
    taken = db_session.execute(
        select(PersonPhone.msisdn, Person.national_id)
        .join(Person)
        .where(PersonPhone.msisdn.in_(numbers), PersonPhone.person_id != (owner.id if owner else -1))
    ).first()
    if taken is not None:
        raise Conflict(
            f"phone {taken[0]} is already registered to another person (national_id {taken[1]})", field="phones"
        )


def search(
    q: str,
    *,
    db_session: Session,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    region_id: str | None = None,
    district_id: str | None = None,
) -> list[Person]:
    """Persons matching ``q``, in either script: a prefix of the family name or the given name, or of the full
    name word by word ("Shadmanov Ali"), or exactly a PINFL or a phone number. Ordered by family name, given
    name, id. ``region_id`` / ``district_id`` keep only persons whose address is in that area (a user's
    jurisdiction), inside the query so that pages stay full."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT} (got {limit})")
    if offset < 0:
        raise InvalidInput(f"offset must not be negative (got {offset})")
    branches = _search_branches(q)
    if not branches:
        return []
    area: list[ColumnElement[bool]] = []
    if region_id is not None:
        area.append(Person.region_id == region_id)
    if district_id is not None:
        area.append(Person.district_id == district_id)
    # Each way to match on its own index, the page picked from their union, then its persons read. One query with
    # the ways OR-ed under ORDER BY ... LIMIT let PostgreSQL walk the family-key index in order, filtering, hoping
    # for the page early: a name prefix few family names share walked the whole index, and a PINFL OR-ed with a
    # phone's EXISTS scanned the table (seconds at 500,000 persons, benchmarks/service_lists.py); the union reads
    # only the persons that match.
    order = (Person.family_key, Person.given_key, Person.id)
    matching = union(
        *(select(Person.id, Person.family_key, Person.given_key).where(branch, *area) for branch in branches)
    ).subquery()
    page = (
        select(matching.c.id)
        .order_by(matching.c.family_key, matching.c.given_key, matching.c.id)
        .limit(limit)
        .offset(offset)
    )
    return list(db_session.scalars(select(Person).where(Person.id.in_(page)).order_by(*order)))


def _search_branches(q: str) -> list[ColumnElement[bool]]:
    """The conditions any of which a match meets: the PINFL and the phone for an identifier, one per name key
    for a name."""
    text = q.strip()
    if not text:
        return []
    if _IDENTIFIER_QUERY.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        matches: list[ColumnElement[bool]] = []
        if len(digits) == PINFL_DIGITS:
            matches.append(Person.national_id == digits)
        msisdn = canonical_one(text)
        if msisdn is not None:
            matches.append(Person.id.in_(select(PersonPhone.person_id).where(PersonPhone.msisdn == msisdn)))
        return matches
    key, words = name_key(text), words_key(text)
    if not key:
        return []
    ranges = ((Person.family_key, key), (Person.given_key, key), (Person.full_key, words))
    return [and_(column >= low, column < high) for column, (low, high) in ((c, prefix_range(k)) for c, k in ranges)]


# -- the join of pseudonyms and persons ---------------------------------------------------------------------


@dataclass(frozen=True)
class PersonPseudonyms:
    """The pseudonyms under which a person appears in a location store hashed with one key."""

    national_id: str
    phones: dict[str, str]  # canonical MSISDN → its pseudonym

    def all(self) -> list[str]:
        """Every pseudonym of the person: the national ID's first, then each phone's."""
        return [self.national_id, *self.phones.values()]


def pseudonyms_of(person: Person, pseudonymizer: Pseudonymizer) -> PersonPseudonyms:
    """The person's pseudonyms as the store computes them: the keyed hash of the PINFL (the feeds' person
    identifier) and of each canonical phone number (the store's ``phone_pseudonym``)."""
    return PersonPseudonyms(
        national_id=pseudonymizer.one(person.national_id),
        phones={p.msisdn: pseudonymizer.one(p.msisdn) for p in person.phones},
    )


def person_for_pseudonym(
    pseudonym: str, pseudonymizer: Pseudonymizer, *, db_session: Session, case_id: int, reason: str
) -> Person | None:
    """The registered person behind a store pseudonym (of their PINFL or one of their phones), or ``None``
    for an unidentified subscriber. Re-identification: done for ``case_id`` and ``reason``, which the caller
    records in the audit trail."""
    return persons_for_pseudonyms(
        [pseudonym], pseudonymizer, db_session=db_session, case_id=case_id, reason=reason
    ).get(pseudonym)


def persons_for_pseudonyms(
    pseudonyms: Iterable[str], pseudonymizer: Pseudonymizer, *, db_session: Session, case_id: int, reason: str
) -> dict[str, Person]:
    """:func:`person_for_pseudonym` for many pseudonyms at once (a case's traced contacts): the pseudonyms found,
    each with its person.

    The lookup is on the registry's kept pseudonyms (``persons/pseudonyms.py``: each identifier hashed once per
    key, brought up to date before each lookup), not a pass over the whole registry.
    """
    _check_purpose(case_id, reason)
    found = kept_pseudonyms.lookup(pseudonyms, pseudonymizer, db_session=db_session)
    persons = _by_ids(found.values(), db_session=db_session)
    return {pseudonym: persons[person_id] for pseudonym, person_id in found.items()}


def _check_purpose(case_id: int, reason: str) -> None:
    """A re-identification needs a case and a stated reason (Korea's Infectious Disease Act: for an
    investigation only)."""
    if isinstance(case_id, bool) or not isinstance(case_id, int) or case_id < 1:
        raise InvalidInput(f"re-identification needs the id of the case it is done for (got {case_id!r})")
    if not reason or not reason.strip():
        raise InvalidInput("re-identification needs a reason")


def _by_ids(ids: Iterable[int], *, db_session: Session) -> dict[int, Person]:
    wanted: Sequence[int] = sorted(set(ids))
    if not wanted:
        return {}
    return {p.id: p for p in db_session.scalars(select(Person).where(Person.id.in_(wanted)))}
