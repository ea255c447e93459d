"""The second factor in ``users.service`` on SQLite and PostgreSQL: a code or recovery code is spent once even
by two sign-ins that read the account before either committed, and the lock counts wrong codes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from izquvar.config import Settings
from izquvar.errors import AccountLocked, SecondFactorFailed, SecondFactorRequired
from izquvar.users import service, totp
from izquvar.users.models import Role, User
from servicekit import PASSWORD, add_user

POLICY = service.LockoutPolicy(max_failures=3, window=dt.timedelta(minutes=15), lock_for=dt.timedelta(minutes=15))
SETTINGS = Settings()
NOW = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def _code(secret: str, offset: int = 0) -> str:
    return totp.code_at(secret, totp.current_step(NOW.timestamp()) + offset)


def _with_second_factor(db_session: Session) -> tuple[User, str, list[str]]:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    secret, _ = service.enroll_totp(user, PASSWORD, db_session=db_session, settings=SETTINGS)
    codes = service.confirm_totp(user, _code(secret, -1), db_session=db_session, settings=SETTINGS, now=NOW)
    db_session.commit()
    return user, secret, codes


def _sign_in(db_session: Session, code: str | None, now: dt.datetime = NOW) -> service.SignedIn:
    return service.sign_in(
        "epi", PASSWORD, db_session=db_session, policy=POLICY, now=now, second_factor=code, settings=SETTINGS
    )


def test_two_sign_ins_racing_with_one_code_pass_once(db_session: Session) -> None:
    _, secret, codes = _with_second_factor(db_session)
    other = sessionmaker(bind=db_session.get_bind())()
    try:
        for code, factor in ((_code(secret), "totp"), (codes[0], "recovery")):
            # both read the account (nothing spent yet; kept, so the identity map keeps what it read), then the
            # first commits its sign-in
            stale = service.get_by_username("epi", db_session=other)
            assert stale is not None
            assert _sign_in(db_session, code).factor == factor
            db_session.commit()
            with pytest.raises(SecondFactorFailed):
                _sign_in(other, code)
            other.rollback()
            del stale
    finally:
        other.close()


def test_wrong_codes_lock_and_a_right_password_does_not_reset_the_count(db_session: Session) -> None:
    _, secret, _ = _with_second_factor(db_session)
    with pytest.raises(SecondFactorRequired):
        _sign_in(db_session, None)
    valid = {_code(secret, k) for k in (-1, 0, 1)}
    bad = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
    for _ in range(POLICY.max_failures - 1):
        with pytest.raises(SecondFactorFailed):
            _sign_in(db_session, bad)
    with pytest.raises(AccountLocked):
        _sign_in(db_session, bad)
    with pytest.raises(AccountLocked):
        _sign_in(db_session, _code(secret, 1))
    after = NOW + POLICY.lock_for + dt.timedelta(seconds=1)
    step = totp.current_step(after.timestamp())
    assert _sign_in(db_session, totp.code_at(secret, step), now=after).factor == "totp"
