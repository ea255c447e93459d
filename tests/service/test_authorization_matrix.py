"""Every endpoint × every role × jurisdiction (a user of the person's district, of another district, of the
region, of the whole country), and anonymous callers: what each may do, and that a refusal is 401, 403 or
404, never a 5xx, and never shows the person."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from izquvar.cases import service as cases_service
from izquvar.cases.diseases import COVID19
from izquvar.cases.models import Contact, ProposedContact
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
CASE_READERS = {"epidemiologist", "contact_tracer", "epi_here", "tracer_region", "epi_other"}
EPIDEMIOLOGISTS = {"epidemiologist", "epi_here", "epi_other"}
LAB_POSTERS = {"epidemiologist", "lab", "epi_here", "epi_other", "lab_other"}
FAMILY_NAME = "Shadmanov"


@dataclass(frozen=True)
class Call:
    name: str
    method: str
    path: str
    body: dict[str, object] | None = None


@dataclass(frozen=True)
class World:
    headers: dict[str | None, dict[str, str]]
    person_id: int
    case_id: int
    #: A new undecided proposed contact of the case, for each call that decides one.
    proposed: Callable[[], int]
    #: A new person of the district without a case (for registering one).
    fresh_person: Callable[[], int]
    #: A new probable case in the district with no tracing job (for tracing on demand).
    probable: Callable[[], int]
    #: A new identified contact of the case, not converted (for converting into a case).
    contact: Callable[[], int]


def _none() -> int:
    return 0


def _calls(
    person_id: int,
    serial: int,
    case_id: int = 0,
    proposed: Callable[[], int] = _none,
    fresh_person: Callable[[], int] = _none,
    probable: Callable[[], int] = _none,
    contact: Callable[[], int] = _none,
) -> list[Call]:
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
        Call("lab.create", "POST", "/api/v1/lab-results",
             {"person_id": person_id, "test": "PCR", "result": "negative", "specimen_date": "2026-03-02"}),
        Call("cases.list", "GET", "/api/v1/cases"),
        Call("cases.create", "POST", "/api/v1/cases", {"person_id": fresh_person(), "onset_date": "2026-03-01"}),
        Call("cases.trace", "POST", f"/api/v1/cases/{probable()}/trace"),
        Call("cases.get", "GET", f"/api/v1/cases/{case_id}"),
        Call("cases.update", "PATCH", f"/api/v1/cases/{case_id}", {"hospitalised": True}),
        Call("cases.proposed", "GET", f"/api/v1/cases/{case_id}/proposed-contacts"),
        Call("cases.accept", "POST", f"/api/v1/cases/{case_id}/proposed-contacts/{proposed()}/accept"),
        Call("cases.reject", "POST", f"/api/v1/cases/{case_id}/proposed-contacts/{proposed()}/reject"),
        Call("cases.accept_close", "POST", f"/api/v1/cases/{case_id}/proposed-contacts/accept-close"),
        Call("cases.contacts", "GET", f"/api/v1/cases/{case_id}/contacts"),
        Call("cases.second_degree", "GET", f"/api/v1/cases/{case_id}/second-degree"),
        Call("contacts.list", "GET", "/api/v1/contacts"),
        Call("contacts.case", "POST", f"/api/v1/contacts/{contact()}/case"),
        Call("diseases.list", "GET", "/api/v1/diseases"),
    ]  # fmt: skip


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
    if call == "diseases.list":
        return 200
    if call == "lab.create":
        if account not in LAB_POSTERS:
            return 403
        return 404 if account in OUT_OF_JURISDICTION else 201
    if call.startswith(("cases.", "contacts.")):
        readable = call in {"cases.list", "cases.get", "cases.contacts", "contacts.list"}
        if account not in (CASE_READERS if readable else EPIDEMIOLOGISTS):
            return 403
        if account in OUT_OF_JURISDICTION and call not in {"cases.list", "contacts.list"}:
            return 404
        return {"cases.accept": 201, "cases.create": 201, "contacts.case": 201, "cases.trace": 202}.get(call, 200)
    if account not in PERSON_READERS | OUT_OF_JURISDICTION:
        return 403
    if call == "persons.get":
        return 404 if account in OUT_OF_JURISDICTION else 200
    if call == "persons.create":
        return 403 if account in OUT_OF_JURISDICTION else 201
    return 200


@pytest.fixture
def world(client: TestClient, db_session: Session) -> World:
    for username, (role, region, district) in ACCOUNTS.items():
        add_user(db_session, username, role, region_id=region, district_id=district)
    investigator = add_user(db_session, "investigator", Role.EPIDEMIOLOGIST)
    person = add_person(db_session, 1, FAMILY_NAME)
    contact = add_person(db_session, 2, "Karimov")
    case = cases_service.record_lab_result(
        person=person, disease=COVID19, test="PCR", result="positive", specimen_date=dt.date(2026, 3, 2),
        result_date=None, user=None, db_session=db_session,
    ).case  # fmt: skip
    assert case is not None
    db_session.commit()
    case_id = case.id

    def proposed() -> int:
        # met on the case's quarantine day (the day after its specimen): nothing to trace for the second degree,
        # so that endpoint answers without a location store (the matrix has none)
        at = dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC)
        row = ProposedContact(
            case_id=case_id, person_id=contact.id, pseudonym="p" * 16, contact_class="close", risk=0.5, minutes=30.0,
            max_daily_minutes=30.0, closest_m=1.0, attenuation_db=None, setting="home", sources=["household"],
            first_seen=at, last_seen=at, evidence=[], explanation="30 min at home", status="proposed",
        )  # fmt: skip
        db_session.add(row)
        db_session.commit()
        return row.id

    serials = itertools.count(500)

    def fresh_person() -> int:
        return add_person(db_session, next(serials), "Yusupov").id

    def probable() -> int:
        new = cases_service.register_case(
            person=add_person(db_session, next(serials), "Yusupov"), disease=COVID19, classification="probable",
            onset_date=dt.date(2026, 3, 1), user=investigator, db_session=db_session,
        )  # fmt: skip
        db_session.commit()
        return new.id

    def new_contact() -> int:
        row = Contact(
            case_id=case_id, person_id=fresh_person(), classification="close", relation="household",
            region_id=TASHKENT, district_id=DISTRICT, evidence=[],
        )  # fmt: skip
        db_session.add(row)
        db_session.commit()
        return row.id

    headers: dict[str | None, dict[str, str]] = {u: sign_in(client, u) for u in ACCOUNTS}
    headers[None] = {}
    return World(headers=headers, person_id=person.id, case_id=case_id, proposed=proposed,
                 fresh_person=fresh_person, probable=probable, contact=new_contact)  # fmt: skip


def test_every_endpoint_for_every_role_and_jurisdiction(client: TestClient, world: World) -> None:
    serial = itertools.count(100)
    wrong: list[str] = []
    for account in world.headers:
        for call in _calls(world.person_id, next(serial), world.case_id, world.proposed, world.fresh_person,
                           world.probable, world.contact):  # fmt: skip
            response = client.request(call.method, call.path, headers=world.headers[account], json=call.body)
            expected = _expected(account, call.name)
            if response.status_code != expected:
                wrong.append(f"{account} {call.name}: {response.status_code} (expected {expected}) {response.text}")
            if response.status_code >= 400 and FAMILY_NAME in response.text:
                wrong.append(f"{account} {call.name}: a refusal shows the person")
            assert response.status_code < 500
    assert wrong == []


def test_case_lists_hold_only_cases_and_contacts_in_the_users_jurisdiction(
    client: TestClient, db_session: Session, world: World
) -> None:
    elsewhere = add_person(db_session, 3, FAMILY_NAME + "a", district_id=OTHER_DISTRICT)
    other = cases_service.record_lab_result(
        person=elsewhere, disease=COVID19, test="PCR", result="positive", specimen_date=dt.date(2026, 3, 3),
        result_date=None, user=None, db_session=db_session,
    ).case  # fmt: skip
    assert other is not None
    db_session.commit()
    accepted = client.post(
        f"/api/v1/cases/{world.case_id}/proposed-contacts/{world.proposed()}/accept",
        headers=world.headers["epidemiologist"],
    )
    assert accepted.status_code == 201

    def seen(account: str, path: str) -> set[int]:
        response = client.get(path, headers=world.headers[account])
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert seen("epi_here", "/api/v1/cases") == {world.case_id}
    assert seen("epi_other", "/api/v1/cases") == {other.id}
    assert (
        seen("tracer_region", "/api/v1/cases") == seen("epidemiologist", "/api/v1/cases") == {world.case_id, other.id}
    )
    assert seen("epi_here", "/api/v1/contacts") == {accepted.json()["id"]}
    assert seen("epi_other", "/api/v1/contacts") == set()
    outside = client.get(f"/api/v1/cases/{other.id}", headers=world.headers["epi_here"])
    missing = client.get("/api/v1/cases/999999", headers=world.headers["epi_here"])
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["detail"].replace(str(other.id), "N") == missing.json()["detail"].replace("999999", "N")


def test_search_shows_only_persons_in_the_users_jurisdiction(
    client: TestClient, db_session: Session, world: World
) -> None:
    headers, person_id = world.headers, world.person_id
    elsewhere = add_person(db_session, 12, FAMILY_NAME + "a", district_id=OTHER_DISTRICT)
    nowhere = add_person(db_session, 13, FAMILY_NAME + "ov", district_id=None)

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
