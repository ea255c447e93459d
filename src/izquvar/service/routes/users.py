"""``/api/v1/auth`` (sign in, who am I, sign out, change password, the TOTP second factor) and ``/api/v1/users``
(administrators, who may also reset a user's second factor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Response
from fastapi.security import OAuth2PasswordRequestForm
from sqlalchemy.orm import Session

from izquvar.audit import service as audit_service
from izquvar.config import Settings
from izquvar.errors import AccountLocked, InvalidInput, SecondFactorFailed, SecondFactorRequired, Unauthenticated
from izquvar.service.deps import (
    AuditDep,
    CurrentUser,
    RequestToken,
    SessionDep,
    SettingsDep,
    SignedInUser,
    require_role,
)
from izquvar.service.ids import RecordId
from izquvar.service.paging import DEFAULT_LIMIT, Limit, Offset, Page, page_of
from izquvar.service.sessions import clear_session_cookies, set_session_cookies
from izquvar.users import service, tokens, totp
from izquvar.users.models import (
    PasswordChange,
    RecoveryCodes,
    Role,
    SessionRead,
    TokenRead,
    TotpConfirm,
    TotpDisable,
    TotpEnroll,
    TotpEnrollment,
    User,
    UserCreate,
    UserRead,
)

auth_router = APIRouter(prefix="/auth", tags=["auth"])
users_router = APIRouter(prefix="/users", tags=["users"])

Administrator = Annotated[User, Depends(require_role(Role.ADMINISTRATOR, to="manage users"))]


#: The extra form field of ``POST /auth/token`` for an account with a second factor.
TotpField = Annotated[
    str | None,
    Form(
        alias="totp",
        max_length=64,
        description="for an account with a second factor: the authenticator app's 6-digit code, or a recovery code",
    ),
]


@auth_router.post("/token", response_model=TokenRead)
def sign_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    db_session: SessionDep,
    settings: SettingsDep,
    totp_code: TotpField = None,
) -> TokenRead:
    """The OAuth2 password flow: a bearer token for a username and password (401 when wrong, 423 while the
    account is locked after repeated failures). An account with a second factor also needs the form field
    ``totp`` (401 ``second_factor_required`` without it); a wrong or reused code counts toward the lock."""
    issued = _sign_in(form, totp_code, db_session, settings, way="token")
    return TokenRead(access_token=issued.text, expires_at=issued.expires_at)


@auth_router.post("/session", response_model=SessionRead)
def start_browser_session(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    response: Response,
    db_session: SessionDep,
    settings: SettingsDep,
    totp_code: TotpField = None,
) -> SessionRead:
    """Sign in as ``POST /auth/token`` does, for the browser: the token goes into the HttpOnly cookie
    ``izquvar_session`` (SameSite=Strict), never to page scripts; every change made with it must send the
    answer's ``csrf_token`` (also in the cookie ``izquvar_csrf``) in the ``X-CSRF-Token`` header.
    ``POST /auth/logout`` ends it."""
    issued = _sign_in(form, totp_code, db_session, settings, way="session")
    csrf = set_session_cookies(response, issued.text, issued.expires_at, settings)
    return SessionRead(csrf_token=csrf, expires_at=issued.expires_at)


def _sign_in(
    form: OAuth2PasswordRequestForm, totp_code: str | None, db_session: Session, settings: Settings, *, way: str
) -> tokens.IssuedToken:
    """A new access token for the form's account, with every attempt audited; ``way`` (token or session)
    is recorded with a success."""
    try:
        signed_in = service.sign_in(
            form.username,
            form.password,
            db_session=db_session,
            policy=service.LockoutPolicy.from_settings(settings),
            second_factor=totp_code,
            settings=settings,
        )
    except Unauthenticated as exc:
        known = service.get_by_username(form.username, db_session=db_session)
        if known is not None:  # an unknown name is not recorded: it may be a password typed in the wrong box
            audit_service.record(
                _failure_action(exc), db_session=db_session, actor=None, object_type="user", object_id=known.id
            )
        db_session.commit()  # the failure count must survive the error response
        raise
    user = signed_in.user
    issued = tokens.issue(user, db_session=db_session, minutes=settings.token_minutes)
    if signed_in.factor == "recovery":
        audit_service.record(
            "auth.totp_recovery_used",
            db_session=db_session,
            actor=user,
            object_type="user",
            object_id=user.id,
            details={"recovery_codes_left": signed_in.recovery_left},
        )
    audit_service.record(
        "auth.sign_in",
        db_session=db_session,
        actor=user,
        object_type="user",
        object_id=user.id,
        details={"way": way} | ({"second_factor": signed_in.factor} if signed_in.factor != "password" else {}),
    )
    return issued


def _failure_action(exc: Unauthenticated) -> str:
    if isinstance(exc, AccountLocked):
        return "auth.sign_in_locked"
    if isinstance(exc, SecondFactorFailed):
        return "auth.totp_failed"
    if isinstance(exc, SecondFactorRequired):
        return "auth.totp_required"
    return "auth.sign_in_failed"


@auth_router.post("/totp/enroll", response_model=TotpEnrollment)
def enroll_totp(
    body: TotpEnroll, user: CurrentUser, db_session: SessionDep, settings: SettingsDep, audit: AuditDep
) -> TotpEnrollment:
    """Start a second factor: a new TOTP secret and its ``otpauth://`` URI (for a QR code), shown only here.
    Nothing changes at sign-in until ``POST /auth/totp/confirm`` with a code from the app (409 while one is on)."""
    secret, uri = service.enroll_totp(user, body.password, db_session=db_session, settings=settings)
    audit("auth.totp_enrollment_started", object_type="user", object_id=user.id)
    return TotpEnrollment(
        secret=secret, otpauth_uri=uri, digits=totp.DIGITS, period_seconds=totp.PERIOD_SECONDS, confirmed=False
    )


@auth_router.post("/totp/confirm", response_model=RecoveryCodes)
def confirm_totp(
    body: TotpConfirm, user: CurrentUser, db_session: SessionDep, settings: SettingsDep, audit: AuditDep
) -> RecoveryCodes:
    """Turn the second factor on with the app's current code; the ten one-time recovery codes, shown only here."""
    try:
        codes = service.confirm_totp(user, body.code, db_session=db_session, settings=settings)
    except InvalidInput:
        audit("auth.totp_failed", object_type="user", object_id=user.id, details={"during": "confirm"})
        db_session.commit()  # the refusal is part of the trail
        raise
    audit("auth.totp_enrolled", object_type="user", object_id=user.id)
    return RecoveryCodes(recovery_codes=codes)


