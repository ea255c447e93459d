"""Access tokens: opaque random strings, stored only as their SHA-256 digest, with an expiry and revocation.

Why not signed tokens (JWT): a signed token is valid until it expires, whatever happens to the account, unless
every request consults a revocation list anyway; and it needs a signing secret that production must guard and
rotate. Here every request looks its token up (one indexed read), so signing out, disabling a user or changing
a password ends their tokens at once, and there is no secret to leak.

Why only a digest: the ``access_tokens`` table then holds nothing a thief could use; a token has 256 random
bits, so an unsalted fast hash is enough (there is nothing to guess, unlike a password).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from izquvar.db import utcnow
from izquvar.errors import Unauthenticated
from izquvar.users.models import AccessToken, User

#: Random bytes in a token (43 URL-safe characters).
TOKEN_BYTES = 32


@dataclass(frozen=True)
class IssuedToken:
    """A token as handed to its user once: the text itself is never stored."""

    text: str
    expires_at: dt.datetime


def digest(text: str) -> str:
    """The SHA-256 hex digest under which a token's text is stored and looked up."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def issue(user: User, *, db_session: Session, minutes: int, now: dt.datetime | None = None) -> IssuedToken:
    """A new token for ``user``, valid for ``minutes``."""
    now = now or utcnow()
    text = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + dt.timedelta(minutes=minutes)
    db_session.add(AccessToken(digest=digest(text), user_id=user.id, created_at=now, expires_at=expires_at))
    db_session.flush()
    return IssuedToken(text=text, expires_at=expires_at)


def user_for(text: str, *, db_session: Session, now: dt.datetime | None = None) -> User:
    """The active user a valid token belongs to; ``Unauthenticated`` for an unknown, expired or revoked token."""
    now = now or utcnow()
    found = db_session.execute(
        select(AccessToken, User).join(User, User.id == AccessToken.user_id).where(AccessToken.digest == digest(text))
    ).one_or_none()
    if found is None:
        raise Unauthenticated("the access token is not valid; sign in again")
    token, user = found
    if token.revoked_at is not None:
        raise Unauthenticated("the access token was revoked (signed out); sign in again")
    if token.expires_at <= now:
        raise Unauthenticated("the access token has expired; sign in again")
    if not user.active:
        raise Unauthenticated("the account is disabled")
    return user


def revoke(text: str, *, db_session: Session, now: dt.datetime | None = None) -> bool:
    """Revoke one token (signing out); whether it was valid until now."""
    result = db_session.execute(
        update(AccessToken)
        .where(AccessToken.digest == digest(text), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def revoke_all(user: User, *, db_session: Session, now: dt.datetime | None = None) -> int:
    """Revoke every token of ``user`` still unrevoked (a password change, a disabled account); how many."""
    result = db_session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
