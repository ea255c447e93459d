"""Accounts on SQLite and PostgreSQL: creation, jurisdiction, argon2 hashes, sign-in, lockout, password change."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy.orm import Session

from izquvar.errors import AccountLocked, Conflict, InvalidInput, Unauthenticated
from izquvar.users import passwords, service, tokens
from izquvar.users.models import Role, UserCreate
from servicekit import DISTRICT, OTHER_DISTRICT, PASSWORD, TASHKENT, add_user

POLICY = service.LockoutPolicy(max_failures=5, window=dt.timedelta(minutes=15), lock_for=dt.timedelta(minutes=15))
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.usefixtures("cheap_hashes")


def test_create_stores_an_argon2id_hash_and_finds_the_user_in_any_case(db_session: Session) -> None:
    user = add_user(db_session, "Dilnoza.K", Role.EPIDEMIOLOGIST, district_id=DISTRICT)
    assert user.username == "dilnoza.k" and user.display_name == "dilnoza.k"
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash
    assert user.region_id == TASHKENT  # a district brings its region
    assert service.get_by_username(" DILNOZA.K ", db_session=db_session) is user
    with pytest.raises(Conflict, match="already taken") as caught:
        add_user(db_session, "dilnoza.k", Role.LAB)
    assert caught.value.field == "username"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"district_id": "9999999"}, "district_id"),
        ({"region_id": DISTRICT}, "region_id"),  # a district is not a region
        ({"region_id": "1703", "district_id": DISTRICT}, "district_id"),  # not in that region
        ({"role": "superuser"}, "role"),
        ({"password": "short"}, "password"),
        ({"username": "has space"}, "username"),
    ],
)
def test_a_bad_account_is_refused_naming_the_field(values: dict[str, object], field: str) -> None:
    fields: dict[str, object] = {"username": "tracer1", "role": "contact_tracer", "password": PASSWORD}
    with pytest.raises(ValidationError) as caught:
        UserCreate.model_validate(fields | values)
    assert field in str(caught.value)


def test_authenticate_gives_one_answer_for_unknown_users_and_wrong_passwords(
    db_session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(db_session, "lab1", Role.LAB)
    assert service.authenticate("lab1", PASSWORD, db_session=db_session, policy=POLICY).username == "lab1"
    burnt: list[str] = []
    real_burn = passwords.burn_verification
    monkeypatch.setattr(passwords, "burn_verification", lambda p: (burnt.append(p), real_burn(p))[1])
    with pytest.raises(Unauthenticated) as unknown:
        service.authenticate("nobody", PASSWORD, db_session=db_session, policy=POLICY)
    with pytest.raises(Unauthenticated) as wrong:
        service.authenticate("lab1", "not the password", db_session=db_session, policy=POLICY)
    assert str(unknown.value) == str(wrong.value) == service.BAD_CREDENTIALS
    assert burnt == [PASSWORD]  # the unknown user still cost one argon2 verification


def _fail(db_session: Session, times: int, at: dt.datetime) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            service.authenticate("epi", "wrong password!", db_session=db_session, policy=POLICY, now=at)


def test_five_failures_within_the_window_lock_the_account_for_fifteen_minutes(db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    _fail(db_session, 4, T0)
    user = service.get_by_username("epi", db_session=db_session)
    assert user is not None and user.failed_logins == 4 and user.locked_until is None
    with pytest.raises(AccountLocked) as locked:
        service.authenticate("epi", "wrong password!", db_session=db_session, policy=POLICY, now=T0)
    assert locked.value.until == T0 + dt.timedelta(minutes=15) and "15 minute" in str(locked.value)
    # while locked even the right password is refused (and not checked)
    with pytest.raises(AccountLocked):
        service.authenticate("epi", PASSWORD, db_session=db_session, policy=POLICY, now=T0 + dt.timedelta(minutes=14))
    later = T0 + dt.timedelta(minutes=15, seconds=1)
    assert service.authenticate("epi", PASSWORD, db_session=db_session, policy=POLICY, now=later) is user
    assert user.failed_logins == 0 and user.locked_until is None and user.first_failed_login_at is None


def test_failures_spread_beyond_the_window_do_not_lock(db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    for hour in range(10):  # one failure an hour: never five within fifteen minutes
        _fail(db_session, 1, T0 + dt.timedelta(hours=hour))
    user = service.get_by_username("epi", db_session=db_session)
    assert user is not None and user.locked_until is None and user.failed_logins == 1


def test_a_disabled_account_cannot_sign_in_and_loses_its_tokens(db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    issued = tokens.issue(user, db_session=db_session, minutes=60)
    service.set_active(user, False, db_session=db_session)
    with pytest.raises(Unauthenticated, match=service.BAD_CREDENTIALS):
        service.authenticate("epi", PASSWORD, db_session=db_session, policy=POLICY)
    with pytest.raises(Unauthenticated, match="revoked"):
        tokens.user_for(issued.text, db_session=db_session)


def test_change_password_checks_the_current_one_and_revokes_every_token(db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    first, second = (tokens.issue(user, db_session=db_session, minutes=60) for _ in range(2))
    with pytest.raises(InvalidInput) as wrong:
        service.change_password(user, "not it at all", "a new long password", db_session=db_session)
    assert wrong.value.field == "current_password"
    with pytest.raises(InvalidInput) as same:
        service.change_password(user, PASSWORD, PASSWORD, db_session=db_session)
    assert same.value.field == "new_password"
    service.change_password(user, PASSWORD, "a new long password", db_session=db_session)
    for issued in (first, second):
        with pytest.raises(Unauthenticated, match="revoked"):
            tokens.user_for(issued.text, db_session=db_session)
    assert service.authenticate("epi", "a new long password", db_session=db_session, policy=POLICY) is user


def test_the_first_administrator_is_created_once_with_a_one_time_password(db_session: Session) -> None:
    first = service.create_first_administrator(db_session=db_session)
    assert first is not None
    admin, password = first
    assert admin.role is Role.ADMINISTRATOR and admin.must_change_password and len(password) >= 24
    assert service.authenticate("admin", password, db_session=db_session, policy=POLICY) is admin
    assert service.create_first_administrator(db_session=db_session) is None


def test_user_covers_its_own_area_only() -> None:
    from izquvar.users.models import User

    national, region, district = User(), User(region_id=TASHKENT), User(region_id=TASHKENT, district_id=DISTRICT)
    assert national.covers(None, None) and national.covers(TASHKENT, OTHER_DISTRICT)
    assert region.covers(TASHKENT, OTHER_DISTRICT) and not region.covers("1703", None) and not region.covers(None, None)
    assert district.covers(TASHKENT, DISTRICT) and not district.covers(TASHKENT, OTHER_DISTRICT)
    assert not district.covers(TASHKENT, None)
