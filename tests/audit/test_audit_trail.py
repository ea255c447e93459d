"""The audit trail on SQLite and PostgreSQL: a gap-free hash chain that shows an edit, a deletion, a cut link,
and stays one chain under concurrent writers."""

from __future__ import annotations

import itertools
import threading

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from izquvar.audit import service
from izquvar.audit.models import GENESIS_HASH, AuditRecord
from izquvar.db import make_engine, make_session_factory, session_scope
from izquvar.users.models import Role
from servicekit import add_user

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def _write(db_session: Session, count: int) -> list[AuditRecord]:
    actor = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    written = [
        service.record(
            "person.read",
            db_session=db_session,
            actor=actor,
            object_type="person",
            object_id=n,
            reason="case 17 investigation",
            details={"q": "Шадманов", "ids": [n, n + 1], "nested": {"ok": True, "share": 0.25}},
        )
        for n in range(1, count + 1)
    ]
    db_session.commit()
    return written


def test_records_are_numbered_and_chained_and_verify(db_session: Session) -> None:
    assert service.verify(db_session=db_session).ok  # an empty trail holds
    written = _write(db_session, 5)
    assert [r.seq for r in written] == [1, 2, 3, 4, 5]
    assert written[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(written))
    assert written[0].actor_username == "epi" and written[0].actor_role == "epidemiologist"
    db_session.expire_all()  # read back from the database: what is stored is what was hashed
    check = service.verify(db_session=db_session)
    assert check.ok and check.records == 5 and check.head_seq == 5 and written[-1].hash in check.message


def test_an_edited_record_is_found(db_session: Session) -> None:
    _write(db_session, 5)
    db_session.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(actor_username="someone.else"))
    db_session.commit()
    check = service.verify(db_session=db_session)
    assert not check.ok and check.broken_seq == 3 and check.records == 2
    assert "record 3 was changed" in check.message


def test_an_edit_with_its_hash_recomputed_still_breaks_the_next_link(db_session: Session) -> None:
    _write(db_session, 5)
    forged = db_session.get(AuditRecord, 3)
    assert forged is not None
    forged.reason = "routine check"
    forged.hash = service.record_hash(forged)
    db_session.commit()
    check = service.verify(db_session=db_session)
    assert not check.ok and check.broken_seq == 4 and "not chained to record 3" in check.message


def test_a_deleted_record_is_found(db_session: Session) -> None:
    _write(db_session, 5)
    db_session.execute(delete(AuditRecord).where(AuditRecord.seq == 2))
    db_session.commit()
    check = service.verify(db_session=db_session)
    assert not check.ok and check.broken_seq == 2 and "record 2 missing" in check.message


def test_deleting_the_newest_records_is_found_by_the_chain_head(db_session: Session) -> None:
    _write(db_session, 5)
    db_session.execute(delete(AuditRecord).where(AuditRecord.seq >= 4))
    db_session.commit()
    check = service.verify(db_session=db_session)
    assert not check.ok and check.records == 3 and check.broken_seq == 4
    assert "record(s) 4 to 5 were deleted" in check.message


def test_a_rolled_back_unit_of_work_leaves_no_record_and_no_gap(db_session: Session) -> None:
    _write(db_session, 2)
    service.record("person.read", db_session=db_session, actor=None, object_type="person", object_id=9)
    db_session.rollback()
    assert service.record("person.read", db_session=db_session, actor=None).seq == 3
    db_session.commit()
    assert service.verify(db_session=db_session).ok


def test_concurrent_writers_keep_one_chain(database_url: str, db_session: Session) -> None:
    """Eight writers, each committing records one by one: every record lands, numbered without a gap or a
    fork (PostgreSQL: the chain head's row lock; SQLite: one writer at a time)."""
    engine = make_engine(database_url, **({"connect_args": {"timeout": 30}} if "sqlite" in database_url else {}))
    factory = make_session_factory(engine)
    writers, each = 8, 10
    errors: list[BaseException] = []
    start = threading.Barrier(writers)

    def write(worker: int) -> None:
        try:
            start.wait()
            for n in range(each):
                with session_scope(factory) as session:
                    service.record("test.write", db_session=session, actor=None, details={"w": worker, "n": n})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []
    seqs = list(db_session.scalars(select(AuditRecord.seq).order_by(AuditRecord.seq)))
    assert seqs == list(range(1, writers * each + 1))
    assert db_session.scalar(select(func.count(func.distinct(AuditRecord.prev_hash)))) == writers * each
    check = service.verify(db_session=db_session)
    assert check.ok and check.records == writers * each


def test_listing_filters_and_pages_newest_first(db_session: Session) -> None:
    _write(db_session, 5)
    service.record("user.create", db_session=db_session, actor=None, object_type="user", object_id=1)
    db_session.commit()
    page, total = service.list_records(
        service.AuditFilter(action="person.read"), db_session=db_session, limit=2, offset=1
    )
    assert total == 5 and [r.seq for r in page] == [4, 3]
    only, total = service.list_records(
        service.AuditFilter(object_type="person", object_id="2"), db_session=db_session, limit=10, offset=0
    )
    assert total == 1 and only[0].seq == 2
