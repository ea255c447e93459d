"""The registry's pseudonyms, kept per pseudonym key, so that re-identification is a lookup.

Why a table: a keyed hash cannot be reversed, so finding the person behind a store pseudonym means hashing the
registry as the store hashes it. Done on every tracing job, that was most of the job's time (32,000 identifiers
at 20,000 people, ``benchmarks/lab_to_contacts.py``). Each identifier is now hashed once per key and kept in
``registry_pseudonyms`` with the identifier it came from.

Why it cannot go stale: before each lookup :func:`refresh` deletes the rows whose person no longer has their
identifier (a phone moved or removed, a PINFL corrected) and hashes the identifiers that have no row yet, with
two anti-joins the database answers on its indexes. So no writer of the registry (the API, the importer, a
migration, an administrator's SQL) has to remember it. Rows carry a key id, a hash of a fixed label under the
key, so pseudonyms of another key are never mixed in and the key itself is never stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import and_, delete, exists, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons.models import KEY_ID_LENGTH, Person, PersonPhone, RegistryPseudonym

_LABEL = "izquvar registry pseudonym key id"
_BATCH = 5_000
_LOOKUP_BATCH = 500


def key_id(pseudonymizer: Pseudonymizer) -> str:
    """Which key made a pseudonym: the hash of a fixed label under it (says nothing of the key)."""
    return pseudonymizer.one(_LABEL)[:KEY_ID_LENGTH]


def refresh(pseudonymizer: Pseudonymizer, *, db_session: Session) -> int:
    """Bring the key's rows up to date with the registry; returns how many identifiers were hashed."""
    key = key_id(pseudonymizer)
    mine = RegistryPseudonym.key_id == key
    still_held = exists().where(
        Person.id == RegistryPseudonym.person_id, Person.national_id == RegistryPseudonym.identifier
    )
    phone_held = exists().where(
        PersonPhone.person_id == RegistryPseudonym.person_id, PersonPhone.msisdn == RegistryPseudonym.identifier
    )
    db_session.execute(delete(RegistryPseudonym).where(mine, ~still_held, ~phone_held))
    row = and_(mine, RegistryPseudonym.person_id == Person.id, RegistryPseudonym.identifier == Person.national_id)
    ids = select(Person.id, Person.national_id).where(~exists().where(row))
    phone_row = and_(
        mine, RegistryPseudonym.person_id == PersonPhone.person_id, RegistryPseudonym.identifier == PersonPhone.msisdn
    )
    phones = select(PersonPhone.person_id, PersonPhone.msisdn).where(~exists().where(phone_row))
    hashed = 0
    for statement in (ids, phones):
        for chunk in _chunks(db_session.execute(statement).yield_per(_BATCH)):
            rows = sorted(
                ({"key_id": key, "pseudonym": pseudonymizer.one(identifier), "person_id": person_id,
                  "identifier": identifier} for person_id, identifier in chunk),
                key=lambda r: r["pseudonym"],
            )  # fmt: skip
            db_session.execute(_insert_new(db_session), rows)  # in one order: concurrent refreshers never deadlock
            hashed += len(rows)
    return hashed


def lookup(pseudonyms: Iterable[str], pseudonymizer: Pseudonymizer, *, db_session: Session) -> dict[str, int]:
    """The registry person id of each of ``pseudonyms`` that belongs to someone (refreshing the table first)."""
    wanted = sorted(set(pseudonyms))
    if not wanted:
        return {}
    refresh(pseudonymizer, db_session=db_session)
    key = key_id(pseudonymizer)
    found: dict[str, int] = {}
    for start in range(0, len(wanted), _LOOKUP_BATCH):
        part = wanted[start : start + _LOOKUP_BATCH]
        query = select(RegistryPseudonym.pseudonym, RegistryPseudonym.person_id).where(
            RegistryPseudonym.key_id == key, RegistryPseudonym.pseudonym.in_(part)
        )
        found.update((pseudonym, person_id) for pseudonym, person_id in db_session.execute(query))
    return found


def _insert_new(db_session: Session) -> Any:
    """An INSERT that leaves a row another refresher wrote meanwhile as it is."""
    dialect = db_session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(RegistryPseudonym).on_conflict_do_nothing()


def _chunks(rows: Iterable[Any]) -> Iterator[Sequence[Any]]:
    chunk: list[Any] = []
    for row in rows:
        chunk.append(tuple(row))
        if len(chunk) == _BATCH:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
