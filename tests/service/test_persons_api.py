"""The persons endpoints: register, script-aware search with paging, read; every answer audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from izquvar.audit import service as audit_service
from izquvar.audit.models import AuditRecord
from izquvar.users.models import Role
from servicekit import DISTRICT, TASHKENT, add_person, add_user, pinfl, sign_in

PERSONS = "/api/v1/persons"


def test_register_search_in_either_script_and_read_each_audited(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "tracer", Role.CONTACT_TRACER, district_id=DISTRICT)
    headers = sign_in(client, "tracer") | {"Izquvar-Reason": "case 17: household contacts"}
    created = client.post(
        PERSONS,
        json={"national_id": pinfl(5), "family_name": "Shadmanov", "given_name": "Alisher",
              "phones": "+998 90 123-45-67", "region_id": TASHKENT, "district_id": DISTRICT},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["phones"] == ["998901234567"] and person["sex"] == "M"
    found = client.get(PERSONS, params={"q": "Шадманов"}, headers=headers).json()
    assert [p["id"] for p in found["items"]] == [person["id"]]
    assert client.get(PERSONS, params={"q": "998901234567"}, headers=headers).json()["items"][0]["id"] == person["id"]
    read = client.get(f"{PERSONS}/{person['id']}", headers=headers)
    assert read.status_code == 200 and read.json()["national_id"] == pinfl(5)
    records = db_session.scalars(
        select(AuditRecord).where(AuditRecord.object_type == "person").order_by(AuditRecord.seq)
    ).all()
    assert [r.action for r in records] == ["person.create", "person.search", "person.search", "person.read"]
    assert {r.actor_username for r in records} == {"tracer"}
    assert {r.reason for r in records} == {"case 17: household contacts"}
    assert records[1].details == {"q": "Шадманов", "person_ids": [person["id"]]}
    assert records[-1].object_id == str(person["id"])
    assert audit_service.verify(db_session=db_session).ok


def test_search_pages_with_next_offset(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    ids = [add_person(db_session, n, f"Karimov{chr(97 + n)}").id for n in range(5)]
    headers = sign_in(client, "epi")
    first = client.get(PERSONS, params={"q": "Karimov", "limit": 2}, headers=headers).json()
    last = client.get(PERSONS, params={"q": "Karimov", "limit": 2, "offset": 4}, headers=headers).json()
    assert [p["id"] for p in first["items"]] == ids[:2] and first["next_offset"] == 2
    assert [p["id"] for p in last["items"]] == ids[4:] and last["next_offset"] is None


def test_the_audit_api_lists_filters_and_verifies(client: TestClient, db_session: Session) -> None:
    add_user(db_session, "dpo", Role.DATA_PROTECTION_OFFICER)
    add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    person = add_person(db_session, 1, "Shadmanov")
    epi = sign_in(client, "epi")
    for _ in range(3):
        client.get(f"{PERSONS}/{person.id}", headers=epi)
    dpo = sign_in(client, "dpo")
    page = client.get("/api/v1/audit", params={"action": "person.read", "limit": 2}, headers=dpo).json()
    assert page["total"] == 3 and len(page["items"]) == 2 and page["next_offset"] == 2
    assert page["items"][0]["actor_username"] == "epi" and page["items"][0]["seq"] > page["items"][1]["seq"]
    naive = client.get("/api/v1/audit", params={"since": "2026-03-02T09:00:00"}, headers=dpo)
    assert naive.status_code == 400 and naive.json()["field"] == "since"
    check = client.get("/api/v1/audit/verify", headers=dpo).json()
    assert check["ok"] is True and check["records"] >= 5
    db_session.execute(AuditRecord.__table__.update().where(AuditRecord.seq == 2).values(reason="edited"))
    db_session.commit()
    broken = client.get("/api/v1/audit/verify", headers=dpo).json()
    assert broken["ok"] is False and broken["broken_seq"] == 2
