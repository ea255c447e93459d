"""Signing in through the API on SQLite and PostgreSQL: tokens, lockout, sign-out, expiry, one-time passwords."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from izquvar.audit.models import AuditRecord
from izquvar.users import service, tokens
from izquvar.users.models import Role
from servicekit import PASSWORD, add_user, sign_in

TOKEN = "/api/v1/auth/token"


def test_health_is_public_and_says_the_database_answers(client: TestClient) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": "0.1.0", "database": "reachable"}
    assert "/api/v1/persons/{person_id}" in client.get("/api/v1/openapi.json").json()["paths"]


def test_sign_in_gives_a_bearer_token_for_me_and_a_clear_401_otherwise(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    wrong = client.post(TOKEN, data={"username": "epi", "password": "not the password"})
    unknown = client.post(TOKEN, data={"username": "nobody", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "not_authenticated", "detail": service.BAD_CREDENTIALS,
                                               "field": None}  # fmt: skip
    assert wrong.headers["www-authenticate"] == "Bearer"
    answer = client.post(TOKEN, data={"username": "EPI", "password": PASSWORD}).json()
    assert answer["token_type"] == "bearer" and dt.datetime.fromisoformat(answer["expires_at"]).tzinfo is not None
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {answer['access_token']}"})
    assert me.status_code == 200 and me.json()["username"] == "epi" and "password_hash" not in me.json()
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_repeated_failures_lock_the_account_with_423_and_the_count_survives_each_401(
    client: TestClient, db_session: Session
) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    statuses = [client.post(TOKEN, data={"username": "epi", "password": f"guess {n}"}).status_code for n in range(5)]
    assert statuses == [401, 401, 401, 401, 423]
    locked = client.post(TOKEN, data={"username": "epi", "password": PASSWORD})
    assert locked.status_code == 423 and "locked" in locked.json()["detail"]
    assert 14 * 60 <= int(locked.headers["retry-after"]) <= 15 * 60
    actions = db_session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
    assert actions == ["auth.sign_in_failed"] * 4 + ["auth.sign_in_locked"] * 2


def test_sign_out_revokes_only_that_token(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    first, second = sign_in(client, "epi"), sign_in(client, "epi")
    assert client.post("/api/v1/auth/logout", headers=first).status_code == 204
    refused = client.get("/api/v1/auth/me", headers=first)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
    assert client.get("/api/v1/auth/me", headers=second).status_code == 200


def test_an_expired_token_is_refused(client: TestClient, db_session: Session) -> None:
    user = add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    old = tokens.issue(user, db_session=db_session, minutes=60, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    db_session.commit()
    refused = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old.text}"})
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_a_one_time_password_allows_nothing_but_changing_it(client: TestClient, db_session: Session) -> None:
    first = service.create_first_administrator(db_session=db_session)
    assert first is not None
    db_session.commit()
    headers = sign_in(client, "admin", first[1])
    assert client.get("/api/v1/auth/me", headers=headers).json()["must_change_password"] is True
    blocked = client.get("/api/v1/users", headers=headers)
    assert blocked.status_code == 403 and "one-time password" in blocked.json()["detail"]
    short = client.post("/api/v1/auth/password", headers=headers, json={"current_password": first[1],
                                                                        "new_password": "short"})  # fmt: skip
    assert short.status_code == 422 and short.json()["field"] == "new_password"
    changed = client.post(
        "/api/v1/auth/password", headers=headers, json={"current_password": first[1], "new_password": PASSWORD}
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/users", headers=headers).status_code == 401  # the old token went with it
    assert client.get("/api/v1/users", headers=sign_in(client, "admin")).status_code == 200
