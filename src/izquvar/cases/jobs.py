"""Durable tracing jobs: kept in the database, claimed by one worker at a time, retried a bounded number of times.

Why in the database: a job queued by a positive lab result must survive a restart of the service, and several
service processes may share one database. A worker *claims* a job atomically: on PostgreSQL with
``SELECT … FOR UPDATE SKIP LOCKED`` (concurrent workers pass over each other's rows), on SQLite with a
conditional ``UPDATE … WHERE status = 'queued'`` whose row count says who won. A claim is a *lease*: a running
job whose lease has passed (its worker died) is claimed again. A failed attempt is retried after a delay that
grows with the attempts, until ``max_attempts``; then the job is ``failed`` with the error kept.

Running a job (:func:`run_job`) traces the case on the location store over its disease's infectious window
through a :class:`CaseTracer` (the service implements it on ``izquvar.locations``), re-identifies the traced
pseudonyms through ``persons.service`` for this case (audited), and writes the proposed contacts.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from izquvar.audit import service as audit_service
from izquvar.cases.diseases import Disease, DiseaseRegistry
from izquvar.cases.models import Case, ProposedContact, TracingJob
from izquvar.db import session_scope, utcnow
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons import service as persons_service
from izquvar.trace.result import TraceResult

log = logging.getLogger(__name__)

#: How long a claimed job belongs to its worker before another may take it over.
DEFAULT_LEASE = dt.timedelta(minutes=10)
#: The delay before the first retry; the n-th retry waits n times as long.
DEFAULT_RETRY_DELAY = dt.timedelta(seconds=30)
_MAX_ERROR = 2_000

SessionFactory = sessionmaker[Session]


class CaseTracer(Protocol):
    """What a tracing job needs from the location store."""

    def pseudonymizer(self) -> Pseudonymizer:
        """The keyed hash the store's pseudonyms were made with."""
        ...

    def trace(
        self, pseudonyms: Sequence[str], reference: dt.date, isolation: dt.date | None, disease: Disease, lang: str
    ) -> TraceResult:
        """The trace of the first of ``pseudonyms`` the store knows (``NotFound`` when it knows none), over
        ``disease``'s infectious window from ``reference`` (onset, else specimen date) to ``isolation``."""
        ...


@dataclass(frozen=True)
class Claimed:
    job_id: int
    case_id: int
    attempt: int


def claim(session_factory: SessionFactory, worker: str, *, lease: dt.timedelta = DEFAULT_LEASE) -> Claimed | None:
    """Claim the oldest job that is due (queued and past ``run_after``, or running with an expired lease), in a
    transaction of its own; ``None`` when there is none."""
    now = utcnow()
    due = or_(
        (TracingJob.status == "queued") & (TracingJob.run_after <= now),
        (TracingJob.status == "running") & (TracingJob.lease_until < now),
    )
    with session_scope(session_factory) as db_session:
        postgres = db_session.get_bind().dialect.name == "postgresql"
        candidates = select(TracingJob.id, TracingJob.status, TracingJob.case_id).where(due).order_by(TracingJob.id)
        rows = (
            db_session.execute(candidates.limit(1).with_for_update(skip_locked=True)).all()
            if postgres
            else db_session.execute(candidates.limit(5)).all()
        )
        for job_id, status, case_id in rows:
            changed = db_session.execute(
                update(TracingJob)
                .where(TracingJob.id == job_id, TracingJob.status == status, due)
                .values(
                    status="running",
                    attempts=TracingJob.attempts + 1,
                    claimed_by=worker[:64],
                    lease_until=now + lease,
                    started_at=now,
                    updated_at=now,
                )
                .returning(TracingJob.attempts)
            ).first()
            if changed is not None:
                return Claimed(job_id=job_id, case_id=case_id, attempt=int(changed[0]))
    return None


def run_job(
    claimed: Claimed,
    session_factory: SessionFactory,
    tracer: CaseTracer,
    diseases: DiseaseRegistry,
    *,
    retry_delay: dt.timedelta = DEFAULT_RETRY_DELAY,
) -> str:
    """Run a claimed job to ``done``, or back to ``queued`` for a retry, or to ``failed`` after its last
    attempt; returns the status it ends in. The tracing and its results are one unit of work: a failure leaves
    no proposed contacts half written."""
    try:
        with session_scope(session_factory) as db_session:
            _trace_and_propose(claimed, db_session, tracer, diseases)
        return "done"
    except Exception as exc:
        log.warning("tracing job %s (case %s) attempt %s failed: %s", claimed.job_id, claimed.case_id,
                    claimed.attempt, exc, exc_info=not isinstance(exc, LookupError))  # fmt: skip
        return _failed(claimed, session_factory, f"{type(exc).__name__}: {exc}", retry_delay)


