"""The audit trail's tables (records and the chain head) and the schemas the API shows them with."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import JSON, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from izquvar.db import Base, UtcDateTime

HASH_LENGTH = 64
#: The previous hash of the first record: there is none.
GENESIS_HASH = "0" * HASH_LENGTH
#: The chain head's one row.
HEAD_ID = 1


class AuditRecord(Base):
    """Who did what to which object, when, for which case and why; chained to the record before it.

    ``hash`` is the SHA-256 of the record's canonical JSON (``service.canonical_json``), which includes
    ``prev_hash``: changing any field of any record, or removing one, breaks every link after it.
    """

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_actor_id", "actor_id"),
        Index("ix_audit_records_object", "object_type", "object_id"),
        Index("ix_audit_records_case_id", "case_id"),
        Index("ix_audit_records_at", "at"),
    )

    #: 1, 2, 3, … without gaps: assigned under the chain head's lock, never by the database's autoincrement.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: No foreign key: the trail outlives accounts, and keeps the username and role they had then.
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor_username: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)


class AuditChainHead(Base):
    """The newest record's number and hash, in one row.

    Why a row of its own: writers lock it (``SELECT … FOR UPDATE`` on PostgreSQL) to take turns, so two
    concurrent requests cannot both chain to the same predecessor; and it lets ``verify`` notice that the
    newest records were deleted, which the chain alone cannot show.
    """

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(HASH_LENGTH))


class AuditRecordRead(BaseModel):
    """One record of the trail as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor_id: int | None
    actor_username: str | None
    actor_role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    case_id: int | None
    reason: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class ChainCheckRead(BaseModel):
    """What ``verify`` found: whether the chain holds, how many records it read, and the first broken link."""

    ok: bool
    records: int
    head_seq: int
    broken_seq: int | None = None
    message: str
