"""Accounts: create, get, authenticate (with lockout and the optional TOTP second factor), change password, and
the second factor's enrolment, confirmation, recovery codes, disabling and reset (``users.totp`` says how).

Every function takes the database session as the keyword-only ``db_session`` and flushes, never commits: the
caller owns the unit of work. A failed sign-in changes the account (its failure count), so the caller commits
even when :func:`authenticate` raises ``Unauthenticated`` (the service's token endpoint does).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import Update, delete, func, or_, select, update
from sqlalchemy.orm import Session

from izquvar.config import Settings
from izquvar.db import utcnow
from izquvar.errors import (
    AccountLocked,
    Conflict,
    InvalidInput,
    NotFound,
    SecondFactorFailed,
    SecondFactorRequired,
    Unauthenticated,
)
from izquvar.users import passwords, tokens, totp
from izquvar.users.models import MIN_PASSWORD_LENGTH, RecoveryCode, Role, User, UserCreate

#: The account the service's first start creates.
FIRST_ADMINISTRATOR = "admin"
#: Random bytes of the first administrator's one-time password (24 URL-safe characters).
ONE_TIME_PASSWORD_BYTES = 18

#: One message for an unknown user and a wrong password, so the answer does not tell which usernames exist.
BAD_CREDENTIALS = "wrong username or password"


@dataclass(frozen=True)
class LockoutPolicy:
    """How many failed sign-ins within how long lock an account, and for how long."""

    max_failures: int = 5
    window: dt.timedelta = dt.timedelta(minutes=15)
    lock_for: dt.timedelta = dt.timedelta(minutes=15)

    @classmethod
    def from_settings(cls, settings: Settings) -> LockoutPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            window=dt.timedelta(minutes=settings.login_failure_window_minutes),
            lock_for=dt.timedelta(minutes=settings.lockout_minutes),
        )


def get(user_id: int, *, db_session: Session) -> User:
    """The user with this id; ``NotFound`` otherwise."""
    user = db_session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def get_by_username(username: str, *, db_session: Session) -> User | None:
    """The user with this username (compared in lower case, as it is stored), or ``None``."""
    return db_session.scalars(select(User).where(User.username == username.strip().lower())).one_or_none()


def list_users(*, db_session: Session, limit: int, offset: int) -> list[User]:
    """Users by username."""
    return list(db_session.scalars(select(User).order_by(User.username).limit(limit).offset(offset)))


def count(*, db_session: Session) -> int:
    """How many accounts exist (none before the service's first start)."""
    return int(db_session.scalar(select(func.count()).select_from(User)) or 0)


def create(user_in: UserCreate, *, db_session: Session, must_change_password: bool = False) -> User:
    """A new active account; ``Conflict`` when the username is taken."""
    if get_by_username(user_in.username, db_session=db_session) is not None:
        raise Conflict(f"username {user_in.username!r} is already taken", field="username")
    user = User(
        username=user_in.username,
        display_name=user_in.display_name or user_in.username,
        role=user_in.role,
        region_id=user_in.region_id,
        district_id=user_in.district_id,
        active=True,
        password_hash=passwords.hash_password(user_in.password),
        must_change_password=must_change_password,
        failed_logins=0,
    )
    db_session.add(user)
    db_session.flush()
    return user


def create_first_administrator(*, db_session: Session) -> tuple[User, str] | None:
    """On a database without accounts: an administrator with a random one-time password, which must be
    changed at the first sign-in; the account and the password (shown once, stored only as its hash).
    ``None`` when accounts exist already."""
    if count(db_session=db_session) > 0:
        return None
    password = secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
    user_in = UserCreate(username=FIRST_ADMINISTRATOR, role=Role.ADMINISTRATOR, password=password)
    return create(user_in, db_session=db_session, must_change_password=True), password


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the user, and what proved it beyond the password (``recovery_left``: the unused
    recovery codes after one was spent)."""

    user: User
    factor: Literal["password", "totp", "recovery"]
    recovery_left: int | None = None


#: What a second-factor account without a code is told.
SECOND_FACTOR_NEEDED = (
    "this account has a second factor: send the 6-digit code of the authenticator app (or a recovery code) "
    "as the form field totp"
)
BAD_SECOND_FACTOR = "wrong or already used second-factor code"


def authenticate(
    username: str,
    password: str,
    *,
    db_session: Session,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
    second_factor: str | None = None,
    settings: Settings | None = None,
) -> User:
    """The active user with this username and password (and second factor); see :func:`sign_in`."""
    return sign_in(
        username,
        password,
        db_session=db_session,
        policy=policy,
        now=now,
        second_factor=second_factor,
        settings=settings,
    ).user


def sign_in(
    username: str,
    password: str,
    *,
    db_session: Session,
    policy: LockoutPolicy,
    now: dt.datetime | None = None,
    second_factor: str | None = None,
    settings: Settings | None = None,
) -> SignedIn:
    """The active user with this username and password, and, for an account with a second factor, a TOTP code
    not used before or an unused recovery code (``second_factor``).

    ``Unauthenticated`` otherwise, with one message whether the user is unknown or the password wrong (and the
    time of one argon2 verification either way). ``AccountLocked`` while ``policy`` keeps the account locked:
    the password is then not even checked, so guessing on during a lock learns nothing. For a second-factor
    account, a right password without a code is ``SecondFactorRequired`` (not counted as a failure); a wrong
    or replayed code is ``SecondFactorFailed`` and counts toward the lock like a wrong password, and the
    failure count is reset only once both factors passed.
    """
    now = now or utcnow()
    user = get_by_username(username, db_session=db_session)
    if user is None:
        passwords.burn_verification(password)
        raise Unauthenticated(BAD_CREDENTIALS)
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(_locked_message(user.locked_until, now), until=user.locked_until)
    if not passwords.verify_password(user.password_hash, password) or not user.active:
        _count_failure(user, policy, now)
        db_session.flush()
        if user.locked_until is not None and user.locked_until > now:
            raise AccountLocked(_locked_message(user.locked_until, now), until=user.locked_until)
        raise Unauthenticated(BAD_CREDENTIALS)
    factor: Literal["password", "totp", "recovery"] = "password"
    if user.totp_enabled:
        if not second_factor or not second_factor.strip():
            raise SecondFactorRequired(SECOND_FACTOR_NEEDED, field="totp")
        proved = _check_second_factor(user, second_factor, db_session=db_session, settings=settings, now=now)
        if proved is None:
            _count_failure(user, policy, now)
            db_session.flush()
            if user.locked_until is not None and user.locked_until > now:
                raise AccountLocked(_locked_message(user.locked_until, now), until=user.locked_until)
            raise SecondFactorFailed(BAD_SECOND_FACTOR, field="totp")
        factor = proved
    user.failed_logins, user.first_failed_login_at, user.locked_until = 0, None, None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    db_session.flush()
    left = recovery_codes_left(user, db_session=db_session) if factor == "recovery" else None
    return SignedIn(user=user, factor=factor, recovery_left=left)


def _check_second_factor(
    user: User, code: str, *, db_session: Session, settings: Settings | None, now: dt.datetime
) -> Literal["totp", "recovery"] | None:
    """Which factor ``code`` proved (spending it: the TOTP step or the recovery code), or ``None``."""
    settings = settings or Settings()
    code = code.strip()
    if totp.looks_like_totp(code):
        secret = totp.decrypt(user.totp_secret or "", settings)
        step = totp.matching_step(secret, code, after=user.totp_last_step, now=now.timestamp())
        # spent only if no other sign-in spent this step (or a later one) since the account was read: one
        # conditional UPDATE, so two requests racing with one code cannot both pass
        if step is None or not _spend(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step),
            db_session,
        ):
            return None
        return "totp"
    spent = _spend(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.digest == totp.recovery_digest(code, settings),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now),
        db_session,
    )
    return "recovery" if spent else None


def _spend(statement: Update, db_session: Session) -> bool:
    """Whether the conditional UPDATE changed a row (the code was still unspent)."""
    return bool(db_session.execute(statement).rowcount)  # type: ignore[attr-defined]


def recovery_codes_left(user: User, *, db_session: Session) -> int:
    """How many of the account's recovery codes are still unused."""
    return int(
        db_session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def enroll_totp(user: User, password: str, *, db_session: Session, settings: Settings) -> tuple[str, str]:
    """A new, not yet active TOTP secret for ``user`` (after checking the password): the secret and its
    ``otpauth://`` URI, shown once. ``Conflict`` when a second factor is already on (disable it first)."""
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidInput("password is wrong", field="password")
    if user.totp_enabled:
        raise Conflict("the second factor is already on; disable it first to enrol a new authenticator")
    secret = totp.new_secret()
    user.totp_secret = totp.encrypt(secret, settings)
    user.totp_last_step = None
    db_session.flush()
    return secret, totp.provisioning_uri(secret, user.username)


def confirm_totp(
    user: User, code: str, *, db_session: Session, settings: Settings, now: dt.datetime | None = None
) -> list[str]:
    """Turn the enrolled secret on with a valid code from the app; the ten recovery codes (shown once, stored
    only as digests). ``InvalidInput`` without an enrolment, or for a wrong code."""
    now = now or utcnow()
    if user.totp_enabled:
        raise Conflict("the second factor is already on")
    if user.totp_secret is None:
        raise InvalidInput("no enrolment to confirm: POST /api/v1/auth/totp/enroll first", field="code")
    secret = totp.decrypt(user.totp_secret, settings)
    step = totp.matching_step(secret, code.strip(), after=user.totp_last_step, now=now.timestamp())
    if step is None:
        raise InvalidInput(
            "the code does not match the enrolled secret (check the phone's clock, or type the newest code)",
            field="code",
        )
    user.totp_enabled, user.totp_last_step = True, step
    codes = totp.new_recovery_codes()
    db_session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db_session.add_all(RecoveryCode(user_id=user.id, digest=totp.recovery_digest(c, settings)) for c in codes)
    db_session.flush()
    return codes


def disable_totp(
    user: User, password: str, code: str, *, db_session: Session, settings: Settings, now: dt.datetime | None = None
) -> Literal["totp", "recovery"]:
    """Turn the second factor off, given the password and a current code (or a recovery code); which proved it.
    ``InvalidInput`` naming the field that was wrong."""
    now = now or utcnow()
    if not user.totp_enabled:
        raise InvalidInput("the second factor is not on", field="code")
    if not passwords.verify_password(user.password_hash, password):
        raise InvalidInput("password is wrong", field="password")
    factor = _check_second_factor(user, code, db_session=db_session, settings=settings, now=now)
    if factor is None:
        raise InvalidInput(BAD_SECOND_FACTOR, field="code")
    reset_totp(user, db_session=db_session)
    return factor


def reset_totp(user: User, *, db_session: Session) -> bool:
    """Remove the account's second factor and recovery codes (an administrator's reset for a lost phone);
    whether there was one (on or enrolled)."""
    had = user.totp_enabled or user.totp_secret is not None
    user.totp_enabled, user.totp_secret, user.totp_last_step = False, None, None
    db_session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db_session.flush()
    return had


def _count_failure(user: User, policy: LockoutPolicy, now: dt.datetime) -> None:
    """One more failed sign-in; the ``max_failures``-th within the window locks the account."""
    started = user.first_failed_login_at
    if started is None or now - started > policy.window:
        user.failed_logins, user.first_failed_login_at = 1, now
    else:
        user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= policy.max_failures:
        user.locked_until = now + policy.lock_for
        user.failed_logins, user.first_failed_login_at = 0, None


def _locked_message(until: dt.datetime, now: dt.datetime) -> str:
    minutes = max(1, round((until - now).total_seconds() / 60))
    return (
        f"the account is locked after repeated failed sign-ins; try again in {minutes} minute(s) "
        f"(at {until:%H:%M} UTC) or ask an administrator"
    )


def change_password(user: User, current_password: str, new_password: str, *, db_session: Session) -> User:
    """Set a new password after checking the current one; every token of the user is revoked (sign in again)."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise InvalidInput("current_password is wrong", field="current_password")
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"new_password needs at least {MIN_PASSWORD_LENGTH} characters", field="new_password")
    if new_password == current_password:
        raise InvalidInput("new_password must differ from the current one", field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    user.must_change_password = False
    tokens.revoke_all(user, db_session=db_session)
    db_session.flush()
    return user


def set_active(user: User, active: bool, *, db_session: Session) -> User:
    """Enable or disable an account; disabling ends its tokens."""
    user.active = active
    if not active:
        tokens.revoke_all(user, db_session=db_session)
    db_session.flush()
    return user
