"""The optional TOTP second factor (RFC 6238) through the API, on SQLite and PostgreSQL: enrolment that changes
nothing until confirmed, sign-in that needs a code not used before (or a recovery code, once), wrong codes
counting toward the lock, disabling with password and code, an administrator's reset, the secret encrypted at
rest, and every step in the audit trail."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from izquvar.audit.models import AuditRecord
from izquvar.config import Settings
from izquvar.errors import Forbidden
from izquvar.users import totp
from izquvar.users.models import RecoveryCode, Role, User
from servicekit import PASSWORD, add_user, sign_in

TOKEN = "/api/v1/auth/token"
ENROLL = "/api/v1/auth/totp/enroll"
CONFIRM = "/api/v1/auth/totp/confirm"
DISABLE = "/api/v1/auth/totp/disable"


def _code(secret: str, offset: int = 0) -> str:
    """The code an authenticator app shows now (``offset`` steps later)."""
    return totp.code_at(secret, totp.current_step() + offset)


def _token(client: TestClient, username: str, code: str | None = None, password: str = PASSWORD) -> object:
    data = {"username": username, "password": password} | ({"totp": code} if code is not None else {})
    return client.post(TOKEN, data=data)


def _actions(db_session: Session, user_id: int) -> list[str]:
    db_session.expire_all()
    found = db_session.scalars(
        select(AuditRecord.action).where(AuditRecord.object_id == str(user_id)).order_by(AuditRecord.seq)
    )
    return [a for a in found if a.startswith("auth.totp")]


def _enrolled(
    client: TestClient, db_session: Session, username: str = "epi"
) -> tuple[User, dict[str, str], str, list[str]]:
    """An epidemiologist with a confirmed second factor: the account, a token, the secret, the recovery codes."""
    user = add_user(db_session, username, Role.EPIDEMIOLOGIST)
    headers = sign_in(client, username)
    enrolled = client.post(ENROLL, json={"password": PASSWORD}, headers=headers)
    assert enrolled.status_code == 200, enrolled.text
    secret = enrolled.json()["secret"]
    confirmed = client.post(CONFIRM, json={"code": _code(secret)}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    return user, headers, secret, confirmed.json()["recovery_codes"]


def test_enrolment_changes_nothing_until_confirmed(client: TestClient, db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    headers = sign_in(client, "epi")
    wrong = client.post(ENROLL, json={"password": "not the password"}, headers=headers)
    assert wrong.status_code == 400 and wrong.json()["field"] == "password"
    assert client.post(ENROLL, json={"password": PASSWORD}).status_code == 401
    enrolled = client.post(ENROLL, json={"password": PASSWORD}, headers=headers)
    assert enrolled.status_code == 200
    body = enrolled.json()
    uri = urlparse(body["otpauth_uri"])
    assert uri.scheme == "otpauth" and uri.netloc == "totp" and uri.path == "/izquvar:epi"
    assert parse_qs(uri.query)["secret"] == [body["secret"]] and body["confirmed"] is False
    assert (body["digits"], body["period_seconds"]) == (6, 30)
    # not a second factor yet: the password alone still signs in
    assert _token(client, "epi").status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).json()["totp_enabled"] is False
    refused = client.post(CONFIRM, json={"code": "000000" if _code(body["secret"]) != "000000" else "111111"},
                          headers=headers)  # fmt: skip
    assert refused.status_code == 400 and refused.json()["field"] == "code"
    assert client.post(CONFIRM, json={"code": "٣٣٣٣٣٣"}, headers=headers).status_code == 400
    confirmed = client.post(CONFIRM, json={"code": _code(body["secret"])}, headers=headers)
    assert confirmed.status_code == 200
    codes = confirmed.json()["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/api/v1/auth/me", headers=headers).json()["totp_enabled"] is True
    again = client.post(ENROLL, json={"password": PASSWORD}, headers=headers)
    assert again.status_code == 409
    assert _actions(db_session, user.id) == ["auth.totp_enrollment_started", "auth.totp_failed",
                                             "auth.totp_failed", "auth.totp_enrolled"]  # fmt: skip


def test_the_secret_and_recovery_codes_are_not_stored_readable(client: TestClient, db_session: Session) -> None:
    user, _, secret, _ = _enrolled(client, db_session)
    db_session.expire_all()
    stored = db_session.get(User, user.id)
    assert stored is not None and stored.totp_secret is not None and secret not in stored.totp_secret
    assert totp.decrypt(stored.totp_secret, Settings()) == secret
    with pytest.raises(Forbidden, match="cannot be decrypted"):
        totp.decrypt(stored.totp_secret, Settings(secret_key="another key, another deployment"))  # type: ignore[arg-type]
    digests = list(db_session.scalars(select(RecoveryCode.digest).where(RecoveryCode.user_id == user.id)))
    assert len(digests) == 10 and all(len(d) == 64 for d in digests)


def test_sign_in_needs_a_fresh_code_and_refuses_a_replay(client: TestClient, db_session: Session) -> None:
    user, _, secret, _ = _enrolled(client, db_session)
    missing = _token(client, "epi")
    assert missing.status_code == 401
    assert missing.json()["error"] == "second_factor_required" and missing.json()["field"] == "totp"
    # the code used to confirm is spent: its step is the last accepted one
    replayed_confirm = _token(client, "epi", _code(secret))
    assert replayed_confirm.status_code == 401 and "already used" in replayed_confirm.json()["detail"]
    later = _code(secret, 1)  # the next step's code, within the accepted window
    ok = _token(client, "epi", later)
    assert ok.status_code == 200, ok.text
    assert (
        client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {ok.json()['access_token']}"}).json()[
            "username"
        ]
        == "epi"
    )
    replay = _token(client, "epi", later)
    assert replay.status_code == 401 and replay.json()["error"] == "not_authenticated"
    wrong_password = _token(client, "epi", _code(secret, 1), password="not the password")
    assert wrong_password.status_code == 401 and "username or password" in wrong_password.json()["detail"]
    assert "auth.totp_required" in _actions(db_session, user.id)
    assert _actions(db_session, user.id).count("auth.totp_failed") == 2


def test_wrong_codes_count_toward_the_lock(client: TestClient, db_session: Session) -> None:
    _, _, secret, _ = _enrolled(client, db_session)
    good = _code(secret, 1)
    bad = next(c for c in ("000000", "111111", "222222") if c not in {_code(secret, k) for k in (-1, 0, 1, 2)})
    for _ in range(4):
        assert _token(client, "epi", bad).status_code == 401
    locked = _token(client, "epi", bad)
    assert locked.status_code == 423 and "Retry-After" in locked.headers
    assert _token(client, "epi", good).status_code == 423  # even the right code waits out the lock


def test_a_recovery_code_signs_in_once(client: TestClient, db_session: Session) -> None:
    user, _, _, codes = _enrolled(client, db_session, "tracer")
    first = codes[0].upper().replace("-", " ")  # as a person might type it
    assert _token(client, "tracer", first).status_code == 200
    assert _token(client, "tracer", codes[0]).status_code == 401
    assert _token(client, "tracer", "aaaa-bbbb-cccc-dddd").status_code == 401
    db_session.expire_all()
    record = db_session.scalars(
        select(AuditRecord).where(AuditRecord.action == "auth.totp_recovery_used").order_by(AuditRecord.seq)
    ).one()
    assert record.details == {"recovery_codes_left": 9} and record.object_id == str(user.id)


def test_disable_needs_password_and_code(client: TestClient, db_session: Session) -> None:
    user, headers, secret, _ = _enrolled(client, db_session)
    no_password = client.post(DISABLE, json={"password": "wrong password!", "code": _code(secret, 1)}, headers=headers)
    assert no_password.status_code == 400 and no_password.json()["field"] == "password"
    spent = client.post(DISABLE, json={"password": PASSWORD, "code": _code(secret)}, headers=headers)
    assert spent.status_code == 400 and spent.json()["field"] == "code"
    assert (
        client.post(DISABLE, json={"password": PASSWORD, "code": _code(secret, 1)}, headers=headers).status_code == 204
    )
    assert _token(client, "epi").status_code == 200
    assert client.post(DISABLE, json={"password": PASSWORD, "code": "123456"}, headers=headers).status_code == 400
    assert "auth.totp_disabled" in _actions(db_session, user.id)


def test_an_administrator_resets_a_lost_second_factor(client: TestClient, db_session: Session) -> None:
    user, headers, _, _ = _enrolled(client, db_session)
    add_user(db_session, "root", Role.ADMINISTRATOR)
    admin = sign_in(client, "root")
    assert client.post(f"/api/v1/users/{user.id}/totp/reset", headers=headers).status_code == 403
    assert client.post("/api/v1/users/999999/totp/reset", headers=admin).status_code == 404
    reset = client.post(f"/api/v1/users/{user.id}/totp/reset", headers=admin)
    assert reset.status_code == 200 and reset.json()["totp_enabled"] is False
    assert _token(client, "epi").status_code == 200
    db_session.expire_all()
    assert list(db_session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id))) == []
    record = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "auth.totp_reset")).one()
    assert record.actor_username == "root" and record.details == {"had_second_factor": True}
