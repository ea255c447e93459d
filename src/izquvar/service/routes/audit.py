"""``/api/v1/audit``: the trail and its verification, for data-protection officers and administrators."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from izquvar.audit import service
from izquvar.audit.models import AuditRecordRead, ChainCheckRead
from izquvar.errors import InvalidInput
from izquvar.service.deps import AuditDep, SessionDep, require_role
from izquvar.service.ids import IdFilter
from izquvar.service.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from izquvar.users.models import Role, User

router = APIRouter(prefix="/audit", tags=["audit"])

Auditor = Annotated[
    User, Depends(require_role(Role.DATA_PROTECTION_OFFICER, Role.ADMINISTRATOR, to="read the audit trail"))
]


@router.get("", response_model=Page[AuditRecordRead])
def list_records(
    _auditor: Auditor,
    audit: AuditDep,
    db_session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    actor_id: Annotated[IdFilter, Query(description="records by this user")] = None,
    actor_username: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[str | None, Query(max_length=64, description="e.g. person.read")] = None,
    object_type: Annotated[str | None, Query(max_length=64, description="e.g. person")] = None,
    object_id: Annotated[str | None, Query(max_length=64)] = None,
    case_id: IdFilter = None,
    since: Annotated[dt.datetime | None, Query(description="from this time (with its zone) on")] = None,
    until: Annotated[dt.datetime | None, Query(description="before this time (with its zone)")] = None,
) -> Page[AuditRecordRead]:
    """Records, newest first, filtered; reading the trail is itself recorded."""
    audit_filter = service.AuditFilter(
        actor_id=actor_id,
        actor_username=actor_username,
        action=action,
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        since=_aware(since, "since"),
        until=_aware(until, "until"),
    )
    records, total = service.list_records(audit_filter, db_session=db_session, limit=limit, offset=offset)
    page = page_of([AuditRecordRead.model_validate(r) for r in records], limit=limit, offset=offset, total=total)
    audit("audit.list", object_type="audit", details={"offset": offset, "returned": len(page.items)})
    return page


@router.get("/verify", response_model=ChainCheckRead)
def verify(_auditor: Auditor, db_session: SessionDep) -> ChainCheckRead:
    """Walk the whole hash chain: ``ok`` and the newest hash, or the first broken link and what broke it."""
    return service.verify(db_session=db_session)


def _aware(value: dt.datetime | None, field: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise InvalidInput(f"{field} needs a time zone (e.g. 2026-03-02T09:00:00Z)", field=field)
    return value
