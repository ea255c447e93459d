"""``/api/v1/auth`` (sign in, who am I, sign out, change password) and ``/api/v1/users`` (administrators)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.security import OAuth2PasswordRequestForm

from izquvar.audit import service as audit_service
from izquvar.errors import AccountLocked, Unauthenticated
from izquvar.service.deps import (
    AuditDep,
    BearerToken,
    SessionDep,
    SettingsDep,
    SignedInUser,
    require_role,
)
from izquvar.service.ids import RecordId
from izquvar.service.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from izquvar.users import service, tokens
from izquvar.users.models import PasswordChange, Role, TokenRead, User, UserCreate, UserRead

auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])

Administrator = Annotated[User, Depends(require_role(Role.ADMINISTRATOR, to="manage users"))]


@auth_router.post("/token", response_model=TokenRead)
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], db_session: SessionDep, settings: SettingsDep
) -> TokenRead:
    """The OAuth2 password flow: a bearer token for a username and password (401 when wrong, 423 while the
    account is locked after repeated failures)."""
    try:
        user = service.authenticate(
            form.username, form.password, db_session=db_session, policy=service.LockoutPolicy.from_settings(settings)
        )
    except Unauthenticated as exc:
        known = service.get_by_username(form.username, db_session=db_session)
        if known is not None:  # an unknown name is not recorded: it may be a password typed in the wrong box
            action = "auth.sign_in_locked" if isinstance(exc, AccountLocked) else "auth.sign_in_failed"
            audit_service.record(action, db_session=db_session, actor=None, object_type="user", object_id=known.id)
        db_session.commit()  # the failure count must survive the error response
        raise
    issued = tokens.issue(user, db_session=db_session, minutes=settings.token_minutes)
    audit_service.record("auth.sign_in", db_session=db_session, actor=user, object_type="user", object_id=user.id)
    return TokenRead(access_token=issued.text, expires_at=issued.expires_at)


@auth_router.get("/me", response_model=UserRead)
def me(user: SignedInUser) -> UserRead:
    """The signed-in user's account."""
    return UserRead.model_validate(user)


@auth_router.post("/logout", status_code=204)
def sign_out(user: SignedInUser, token: BearerToken, db_session: SessionDep) -> Response:
    """Revoke the token of this request (other sessions of the user stay signed in)."""
    tokens.revoke(token or "", db_session=db_session)
    audit_service.record("auth.sign_out", db_session=db_session, actor=user, object_type="user", object_id=user.id)
    return Response(status_code=204)


@auth_router.post("/password", status_code=204)
def change_password(change: PasswordChange, user: SignedInUser, db_session: SessionDep) -> Response:
    """Change one's own password; every token of the user is revoked, so sign in again with the new one."""
    service.change_password(user, change.current_password, change.new_password, db_session=db_session)
    audit_service.record(
        "auth.password_changed", db_session=db_session, actor=user, object_type="user", object_id=user.id
    )
    return Response(status_code=204)


@users_router.get("", response_model=Page[UserRead])
def list_users(
    _admin: Administrator, db_session: SessionDep, limit: Limit = DEFAULT_LIMIT, offset: Offset = 0
) -> Page[UserRead]:
    """Accounts by username."""
    found = service.list_users(db_session=db_session, limit=limit + 1, offset=offset)
    return page_of([UserRead.model_validate(u) for u in found], limit=limit, offset=offset)


@users_router.post("", response_model=UserRead, status_code=201)
def create_user(user_in: UserCreate, _admin: Administrator, audit: AuditDep, db_session: SessionDep) -> UserRead:
    """A new account (409 when the username is taken)."""
    user = service.create(user_in, db_session=db_session)
    audit(
        "user.create",
        object_type="user",
        object_id=user.id,
        details={"username": user.username, "role": user.role.value},
    )
    return UserRead.model_validate(user)


@users_router.get("/{user_id}", response_model=UserRead)
def get_user(user_id: RecordId, _admin: Administrator, db_session: SessionDep) -> UserRead:
    """One account."""
    return UserRead.model_validate(service.get(user_id, db_session=db_session))
