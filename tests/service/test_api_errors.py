"""Bad requests get a clear 4xx naming the field, nothing stored is lost, and production refuses default secrets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from izquvar.errors import Forbidden
from izquvar.persons.models import Person
from izquvar.service import create_app
from izquvar.users.models import Role
from servicekit import add_person, add_user, pinfl, settings_for, sign_in

PERSONS = "/api/v1/persons"


@pytest.fixture
def headers(client: TestClient, db_session: Session) -> dict[str, str]:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    add_person(db_session, 1, "Shadmanov")
    return sign_in(client, "epi")


def _stored(db_session: Session) -> int:
    db_session.expire_all()
    return int(db_session.scalar(select(func.count()).select_from(Person)) or 0)


def test_malformed_json_is_a_422_about_the_body(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(PERSONS, content=b'{"national_id": ', headers=headers | {"Content-Type": "application/json"})
    assert response.status_code == 422
    assert response.json()["field"] == "body" and "not valid JSON" in response.json()["detail"]


def test_wrong_types_name_each_field(client: TestClient, headers: dict[str, str], db_session: Session) -> None:
    response = client.post(PERSONS, json={"national_id": pinfl(2), "family_name": 7, "phones": "not a phone"},
                           headers=headers)  # fmt: skip
    body = response.json()
    assert response.status_code == 422 and body["error"] == "invalid_input"
    assert {e["field"] for e in body["errors"]} == {"family_name", "given_name", "phones"}
    assert all(e["location"] == "body" for e in body["errors"])
    mismatch = client.post(
        PERSONS,
        json={"national_id": pinfl(2), "family_name": "A", "given_name": "B", "birth_date": "1990-01-01"},
        headers=headers,
    )
    assert mismatch.status_code == 422 and mismatch.json()["field"] == "birth_date"
    bad_query = client.get(PERSONS, params={"q": "Sh", "limit": "many"}, headers=headers)
    assert bad_query.status_code == 422 and bad_query.json()["field"] == "limit"
    no_query = client.get(PERSONS, headers=headers)
    assert no_query.status_code == 422 and no_query.json()["field"] == "q"
    assert _stored(db_session) == 1


def test_a_duplicate_is_a_409_naming_the_field_and_keeps_the_stored_person(
    client: TestClient, headers: dict[str, str], db_session: Session
) -> None:
    response = client.post(PERSONS, json={"national_id": pinfl(1), "family_name": "Other", "given_name": "X"},
                           headers=headers)  # fmt: skip
    assert response.status_code == 409 and response.json()["field"] == "national_id"
    assert _stored(db_session) == 1
    assert db_session.scalars(select(Person.family_name)).one() == "Shadmanov"


def test_an_oversized_body_is_refused_declared_or_streamed(
    client: TestClient, headers: dict[str, str], db_session: Session
) -> None:
    declared = client.post(PERSONS, content=b"{" + b" " * 2_000_000 + b"}", headers=headers)
    assert declared.status_code == 413 and declared.json()["field"] == "body"

    def chunks():  # type: ignore[no-untyped-def]  # no Content-Length: counted as it arrives
        yield b'{"family_name": "'
        for _ in range(40):
            yield b"x" * 65_536

    streamed = client.post(PERSONS, content=chunks(), headers=headers | {"Content-Type": "application/json"})
    assert streamed.status_code == 413 and "1,048,576 bytes" in streamed.json()["detail"]
    assert _stored(db_session) == 1


def test_the_token_form_names_a_missing_field(client: TestClient) -> None:
    response = client.post("/api/v1/auth/token", data={"password": "x"})
    assert response.status_code == 422 and response.json()["field"] == "username"


def test_an_unknown_route_and_method_are_json_errors(client: TestClient) -> None:
    assert client.get("/api/v1/nothing-here").json()["error"] == "not_found"
    assert client.delete("/api/v1/health").status_code == 405


def test_a_bug_is_a_500_that_shows_no_internals(
    database_url: str, tmp_path: object, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from izquvar.persons import service

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "get", broken)
    app = create_app(settings_for(database_url, tmp_path))  # type: ignore[arg-type]
    with TestClient(app, raise_server_exceptions=False) as quiet:
        response = quiet.get(f"{PERSONS}/1", headers=headers)
    assert response.status_code == 500 and response.json()["error"] == "internal_error"
    assert "secret" not in response.text


def test_production_refuses_to_start_with_the_development_or_a_short_key(database_url: str, tmp_path: object) -> None:
    with pytest.raises(Forbidden, match="IZQUVAR_PSEUDONYM_KEY"):
        create_app(settings_for(database_url, tmp_path, env="production"))  # type: ignore[arg-type]
    with pytest.raises(Forbidden, match="32 characters"):
        create_app(settings_for(database_url, tmp_path, env="production", pseudonym_key="short"))  # type: ignore[arg-type]
    with pytest.raises(Forbidden, match="IZQUVAR_SECRET_KEY"):
        create_app(settings_for(database_url, tmp_path, env="production", pseudonym_key="k" * 40))  # type: ignore[arg-type]
    with pytest.raises(Forbidden, match="IZQUVAR_SECRET_KEY must have at least 32"):
        create_app(settings_for(database_url, tmp_path, env="production", pseudonym_key="k" * 40, secret_key="s"))  # type: ignore[arg-type]
    keys = {"pseudonym_key": "k" * 40, "secret_key": "s" * 40}
    app = create_app(settings_for(database_url, tmp_path, env="production", **keys))  # type: ignore[arg-type]
    assert app.openapi_url == "/api/v1/openapi.json"


def test_a_nul_character_anywhere_is_a_422_naming_the_field(
    client: TestClient, headers: dict[str, str], db_session: Session
) -> None:
    """PostgreSQL cannot store U+0000 and SQLite can: the service refuses it at its edge, the same on both."""
    form = client.post("/api/v1/auth/token", data={"username": "epi\x00", "password": "x"})
    assert form.status_code == 422 and form.json()["field"] == "username"
    assert form.json()["errors"][0]["location"] == "body"
    body = client.post(PERSONS, json={"national_id": pinfl(3), "family_name": "A\x00", "given_name": "B",
                                      "phones": ["+998901234567", "\x00"]}, headers=headers)  # fmt: skip
    assert body.status_code == 422
    assert [e["field"] for e in body.json()["errors"]] == ["family_name", "phones.1"]
    key = client.post(PERSONS, json={"national_id": pinfl(3), "\x00": "x"}, headers=headers)
    assert key.status_code == 422 and key.json()["field"] == "\\u0000"
    query = client.get(PERSONS, params={"q": "Sh\x00"}, headers=headers)
    assert query.status_code == 422 and query.json() | {"errors": None} == {
        "error": "invalid_input",
        "detail": "q: must not contain the NUL character (U+0000)",
        "field": "q",
        "errors": None,
    }
    assert client.get(PERSONS, params={"q": "Sh"}, headers=headers).status_code == 200
    assert _stored(db_session) == 1
