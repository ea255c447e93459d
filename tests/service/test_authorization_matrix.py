"""Every endpoint × every role × jurisdiction (a user of the person's district, of another district, of the
region, of the whole country), and anonymous callers: what each may do, and that a refusal is 401, 403 or
404, never a 5xx, and never shows the person."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from izquvar.users.models import Role
from servicekit import DISTRICT, OTHER_DISTRICT, PASSWORD, TASHKENT, add_person, add_user, pinfl, sign_in

NATIONAL = {r.value: (r, None, None) for r in Role}
ACCOUNTS = NATIONAL | {
    "epi_here": (Role.EPIDEMIOLOGIST, TASHKENT, DISTRICT),
    "epi_other": (Role.EPIDEMIOLOGIST, TASHKENT, OTHER_DISTRICT),
    "tracer_region": (Role.CONTACT_TRACER, TASHKENT, None),
    "lab_other": (Role.LAB, TASHKENT, OTHER_DISTRICT),
}
PERSON_READERS = {"epidemiologist", "contact_tracer", "lab", "epi_here", "tracer_region"}
OUT_OF_JURISDICTION = {"epi_other", "lab_other"}
AUDITORS = {"administrator", "data_protection_officer"}
FAMILY_NAME = "Shadmanov"


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    body: dict[str, object] | None = None


def _calls(person_id: int, serial: int) -> list[Call]:
    new_person = {"national_id": pinfl(serial), "family_name": "Yusupov", "given_name": "Bobur",
                  "region_id": TASHKENT, "district_id": DISTRICT}  # fmt: skip
    new_user = {"username": f"new{serial}", "role": "lab", "password": "a long enough password"}
    return [
        Call("health", "GET", "/api/v1/health"),
        Call("me", "GET", "/api/v1/auth/me"),
        Call("users.list", "GET", "/api/v1/users"),
        Call("users.create", "POST", "/api/v1/users", new_user),
        Call("users.get", "GET", "/api/v1/users/1"),
        Call("users.totp_reset", "POST", "/api/v1/users/1/totp/reset"),
        # one's own second factor: every signed-in role; enrolling changes nothing until confirmed, and
        # "not-a-code" can match no secret, so the matrix's accounts keep signing in with the password alone
        Call("totp.enroll", "POST", "/api/v1/auth/totp/enroll", {"password": PASSWORD}),
        Call("totp.confirm", "POST", "/api/v1/auth/totp/confirm", {"code": "not-a-code"}),
        Call("totp.disable", "POST", "/api/v1/auth/totp/disable", {"password": PASSWORD, "code": "not-a-code"}),
        Call("audit.list", "GET", "/api/v1/audit"),
        Call("audit.verify", "GET", "/api/v1/audit/verify"),
        Call("persons.search", "GET", f"/api/v1/persons?q={FAMILY_NAME[:4]}"),
        Call("persons.get", "GET", f"/api/v1/persons/{person_id}"),
        Call("persons.create", "POST", "/api/v1/persons", new_person),
    ]


def _expected(account: str | None, call: str) -> int:
    """The status each account must get."""
    if call == "health":
        return 200
    if account is None:
        return 401
    if call == "me":
        return 200
    if call.startswith("totp."):
        return 200 if call == "totp.enroll" else 400  # nothing to confirm or disable with a wrong code
    if call.startswith("users."):
        return {"users.create": 201}.get(call, 200) if account == "administrator" else 403
    if call.startswith("audit."):
        return 200 if account in AUDITORS else 403
    if account not in PERSON_READERS | OUT_OF_JURISDICTION:
        return 403
    if call == "persons.get":
        return 404 if account in OUT_OF_JURISDICTION else 200
    if call == "persons.create":
        return 403 if account in OUT_OF_JURISDICTION else 201
    return 200


@pytest.fixture
def world(client: TestClient, db_session: Session) -> tuple[dict[str | None, dict[str, str]], int]:
    for username, (role, region, district) in ACCOUNTS.items():
        add_user(db_session, username, role, region_id=region, district_id=district)
    person = add_person(db_session, 1, FAMILY_NAME)
    headers: dict[str | None, dict[str, str]] = {u: sign_in(client, u) for u in ACCOUNTS}
    headers[None] = {}
    return headers, person.id


def test_every_endpoint_for_every_role_and_jurisdiction(
    client: TestClient, world: tuple[dict[str | None, dict[str, str]], int]
) -> None:
    headers, person_id = world
    serial = itertools.count(100)
    wrong: list[str] = []
    for account in headers:
        for call in _calls(person_id, next(serial)):
            response = client.request(call.method, call.path, headers=headers[account], json=call.body)
            expected = _expected(account, call.name)
            if response.status_code != expected:
                wrong.append(f"{account} {call.name}: {response.status_code} (expected {expected}) {response.text}")
            if response.status_code >= 400 and FAMILY_NAME in response.text:
                wrong.append(f"{account} {call.name}: a refusal shows the person")
            assert response.status_code < 500
    assert wrong == []


def test_search_shows_only_persons_in_the_users_jurisdiction(
    client: TestClient, db_session: Session, world: tuple[dict[str | None, dict[str, str]], int]
) -> None:
    headers, person_id = world
    elsewhere = add_person(db_session, 2, FAMILY_NAME + "a", district_id=OTHER_DISTRICT)
    nowhere = add_person(db_session, 3, FAMILY_NAME + "ov", district_id=None)

    def found(account: str) -> set[int]:
        response = client.get("/api/v1/persons", params={"q": "Shad"}, headers=headers[account])
        assert response.status_code == 200
        return {p["id"] for p in response.json()["items"]}

    assert found("epi_here") == {person_id}
    assert found("epi_other") == {elsewhere.id}
    assert found("tracer_region") == {person_id, elsewhere.id}
    assert found("epidemiologist") == {person_id, elsewhere.id, nowhere.id}
    outside = client.get(f"/api/v1/persons/{elsewhere.id}", headers=headers["epi_here"])
    missing = client.get("/api/v1/persons/999999", headers=headers["epi_here"])
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"].replace(str(elsewhere.id), "N") == missing.json()["detail"].replace("999999", "N")
