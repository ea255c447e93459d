"""The registry's kept pseudonyms: each identifier hashed once per key, never stale whoever changed the registry."""

from __future__ import annotations

import pytest
from personkit import pinfl
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons import pseudonyms, service
from izquvar.persons.models import Person, PersonCreate, PersonUpdate, RegistryPseudonym

KEY = Pseudonymizer(b"registry-test-key")
PHONE = "998901234567"


def _create(db_session: Session, serial: int, phones: list[str] | None = None) -> Person:
    fields = {
        "national_id": pinfl(serial=serial),
        "family_name": "Karimov",
        "given_name": "Aziz",
        "phones": phones or [],
    }
    return service.create(PersonCreate.model_validate(fields), db_session=db_session)


def _who(pseudonym: str, db_session: Session) -> int | None:
    return pseudonyms.lookup([pseudonym], KEY, db_session=db_session).get(pseudonym)


def test_each_identifier_is_hashed_once_per_key(db_session: Session) -> None:
    first = _create(db_session, 1, [PHONE])
    _create(db_session, 2)
    assert pseudonyms.refresh(KEY, db_session=db_session) == 3  # two PINFLs and a phone
    assert pseudonyms.refresh(KEY, db_session=db_session) == 0
    assert _who(KEY.one(PHONE), db_session) == first.id == _who(KEY.one(pinfl(serial=1)), db_session)
    other = Pseudonymizer(b"another key")
    assert pseudonyms.key_id(other) != pseudonyms.key_id(KEY)
    assert _who(KEY.one(PHONE), db_session) is not None and other.one(PHONE) != KEY.one(PHONE)
    assert pseudonyms.lookup([KEY.one(PHONE)], other, db_session=db_session) == {}  # never another key's rows
    assert pseudonyms.refresh(other, db_session=db_session) == 0  # the lookup above filled the other key's rows
    assert db_session.scalar(select(func.count()).select_from(RegistryPseudonym)) == 6


def test_a_moved_or_removed_phone_follows_the_registry(db_session: Session) -> None:
    first = _create(db_session, 1, [PHONE])
    second = _create(db_session, 2)
    assert _who(KEY.one(PHONE), db_session) == first.id
    service.update(first, PersonUpdate(phones=[]), db_session=db_session)
    db_session.flush()
    assert _who(KEY.one(PHONE), db_session) is None
    service.update(second, PersonUpdate(phones=[PHONE]), db_session=db_session)
    db_session.flush()
    assert _who(KEY.one(PHONE), db_session) == second.id


@pytest.mark.parametrize("change", ["corrected", "deleted"])
def test_a_change_made_behind_the_service_is_seen_too(db_session: Session, change: str) -> None:
    person = _create(db_session, 1)
    old = KEY.one(pinfl(serial=1))
    assert _who(old, db_session) == person.id
    if change == "corrected":
        db_session.execute(update(Person).where(Person.id == person.id).values(national_id=pinfl(serial=3)))
        assert _who(KEY.one(pinfl(serial=3)), db_session) == person.id
    else:
        db_session.execute(delete(Person).where(Person.id == person.id))
    assert _who(old, db_session) is None
