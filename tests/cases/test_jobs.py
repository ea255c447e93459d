"""The durable queue on SQLite and PostgreSQL: a job is claimed by one worker only, even when several claim at
once; a job not yet due waits; an expired lease lets another worker take a job over."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from izquvar.cases import service
from izquvar.cases.diseases import COVID19
from izquvar.cases.jobs import claim
from izquvar.cases.models import Case, TracingJob
from izquvar.db import make_engine, make_session_factory, utcnow
from izquvar.persons.models import Person
from servicekit import add_person


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _cases(factory: sessionmaker[Session], n: int) -> list[int]:
    with factory() as db_session:
        ids = []
        for serial in range(1, n + 1):
            person = add_person(db_session, serial, f"Karimov{serial}")
            outcome = service.record_lab_result(person=person, disease=COVID19, test="PCR", result="positive",
                                                specimen_date=dt.date(2026, 3, 2), result_date=None, user=None,
                                                db_session=db_session)  # fmt: skip
            assert outcome.job is not None and outcome.case is not None
            ids.append(outcome.job.id)
        db_session.commit()
        return ids


def test_concurrent_workers_each_claim_a_different_job(engine: Engine) -> None:
    factory = make_session_factory(engine)
    jobs = _cases(factory, 6)
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (got := claim(factory, name)) is not None:
            with lock:
                claimed.append(got.job_id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(claimed) == sorted(jobs)  # every job once, none twice
    with factory() as db_session:
        rows = db_session.scalars(select(TracingJob)).all()
        assert {(j.status, j.attempts) for j in rows} == {("running", 1)}
        assert all(j.lease_until is not None and j.lease_until > utcnow() for j in rows)


def test_a_job_waits_until_due_and_an_expired_lease_is_taken_over(engine: Engine) -> None:
    factory = make_session_factory(engine)
    (job_id,) = _cases(factory, 1)
    with factory() as db_session:
        job = db_session.get(TracingJob, job_id)
        assert job is not None
        job.run_after = utcnow() + dt.timedelta(minutes=1)
        db_session.commit()
    assert claim(factory, "early") is None
    with factory() as db_session:
        job = db_session.get(TracingJob, job_id)
        assert job is not None
        job.run_after = utcnow() - dt.timedelta(seconds=1)
        db_session.commit()
    first = claim(factory, "first", lease=dt.timedelta(minutes=5))
    assert first is not None and first.attempt == 1
    assert claim(factory, "second") is None  # leased
    with factory() as db_session:
        job = db_session.get(TracingJob, job_id)
        assert job is not None
        job.lease_until = utcnow() - dt.timedelta(seconds=1)  # the first worker died
        db_session.commit()
    second = claim(factory, "second")
    assert second is not None and second.job_id == job_id and second.attempt == 2
    with factory() as db_session:
        job = db_session.get(TracingJob, job_id)
        case = db_session.get(Case, second.case_id)
        assert job is not None and job.claimed_by == "second" and case is not None


def test_two_positives_for_one_person_at_once_open_one_case_and_queue_one_job(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with factory() as db_session:
        person_id = add_person(db_session, 1, "Karimov").id
    first, second = factory(), factory()
    try:
        outcome = service.record_lab_result(person=first.get_one(Person, person_id), disease=COVID19, test="PCR",
                                            result="positive", specimen_date=dt.date(2026, 3, 2), result_date=None,
                                            user=None, db_session=first)  # fmt: skip
        done = threading.Event()
        seen: list[int | None] = []

        def late() -> None:  # waits for the first transaction, then finds its case
            later = service.record_lab_result(person=second.get_one(Person, person_id), disease=COVID19, test="PCR",
                                              result="positive", specimen_date=dt.date(2026, 3, 3), result_date=None,
                                              user=None, db_session=second)  # fmt: skip
            seen.append(later.case.id if later.case else None)
            seen.append(later.job.id if later.job else None)
            second.commit()
            done.set()

        thread = threading.Thread(target=late)
        thread.start()
        assert not done.wait(0.5)  # blocked until the first one commits
        first.commit()
        thread.join(30)
    finally:
        first.close()
        second.close()
    assert outcome.case is not None and outcome.job is not None
    assert seen == [outcome.case.id, outcome.job.id]
    with factory() as db_session:
        assert len(db_session.scalars(select(Case)).all()) == 1
        assert len(db_session.scalars(select(TracingJob)).all()) == 1
