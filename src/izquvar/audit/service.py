"""Writing and checking the audit trail: :func:`record` appends one chained record, :func:`verify` walks them.

Every function takes the database session as the keyword-only ``db_session`` and flushes, never commits: a
record is part of the unit of work it describes, so a change that rolls back leaves no record of itself, and
a read that is answered has its record committed with the answer.

Turn-taking: :func:`record` first moves the chain head (``UPDATE audit_chain_head SET seq = seq + 1 …
RETURNING``). On PostgreSQL that row lock makes concurrent writers wait for each other until commit, and a
waiter then sees the head its predecessor left; SQLite allows one writer at a time anyway. Either way no two
records can chain to the same predecessor, and ``seq`` (the primary key) is gap-free.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from izquvar.audit.models import GENESIS_HASH, HEAD_ID, AuditChainHead, AuditRecord, ChainCheckRead
from izquvar.db import utcnow
from izquvar.errors import InvalidInput, StoreError

#: Records read per round trip while verifying.
_VERIFY_BATCH = 2_000
#: Fields of a record that its hash covers, in the canonical JSON's (sorted) order.
HASHED_FIELDS = (
    "action", "actor_id", "actor_role", "actor_username", "at", "case_id", "details", "object_id",
    "object_type", "prev_hash", "reason", "seq",
)  # fmt: skip


class Actor(Protocol):
    """Who acts: a signed-in user (``users.User`` has these attributes)."""

    @property
    def id(self) -> int: ...
    @property
    def username(self) -> str: ...
    @property
    def role(self) -> str: ...


def record(
    action: str,
    *,
    db_session: Session,
    actor: Actor | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    case_id: int | None = None,
    reason: str | None = None,
    details: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> AuditRecord:
    """Append a record of ``action`` by ``actor`` (``None``: the system itself, e.g. a failed sign-in by no
    known user) and return it. ``details`` must be JSON (what is stored is what was hashed)."""
    if not action or len(action) > 64:
        raise InvalidInput(f"audit action must be 1 to 64 characters (got {action!r})")
    head = db_session.execute(
        update(AuditChainHead)
        .where(AuditChainHead.id == HEAD_ID)
        .values(seq=AuditChainHead.seq + 1)
        .returning(AuditChainHead.seq, AuditChainHead.hash)
    ).one_or_none()
    if head is None:
        raise StoreError("the audit trail has no chain head: the database was not migrated by izquvar")
    seq, prev_hash = head
    entry = AuditRecord(
        seq=seq,
        at=(at or utcnow()).astimezone(dt.UTC),
        actor_id=actor.id if actor is not None else None,
        actor_username=actor.username if actor is not None else None,
        actor_role=str(actor.role) if actor is not None else None,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        case_id=case_id,
        reason=reason,
        details=json.loads(json.dumps(dict(details or {}), ensure_ascii=False)),
        prev_hash=prev_hash,
    )
    entry.hash = record_hash(entry)
    db_session.add(entry)
    db_session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(hash=entry.hash))
    db_session.flush()
    return entry


def canonical_json(entry: AuditRecord) -> bytes:
    """The record as its hash sees it: the hashed fields, keys sorted, no spaces, UTF-8, UTC time to the
    microsecond (what both SQLite and PostgreSQL keep)."""
    values: dict[str, Any] = {name: getattr(entry, name) for name in HASHED_FIELDS}
    values["at"] = entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(entry: AuditRecord) -> str:
    """The SHA-256 of the record's canonical JSON (which contains the previous record's hash)."""
    return hashlib.sha256(canonical_json(entry)).hexdigest()


def verify(*, db_session: Session) -> ChainCheckRead:
    """Walk the whole trail in order and report the first broken link: a record missing (a gap in ``seq``), a
    record changed (its content no longer gives its hash), a link cut (``prev_hash`` not the hash before it),
    or the newest records gone (the chain head names a record the trail no longer has)."""
    head = db_session.get(AuditChainHead, HEAD_ID)
    if head is None:
        raise StoreError("the audit trail has no chain head: the database was not migrated by izquvar")
    expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
    rows = db_session.execute(select(AuditRecord).order_by(AuditRecord.seq)).scalars().yield_per(_VERIFY_BATCH)
    for entry in rows:
        problem = _link_problem(entry, expected_seq, prev_hash)
        if problem is not None:
            broken = entry.seq if entry.seq == expected_seq else expected_seq
            return ChainCheckRead(ok=False, records=checked, head_seq=head.seq, broken_seq=broken, message=problem)
        checked += 1
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    if head.seq != checked or head.hash != prev_hash:
        message = (
            f"the chain head names record {head.seq} as the newest but the trail ends at record {checked}: "
            f"record(s) {checked + 1} to {head.seq} were deleted"
            if head.seq > checked
            else f"the chain head (record {head.seq}) does not match the newest record {checked}: it was altered"
        )
        return ChainCheckRead(ok=False, records=checked, head_seq=head.seq, broken_seq=checked + 1, message=message)
    return ChainCheckRead(
        ok=True, records=checked, head_seq=head.seq, message=f"{checked} record(s) verified; newest hash {head.hash}"
    )


def _link_problem(entry: AuditRecord, expected_seq: int, prev_hash: str) -> str | None:
    if entry.seq != expected_seq:
        gone = f"record {expected_seq}" if entry.seq == expected_seq + 1 else f"records {expected_seq}–{entry.seq - 1}"
        return f"{gone} missing: record {entry.seq} follows record {expected_seq - 1} (deleted?)"
    if record_hash(entry) != entry.hash:
        return f"record {entry.seq} was changed after it was written: its content does not give its stored hash"
    if entry.prev_hash != prev_hash:
        return f"record {entry.seq} is not chained to record {entry.seq - 1}: its prev_hash differs from that hash"
    return None


@dataclass(frozen=True)
class AuditFilter:
    """Which records a listing shows; ``None`` means any."""

    actor_id: int | None = None
    actor_username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    case_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        for name in ("actor_id", "actor_username", "action", "object_type", "object_id", "case_id"):
            value = getattr(self, name)
            if value is not None:
                conditions.append(getattr(AuditRecord, name) == value)
        if self.since is not None:
            conditions.append(AuditRecord.at >= self.since)
        if self.until is not None:
            conditions.append(AuditRecord.at < self.until)
        return conditions


def list_records(
    audit_filter: AuditFilter, *, db_session: Session, limit: int, offset: int
) -> tuple[list[AuditRecord], int]:
    """The records matching the filter, newest first, one page of them, and how many match in all."""
    conditions = audit_filter.conditions()
    page = db_session.scalars(
        select(AuditRecord).where(*conditions).order_by(AuditRecord.seq.desc()).limit(limit).offset(offset)
    )
    total = db_session.scalar(select(func.count()).select_from(AuditRecord).where(*conditions))
    return list(page), int(total or 0)
