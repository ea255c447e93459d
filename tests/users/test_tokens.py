"""Access tokens on SQLite and PostgreSQL: stored as digests only, expiring, revocable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from izquvar.errors import Unauthenticated
from izquvar.users import tokens
from izquvar.users.models import AccessToken, Role
from servicekit import add_user

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def test_a_token_is_stored_only_as_its_sha256_digest(db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    issued = tokens.issue(user, db_session=db_session, minutes=60)
    db_session.commit()
    stored = db_session.scalars(select(AccessToken)).one()
    assert stored.digest == tokens.digest(issued.text) != issued.text and len(issued.text) >= 43
    assert issued.text not in {stored.digest, str(stored.id)}
    assert tokens.user_for(issued.text, db_session=db_session) is user
    with pytest.raises(Unauthenticated, match="not valid"):
        tokens.user_for(issued.text[:-1] + ("A" if issued.text[-1] != "A" else "B"), db_session=db_session)


def test_a_token_expires(db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    issued = tokens.issue(user, db_session=db_session, minutes=30, now=T0)
    assert issued.expires_at == T0 + dt.timedelta(minutes=30)
    assert tokens.user_for(issued.text, db_session=db_session, now=T0 + dt.timedelta(minutes=29)) is user
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.user_for(issued.text, db_session=db_session, now=T0 + dt.timedelta(minutes=30))


def test_revoking_one_token_leaves_the_others(db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    kept, ended = (tokens.issue(user, db_session=db_session, minutes=60) for _ in range(2))
    assert tokens.revoke(ended.text, db_session=db_session) is True
    assert tokens.revoke(ended.text, db_session=db_session) is False  # already revoked
    with pytest.raises(Unauthenticated, match="revoked"):
        tokens.user_for(ended.text, db_session=db_session)
    assert tokens.user_for(kept.text, db_session=db_session) is user
    assert tokens.revoke_all(user, db_session=db_session) == 1
