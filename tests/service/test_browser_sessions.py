"""Browser sessions: the token only in an HttpOnly cookie, and no change without the session's CSRF token."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from izquvar.audit.models import AuditRecord
from izquvar.persons.models import Person
from izquvar.service import create_app
from izquvar.service.sessions import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from izquvar.users.models import Role
from servicekit import PASSWORD, add_user, pinfl, settings_for

SESSION = "/api/v1/auth/session"
PERSON = {"national_id": pinfl(5), "family_name": "Shadmanov", "given_name": "Alisher"}


def _cookie_headers(response_headers: list[str], name: str) -> str:
    [header] = [h for h in response_headers if h.startswith(f"{name}=")]
    return header.lower()


def _persons(db_session: Session) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count()).select_from(Person)) or 0)


def test_a_session_keeps_its_token_from_page_scripts(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    response = client.post(SESSION, data={"username": "epi", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"csrf_token", "expires_at"}  # no token a script could read
    cookies = response.headers.get_list("set-cookie")
    session = _cookie_headers(cookies, SESSION_COOKIE)
    csrf = _cookie_headers(cookies, CSRF_COOKIE)
    assert "httponly" in session and "samesite=strict" in session and "path=/" in session
    assert "httponly" not in csrf and "samesite=strict" in csrf
    assert "secure" not in session  # development: reached over http://127.0.0.1
    token = client.cookies[SESSION_COOKIE]
    assert client.cookies[CSRF_COOKIE] == body["csrf_token"] == csrf_token_for(token) != token
    assert client.get("/api/v1/auth/me").json()["username"] == "epi"  # reading needs no CSRF token
    db_session.expire_all()
    signed_in = db_session.scalars(select(AuditRecord).where(AuditRecord.action == "auth.sign_in")).one()
    assert signed_in.details == {"way": "session"}


def test_no_change_without_the_sessions_csrf_token(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    csrf = client.post(SESSION, data={"username": "epi", "password": PASSWORD}).json()["csrf_token"]
    missing = client.post("/api/v1/persons", json=PERSON)
    assert missing.status_code == 403 and CSRF_HEADER in missing.json()["detail"]
    forged = client.post("/api/v1/persons", json=PERSON, headers={CSRF_HEADER: csrf_token_for("another session")})
    assert forged.status_code == 403
    assert _persons(db_session) == 0
    made = client.post("/api/v1/persons", json=PERSON, headers={CSRF_HEADER: csrf})
    assert made.status_code == 201, made.text
    assert _persons(db_session) == 1


def test_a_bearer_token_needs_no_csrf_token_even_beside_a_stale_cookie(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    token = client.post("/api/v1/auth/token", data={"username": "epi", "password": PASSWORD}).json()["access_token"]
    client.cookies.set(SESSION_COOKIE, "stale")
    made = client.post("/api/v1/persons", json=PERSON, headers={"Authorization": f"Bearer {token}"})
    assert made.status_code == 201, made.text


def test_sign_out_ends_the_session_and_clears_its_cookies(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    csrf = client.post(SESSION, data={"username": "epi", "password": PASSWORD}).json()["csrf_token"]
    token = client.cookies[SESSION_COOKIE]
    assert client.post("/api/v1/auth/logout").status_code == 403  # a forged sign-out is refused too
    out = client.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 204
    cleared = out.headers.get_list("set-cookie")
    assert all('="";' in h or "max-age=0" in h.lower() for h in cleared) and len(cleared) == 2
    assert SESSION_COOKIE not in client.cookies
    client.cookies.set(SESSION_COOKIE, token)  # the old cookie, replayed
    assert client.get("/api/v1/auth/me").status_code == 401


def test_wrong_passwords_fail_as_at_the_token_endpoint(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    wrong = client.post(SESSION, data={"username": "epi", "password": "not it"})
    assert wrong.status_code == 401 and SESSION_COOKIE not in client.cookies
    db_session.expire_all()
    assert db_session.scalar(select(AuditRecord.action).order_by(AuditRecord.seq.desc())) == "auth.sign_in_failed"


def test_secure_cookies_in_production_or_when_asked(database_url: str, tmp_path: Path, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    with TestClient(create_app(settings_for(database_url, tmp_path, secure_cookies=True))) as secure:
        response = secure.post(SESSION, data={"username": "epi", "password": PASSWORD})
        assert "; secure" in _cookie_headers(response.headers.get_list("set-cookie"), SESSION_COOKIE)
    assert settings_for(database_url, tmp_path, env="production").cookie_secure()