@auth_router.post("/totp/disable", status_code=204)
def disable_totp(
    body: TotpDisable, user: CurrentUser, db_session: SessionDep, settings: SettingsDep, audit: AuditDep
) -> Response:
    """Turn one's second factor off, with the password and a current code (or a recovery code)."""
    try:
        factor = service.disable_totp(user, body.password, body.code, db_session=db_session, settings=settings)
    except InvalidInput:
        audit("auth.totp_failed", object_type="user", object_id=user.id, details={"during": "disable"})
        db_session.commit()
        raise
    audit("auth.totp_disabled", object_type="user", object_id=user.id, details={"proved_by": factor})
    return Response(status_code=204)


@auth_router.get("/me", response_model=UserRead)
def me(user: SignedInUser) -> UserRead:
    """The signed-in user's account."""
    return UserRead.model_validate(user)


@auth_router.post("/logout", status_code=204)
def sign_out(user: SignedInUser, token: RequestToken, db_session: SessionDep, settings: SettingsDep) -> Response:
    """Revoke the token of this request, bearer or browser session (whose cookies are cleared); the user's other
    sessions stay signed in."""
    tokens.revoke(token or "", db_session=db_session)
    audit_service.record("auth.sign_out", db_session=db_session, actor=user, object_type="user", object_id=user.id)
    response = Response(status_code=204)
    clear_session_cookies(response, settings)
    return response


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


@users_router.post("/{user_id}/totp/reset", response_model=UserRead)
def reset_totp(user_id: RecordId, admin: Administrator, audit: AuditDep, db_session: SessionDep) -> UserRead:
    """Remove a user's second factor and recovery codes (a lost phone); they sign in with the password alone
    and may enrol again."""
    user = service.get(user_id, db_session=db_session)
    had = service.reset_totp(user, db_session=db_session)
    audit("auth.totp_reset", object_type="user", object_id=user.id, details={"had_second_factor": had})
    return UserRead.model_validate(user)