def work_once(
    session_factory: SessionFactory,
    tracer: CaseTracer,
    diseases: DiseaseRegistry,
    worker: str,
    *,
    lease: dt.timedelta = DEFAULT_LEASE,
    retry_delay: dt.timedelta = DEFAULT_RETRY_DELAY,
) -> str | None:
    """Claim and run one due job: the status it ended in, or ``None`` when no job was due."""
    claimed = claim(session_factory, worker, lease=lease)
    if claimed is None:
        return None
    return run_job(claimed, session_factory, tracer, diseases, retry_delay=retry_delay)


def _trace_and_propose(claimed: Claimed, db_session: Session, tracer: CaseTracer, diseases: DiseaseRegistry) -> None:
    job = db_session.get(TracingJob, claimed.job_id)
    if job is None or job.status != "running" or job.attempts != claimed.attempt:
        raise LookupError(f"tracing job {claimed.job_id} is no longer this worker's")
    case = db_session.get(Case, job.case_id)
    if case is None:
        raise LookupError(f"tracing job {job.id}: case {job.case_id} is gone")
    disease = diseases.get(case.disease)
    reference = case.onset_date or case.specimen_date
    if reference is None:
        raise ValueError(f"case {case.id} has neither an onset nor a specimen date to trace from")
    person = persons_service.get(case.person_id, db_session=db_session)
    pseudonymizer = tracer.pseudonymizer()
    own = persons_service.pseudonyms_of(person, pseudonymizer).all()
    result = tracer.trace(own, reference, case.isolation_date, disease, job.lang)
    reason = f"tracing job {job.id} of case {case.id}"
    traced = [c for c in result.contacts if c.person not in set(own)]
    identified = persons_service.persons_for_pseudonyms(
        [c.person for c in traced], pseudonymizer, db_session=db_session, case_id=case.id, reason=reason
    )
    audit_service.record(
        "tracing.reidentify",
        db_session=db_session,
        actor=None,
        object_type="case",
        object_id=case.id,
        case_id=case.id,
        reason=reason,
        details={
            "job_id": job.id,
            "contacts": len(traced),
            "person_ids": sorted({p.id for p in identified.values()}),
        },
    )
    decided = set(
        db_session.scalars(
            select(ProposedContact.pseudonym).where(
                ProposedContact.case_id == case.id, ProposedContact.status != "proposed"
            )
        )
    )
    for stale in db_session.scalars(
        select(ProposedContact).where(ProposedContact.case_id == case.id, ProposedContact.status == "proposed")
    ):
        db_session.delete(stale)
    db_session.flush()
    written = 0
    for contact in traced:
        if contact.person in decided:
            continue
        match = identified.get(contact.person)
        db_session.add(
            ProposedContact(
                case_id=case.id,
                job_id=job.id,
                person_id=match.id if match is not None and match.id != case.person_id else None,
                pseudonym=contact.person,
                contact_class=contact.klass,
                risk=contact.risk,
                minutes=contact.minutes,
                max_daily_minutes=contact.max_daily_minutes,
                closest_m=contact.closest_m,
                attenuation_db=contact.strongest_attenuation_db,
                setting=contact.setting,
                sources=list(contact.sources),
                first_seen=contact.first_seen,
                last_seen=contact.last_seen,
                evidence=[e.model_dump(mode="json") for e in contact.evidence],
                explanation=contact.explanation,
                status="proposed",
            )
        )
        written += 1
    first, last = disease.window(reference, case.isolation_date)
    now = utcnow()
    job.status, job.finished_at, job.lease_until, job.error, job.updated_at = "done", now, None, None, now
    job.summary = {
        "contacts": len(traced),
        "proposed": written,
        "identified": len(identified),
        "by_class": dict(result.summary.contacts),
        "places": result.summary.places,
        "sources_used": list(result.summary.sources_used),
        "window": [first.isoformat(), last.isoformat()],
        "traced_from": result.case.window_start.isoformat(),
        "traced_to": result.case.window_end.isoformat(),
        "elapsed_ms": result.summary.elapsed_ms,
    }


def _failed(claimed: Claimed, session_factory: SessionFactory, error: str, retry_delay: dt.timedelta) -> str:
    with session_scope(session_factory) as db_session:
        job = db_session.get(TracingJob, claimed.job_id)
        if job is None or job.status != "running" or job.attempts != claimed.attempt:
            return job.status if job is not None else "failed"  # another worker took it over meanwhile
        now = utcnow()
        job.error, job.lease_until, job.updated_at = error[:_MAX_ERROR], None, now
        if job.attempts >= job.max_attempts:
            job.status, job.finished_at = "failed", now
        else:
            job.status, job.run_after = "queued", now + retry_delay * job.attempts
        return job.status
