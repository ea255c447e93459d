"""What every request shares, as FastAPI dependencies with short aliases for route signatures.

``SessionDep``: one database session per request, committed when the route returns, rolled back when it
raises, before the response leaves. ``CurrentUser``: the user of the bearer token or browser session (401
without a valid one; 403 while a one-time password waits to be changed). ``require_role(...)``: 403 for the
other roles. ``AuditDep``: the audit trail bound to the request's session and user, which every read or change
of personal data calls.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyCookie, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from izquvar.audit import service as audit_service
from izquvar.audit.models import AuditRecord
from izquvar.config import Settings
from izquvar.db import session_scope
from izquvar.errors import Forbidden, Unauthenticated
from izquvar.service.sessions import CSRF_COOKIE, CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, csrf_matches
from izquvar.users import tokens
from izquvar.users.models import Role, User

TOKEN_URL = "/api/v1/auth/token"
#: The header a client may send to state why it reads personal data; it lands in every audit record it causes.
REASON_HEADER = "Izquvar-Reason"
MAX_REASON_LENGTH = 500

_bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_URL, auto_error=False)
_session_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="a browser session from POST /api/v1/auth/session"
)


def get_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_db_session(request: Request) -> Iterator[Session]:
    """The request's unit of work."""
    with session_scope(request.app.state.session_factory) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
#: ``scope="function"``: the commit happens before the response is sent, so a 200 means "stored".
SessionDep = Annotated[Session, Depends(get_db_session, scope="function")]


def get_request_token(
    request: Request,
    bearer: Annotated[str | None, Depends(_bearer)],
    session: Annotated[str | None, Depends(_session_cookie)],
) -> str | None:
    """The access token of the request: its bearer token, else its browser session's cookie, which may change
    something only with the session's CSRF token in the ``X-CSRF-Token`` header (``service/sessions.py``)."""
    if bearer:
        return bearer
    if not session:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(session, request.headers.get(CSRF_HEADER)):
        raise Forbidden(
            f"a browser session may change something only with the {CSRF_HEADER} header "
            f"(the value of the {CSRF_COOKIE} cookie)"
        )
    return session


RequestToken = Annotated[str | None, Depends(get_request_token)]


def get_signed_in_user(token: RequestToken, db_session: SessionDep) -> User:
    """The user of the request's token, even one who must still change a one-time password."""
    if not token:
        raise Unauthenticated(
            f"sign in first: this endpoint needs a bearer token from POST {TOKEN_URL} "
            "or a browser session from POST /api/v1/auth/session"
        )
    return tokens.user_for(token, db_session=db_session)


SignedInUser = Annotated[User, Depends(get_signed_in_user)]


def get_current_user(user: SignedInUser) -> User:
    """The signed-in user, once any one-time password has been changed."""
    if user.must_change_password:
        raise Forbidden("change your one-time password first (POST /api/v1/auth/password)")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(*roles: Role, to: str) -> Callable[[User], User]:
    """A dependency giving the current user when their role is one of ``roles``; ``Forbidden`` otherwise, with
    ``to`` saying what was refused ("read persons")."""
    allowed = ", ".join(sorted(role.value for role in roles))

    def dependency(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden(f"the {user.role.value} role may not {to} (allowed: {allowed})")
        return user

    return dependency


@dataclass(frozen=True)
class AuditTrail:
    """The audit trail of one request: who acts is known, and the stated reason travels along."""

    db_session: Session
    actor: User | None
    reason: str | None

    def __call__(
        self,
        action: str,
        *,
        object_type: str | None = None,
        object_id: str | int | None = None,
        case_id: int | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> AuditRecord:
        return audit_service.record(
            action,
            db_session=self.db_session,
            actor=self.actor,
            object_type=object_type,
            object_id=object_id,
            case_id=case_id,
            reason=self.reason,
            details=details,
        )


def get_audit_trail(
    db_session: SessionDep,
    user: CurrentUser,
    reason: Annotated[str | None, Header(alias=REASON_HEADER, max_length=MAX_REASON_LENGTH)] = None,
) -> AuditTrail:
    """The audit trail for the signed-in user's request."""
    return AuditTrail(db_session=db_session, actor=user, reason=reason.strip() if reason else None)


AuditDep = Annotated[AuditTrail, Depends(get_audit_trail)]
