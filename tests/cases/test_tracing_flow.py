"""End to end on a small simulated city: a positive lab result posted through the API confirms a case, a durable
tracing job traces it on the location store, and the proposed contacts are what the tracer finds for that case,
re-identified through the registry where it can; accepting, rejecting and accepting all close ones; a chain when
a contact tests positive; jobs survive a restart and are retried; bad input is a 422 naming the field.

Runs on SQLite and PostgreSQL (``database_url``); the city is simulated and ingested once per module.
"""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from izquvar import open_store
from izquvar.audit.models import AuditRecord
from izquvar.cases.models import TracingJob
from izquvar.config import Settings
from izquvar.db import make_engine, make_session_factory
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.outbreak.cases import cases_from_lab
from izquvar.persons.importer import import_persons
from izquvar.service import create_app
from izquvar.simulate import SimConfig, simulate
from izquvar.users.models import Role
from servicekit import add_user, sign_in

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

KEY = "cases-test-key-of-the-simulated-city-0123"
CITY = SimConfig(people=800, days=4, seed=11)


@dataclass(frozen=True)
class City:
    sim: Path
    store: Path
    #: The traced case: national ID, pseudonym, first positive specimen date, and what the tracer finds.
    national_id: str
    pseudonym: str
    specimen_date: dt.date
    contacts: dict[str, dict[str, Any]]
    #: Pseudonym → national ID of everyone in the registry.
    national_ids: dict[str, str]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> City:
    root = tmp_path_factory.mktemp("city")
    simulate(CITY, root / "sim")
    store = open_store(root / "store", settings=Settings(pseudonym_key=KEY))  # type: ignore[arg-type]
    store.ingest(sorted(p for p in (root / "sim").iterdir() if p.name not in ("truth", "simulation.json", "registry")))
    hasher = Pseudonymizer(KEY.encode())
    with (root / "sim" / "registry" / "persons.csv").open(encoding="utf-8", newline="") as handle:
        national_ids = {hasher.one(r["national_id"]): r["national_id"] for r in csv.DictReader(handle)}
    best: tuple[int, str, dt.date, dict[str, dict[str, Any]]] | None = None
    for case in cases_from_lab(store)[:15]:
        if case.person not in national_ids:
            continue
        result = store.trace(case.person, case.onset)
        contacts = {c.person: c.model_dump(mode="json") for c in result.contacts}
        close = sum(1 for c in result.contacts if c.klass == "close")
        if best is None or close > best[0]:
            best = (close, case.person, case.onset, contacts)
    assert best is not None and best[0] >= 2, "the simulation gives no traceable case with close contacts"
    _, pseudonym, onset, contacts = best
    return City(root / "sim", root / "store", national_ids[pseudonym], pseudonym, onset, contacts, national_ids)


def _settings(database_url: str, home: Path, **values: object) -> Settings:
    return Settings(database_url=database_url, home=home, pseudonym_key=KEY, tracing_poll_seconds=0.05,  # type: ignore[arg-type]
                    **values)  # fmt: skip


@pytest.fixture
def registry(database_url: str, city: City) -> None:
    """The city's persons in the registry, and an epidemiologist."""
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db_session:
        report = import_persons(city.sim / "registry" / "persons.csv", db_session=db_session)
        assert report.errors == []
        db_session.commit()
        add_user(db_session, "epi", Role.EPIDEMIOLOGIST)
    engine.dispose()


@pytest.fixture
def client(database_url: str, city: City, registry: None, tmp_path: Path, cheap_hashes: None) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(database_url, tmp_path), store=city.store)) as test_client:
        yield test_client


def _positive(national_id: str, specimen_date: dt.date) -> dict[str, object]:
    return {"national_id": national_id, "test": "PCR", "result": "positive", "specimen_date": specimen_date.isoformat()}


def _wait(client: TestClient, headers: dict[str, str], case_id: int, until: set[str], timeout: float = 120) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while True:
        case = client.get(f"/api/v1/cases/{case_id}", headers=headers)
        assert case.status_code == 200, case.text
        tracing = case.json()["tracing"]
        if tracing is not None and tracing["status"] in until:
            return case.json()  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"tracing still {tracing}"
        time.sleep(0.05)


def _proposed(client: TestClient, headers: dict[str, str], case_id: int, **params: object) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(f"/api/v1/cases/{case_id}/proposed-contacts", headers=headers,
                          params={"limit": 200, "offset": offset, **params})  # fmt: skip
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        offset = page.json()["next_offset"]
    return items


def _traced(client: TestClient, city: City) -> tuple[dict[str, str], int]:
    headers = sign_in(client, "epi")
    posted = client.post("/api/v1/lab-results", json=_positive(city.national_id, city.specimen_date), headers=headers)
    assert posted.status_code == 201, posted.text
    case_id = posted.json()["case_id"]
    assert isinstance(case_id, int)
    done = _wait(client, headers, case_id, {"done", "failed"})
    assert done["tracing"]["status"] == "done", done["tracing"]
    assert done["classification"] == "confirmed"
    return headers, case_id


def test_a_positive_result_traces_the_case_and_proposes_what_the_tracer_finds(
    client: TestClient, city: City, database_url: str
) -> None:
    headers, case_id = _traced(client, city)
    proposed = _proposed(client, headers, case_id)
    assert {p["pseudonym"] for p in proposed} == set(city.contacts)
    for p in proposed:
        traced = city.contacts[p["pseudonym"]]
        assert (p["class"], p["risk"], p["minutes"], p["explanation"]) == (
            traced["klass"], traced["risk"], traced["minutes"], traced["explanation"],
        )  # fmt: skip
        assert p["evidence"] == traced["evidence"]
        assert p["status"] == "proposed"
        if p["pseudonym"] in city.national_ids:  # registered: re-identified, the right person
            assert p["person_id"] is not None and p["person"]["national_id"] == city.national_ids[p["pseudonym"]]
        else:
            assert p["person_id"] is None and p["person"] is None
    assert any(p["person_id"] is not None for p in proposed)
    risks = [p["risk"] for p in proposed]
    assert risks == sorted(risks, reverse=True)
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db_session:
        reidentified = db_session.scalars(
            select(AuditRecord).where(AuditRecord.action == "tracing.reidentify", AuditRecord.case_id == case_id)
        ).all()
        assert len(reidentified) == 1 and reidentified[0].reason
        assert set(reidentified[0].details["person_ids"]) == {p["person_id"] for p in proposed if p["person_id"]}
        listed = db_session.scalars(
            select(AuditRecord).where(AuditRecord.action == "proposed_contact.list", AuditRecord.case_id == case_id)
        ).all()
        assert listed
    engine.dispose()


def test_accept_reject_and_accept_all_close_ones(client: TestClient, city: City) -> None:
    headers, case_id = _traced(client, city)
    proposed = _proposed(client, headers, case_id)
    first, second = proposed[0], proposed[1]
    accepted = client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{first['id']}/accept", headers=headers,
                           json={"relation": "household"})  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    contact = accepted.json()
    assert isinstance(contact["id"], int) and contact["case_id"] == case_id
    assert (contact["person_id"], contact["pseudonym"], contact["classification"], contact["relation"]) == (
        first["person_id"], first["pseudonym"], first["class"], "household",
    )  # fmt: skip
    assert (
        contact["follow_up_until"]
        == (dt.date.fromisoformat(contact["last_exposure_date"]) + dt.timedelta(days=14)).isoformat()
    )
    again = client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{first['id']}/accept", headers=headers)
    assert again.status_code == 409
    rejected = client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{second['id']}/reject", headers=headers)
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (
        client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{second['id']}/accept", headers=headers).status_code
        == 409
    )
    close_waiting = [p for p in proposed[2:] if p["class"] == "close"]
    bulk = client.post(f"/api/v1/cases/{case_id}/proposed-contacts/accept-close", headers=headers)
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["accepted"] == len(close_waiting)
    assert {c["pseudonym"] for c in bulk.json()["contacts"]} == {p["pseudonym"] for p in close_waiting}
    assert (
        client.post(f"/api/v1/cases/{case_id}/proposed-contacts/accept-close", headers=headers).json()["accepted"] == 0
    )
    contacts = client.get(f"/api/v1/cases/{case_id}/contacts", headers=headers, params={"limit": 200}).json()
    assert contacts["total"] == 1 + len(close_waiting)
    everywhere = client.get("/api/v1/contacts", headers=headers, params={"case_id": case_id, "limit": 200}).json()
    assert {c["id"] for c in everywhere["items"]} == {c["id"] for c in contacts["items"]}
    left = _proposed(client, headers, case_id, status="proposed")
    assert all(p["class"] != "close" for p in left)
    assert len(left) == len(proposed) - 2 - len(close_waiting)
    # a contact who tests positive later is a case of its own, linked to this one and traced too
    registered = next((c for c in contacts["items"] if c["person_id"] is not None), None)
    assert registered is not None, "no accepted contact is a registered person"
    national_id = registered["person"]["national_id"]
    later = client.post("/api/v1/lab-results", json=_positive(national_id, city.specimen_date + dt.timedelta(days=2)),
                        headers=headers)  # fmt: skip
    assert later.status_code == 201, later.text
    chained = _wait(client, headers, later.json()["case_id"], {"done", "failed"})
    assert chained["source_case_id"] == case_id
    assert chained["tracing"]["status"] in {"done", "failed"}  # the contact may be absent from the store
    listed = client.get("/api/v1/cases", headers=headers, params={"source_case_id": case_id}).json()
    assert [c["id"] for c in listed["items"]] == [chained["id"]]


def test_a_queued_job_survives_a_restart(database_url: str, city: City, registry: None, tmp_path: Path,
                                         cheap_hashes: None) -> None:  # fmt: skip
    with TestClient(create_app(_settings(database_url, tmp_path, tracing_worker=False), store=city.store)) as client:
        headers = sign_in(client, "epi")
        posted = client.post(
            "/api/v1/lab-results", json=_positive(city.national_id, city.specimen_date), headers=headers
        )
        assert posted.status_code == 201
        case_id = posted.json()["case_id"]
        time.sleep(0.3)
        assert client.get(f"/api/v1/cases/{case_id}", headers=headers).json()["tracing"]["status"] == "queued"
    with TestClient(create_app(_settings(database_url, tmp_path), store=city.store)) as client:
        headers = sign_in(client, "epi")
        done = _wait(client, headers, case_id, {"done", "failed"})
        assert done["tracing"]["status"] == "done" and done["tracing"]["attempts"] == 1
        assert {p["pseudonym"] for p in _proposed(client, headers, case_id)} == set(city.contacts)


def test_an_abandoned_running_job_is_claimed_again_when_its_lease_passes(
    database_url: str, city: City, registry: None, tmp_path: Path, cheap_hashes: None
) -> None:
    with TestClient(create_app(_settings(database_url, tmp_path, tracing_worker=False), store=city.store)) as client:
        headers = sign_in(client, "epi")
        case_id = client.post("/api/v1/lab-results", json=_positive(city.national_id, city.specimen_date),
                              headers=headers).json()["case_id"]  # fmt: skip
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db_session:  # a worker that claimed it and died
        job = db_session.scalars(select(TracingJob).where(TracingJob.case_id == case_id)).one()
        job.status, job.attempts, job.claimed_by = "running", 1, "dead-worker"
        job.lease_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        db_session.commit()
    engine.dispose()
    with TestClient(create_app(_settings(database_url, tmp_path), store=city.store)) as client:
        done = _wait(client, sign_in(client, "epi"), case_id, {"done", "failed"})
        assert done["tracing"]["status"] == "done" and done["tracing"]["attempts"] == 2


def test_a_failing_job_is_retried_and_then_succeeds_or_fails_for_good(
    database_url: str, city: City, registry: None, tmp_path: Path, cheap_hashes: None
) -> None:
    later = tmp_path / "store-not-yet-there"
    settings = _settings(database_url, tmp_path, tracing_max_attempts=3, tracing_retry_seconds=1.5)
    with TestClient(create_app(settings, store=later)) as client:
        headers = sign_in(client, "epi")
        case_id = client.post("/api/v1/lab-results", json=_positive(city.national_id, city.specimen_date),
                              headers=headers).json()["case_id"]  # fmt: skip
        deadline = time.monotonic() + 60
        while (tracing := client.get(f"/api/v1/cases/{case_id}", headers=headers).json()["tracing"])[
            "attempts"
        ] < 1 or (tracing["status"] != "queued"):
            assert time.monotonic() < deadline, tracing
            time.sleep(0.02)
        assert "store" in tracing["error"]
        shutil.copytree(city.store, later)  # the store arrives before the retry
        done = _wait(client, headers, case_id, {"done", "failed"})
        assert done["tracing"]["status"] == "done" and done["tracing"]["attempts"] == 2
        assert done["tracing"]["error"] is None
    nowhere = _settings(database_url, tmp_path, tracing_max_attempts=2, tracing_retry_seconds=0.05)
    with TestClient(create_app(nowhere, store=tmp_path / "never")) as client:
        headers = sign_in(client, "epi")
        other = next(n for p, n in sorted(city.national_ids.items()) if n != city.national_id)
        case_id = client.post("/api/v1/lab-results", json=_positive(other, city.specimen_date),
                              headers=headers).json()["case_id"]  # fmt: skip
        failed = _wait(client, headers, case_id, {"done", "failed"})
        assert failed["tracing"]["status"] == "failed" and failed["tracing"]["attempts"] == 2
        assert "store" in failed["tracing"]["error"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"test": None}, "test"),
        ({"test": "PC\x00R"}, "test"),
        ({"result": "maybe"}, "result"),
        ({"specimen_date": "2026-02-30"}, "specimen_date"),
        ({"specimen_date": "0001-01-01"}, "specimen_date"),
        ({"result_date": "9999-12-31"}, "result_date"),
        ({"disease": "no such disease"}, "disease"),
        ({"national_id": "123"}, "national_id"),
        ({"person_id": 2**40}, "person_id"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_lab_results_are_refused_naming_the_field(
    client: TestClient, city: City, change: dict[str, object], field: str
) -> None:
    headers = sign_in(client, "epi")
    body = {**_positive(city.national_id, city.specimen_date), **change}
    body = {k: v for k, v in body.items() if v is not None}
    if "person_id" in change:
        body.pop("national_id")
    response = client.post("/api/v1/lab-results", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert field in {problem["field"] for problem in response.json()["errors"]}, response.json()
    assert client.get("/api/v1/cases", headers=headers).json()["total"] == 0


def test_a_result_for_an_unknown_person_or_both_identifiers_is_refused(client: TestClient, city: City) -> None:
    headers = sign_in(client, "epi")
    both = {**_positive(city.national_id, city.specimen_date), "person_id": 1}
    assert client.post("/api/v1/lab-results", json=both, headers=headers).status_code == 422
    for far in ("reported_from", "specimen_to"):
        response = client.get("/api/v1/cases", params={far: "0001-01-01"}, headers=headers)
        assert response.status_code == 422 and response.json()["field"] == far, response.text
    unknown = _positive("31508852629990", city.specimen_date)
    response = client.post("/api/v1/lab-results", json=unknown, headers=headers)
    assert response.status_code == 404 and response.json()["field"] == "national_id"


def test_a_new_onset_traces_again_keeping_the_decisions(client: TestClient, city: City) -> None:
    headers, case_id = _traced(client, city)
    proposed = _proposed(client, headers, case_id)
    kept = proposed[0]
    first_job = client.get(f"/api/v1/cases/{case_id}", headers=headers).json()["tracing"]["job_id"]
    assert (
        client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{kept['id']}/reject", headers=headers).status_code
        == 200
    )
    onset = city.specimen_date - dt.timedelta(days=1)
    changed = client.patch(f"/api/v1/cases/{case_id}", json={"onset_date": onset.isoformat(), "hospitalised": True},
                           headers=headers)  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["tracing"]["job_id"] != first_job
    done = _wait(client, headers, case_id, {"done", "failed"})
    assert (
        done["tracing"]["status"] == "done" and done["hospitalised"] is True and done["onset_date"] == onset.isoformat()
    )
    assert done["tracing"]["summary"]["window"][0] == (onset - dt.timedelta(days=2)).isoformat()
    again = _proposed(client, headers, case_id)
    (still,) = [p for p in again if p["id"] == kept["id"]]
    assert (still["status"], still["pseudonym"], still["evidence"]) == ("rejected", kept["pseudonym"], kept["evidence"])
    assert sum(1 for p in again if p["pseudonym"] == kept["pseudonym"]) == 1
    bad = client.patch(f"/api/v1/cases/{case_id}", json={"isolation_date": "2000-01-01"}, headers=headers)
    assert bad.status_code == 422 and bad.json()["field"] == "isolation_date"


def test_a_configured_disease_is_traced_over_its_own_window(
    database_url: str, city: City, registry: None, tmp_path: Path, cheap_hashes: None
) -> None:
    diseases = tmp_path / "diseases.toml"
    diseases.write_text('[diseases."flu"]\nname = "Influenza"\ndays_before_onset = 1\ndays_infectious_after_onset = 5\n'
                        "follow_up_days = 7\n", encoding="utf-8")  # fmt: skip
    with TestClient(create_app(_settings(database_url, tmp_path, diseases=diseases), store=city.store)) as client:
        headers = sign_in(client, "epi")
        assert {d["code"] for d in client.get("/api/v1/diseases", headers=headers).json()} == {"COVID-19", "flu"}
        body = {**_positive(city.national_id, city.specimen_date), "disease": "flu", "test": "rapid"}
        case_id = client.post("/api/v1/lab-results", json=body, headers=headers).json()["case_id"]
        done = _wait(client, headers, case_id, {"done", "failed"})
        assert done["tracing"]["status"] == "done", done["tracing"]
        assert done["disease"] == "flu" and done["follow_up_days"] == 7
        first = city.specimen_date - dt.timedelta(days=1)
        assert done["infectious_window"] == [first.isoformat(), (city.specimen_date + dt.timedelta(days=5)).isoformat()]
        assert (
            done["tracing"]["summary"]["traced_from"]
            == dt.datetime.combine(first, dt.time(), dt.timezone(dt.timedelta(hours=5))).astimezone(dt.UTC).isoformat()
        )


def test_explanations_are_in_the_language_of_the_request(client: TestClient, city: City) -> None:
    headers = sign_in(client, "epi")
    posted = client.post("/api/v1/lab-results", json=_positive(city.national_id, city.specimen_date),
                         headers={**headers, "Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})  # fmt: skip
    case_id = posted.json()["case_id"]
    assert _wait(client, headers, case_id, {"done", "failed"})["tracing"]["status"] == "done"
    store = open_store(city.store, create=False, settings=Settings(pseudonym_key=KEY))  # type: ignore[arg-type]
    russian = {c.person: c.explanation for c in store.trace(city.pseudonym, city.specimen_date, lang="ru").contacts}
    proposed = {p["pseudonym"]: p["explanation"] for p in _proposed(client, headers, case_id)}
    assert proposed == russian
    assert proposed != {p: c["explanation"] for p, c in city.contacts.items()}


def _audited(database_url: str, action: str, case_id: int) -> list[AuditRecord]:
    engine = make_engine(database_url)
    with make_session_factory(engine)() as db_session:
        records = list(db_session.scalars(
            select(AuditRecord).where(AuditRecord.action == action, AuditRecord.case_id == case_id)
        ))  # fmt: skip
    engine.dispose()
    return records


def test_a_probable_case_is_registered_and_traced_on_demand(
    database_url: str, city: City, registry: None, tmp_path: Path, cheap_hashes: None
) -> None:
    body = {"national_id": city.national_id, "classification": "probable", "onset_date": city.specimen_date.isoformat()}
    with TestClient(create_app(_settings(database_url, tmp_path, tracing_worker=False), store=city.store)) as client:
        headers = sign_in(client, "epi")
        me = client.get("/api/v1/auth/me", headers=headers).json()
        created = client.post("/api/v1/cases", json=body, headers=headers)
        assert created.status_code == 201, created.text
        case = created.json()
        assert (case["classification"], case["onset_date"], case["tracing"], case["investigating_user_id"]) == (
            "probable", city.specimen_date.isoformat(), None, me["id"],
        )  # fmt: skip
        assert case["person"]["national_id"] == city.national_id and case["confirmed_at"] is None
        again = client.post("/api/v1/cases", json={**body, "classification": "suspected"}, headers=headers)
        assert again.status_code == 409 and again.json()["field"] == "disease", again.text
        queued = client.post(f"/api/v1/cases/{case['id']}/trace", headers=headers)
        assert queued.status_code == 202, queued.text
        assert queued.json()["status"] == "queued"
        twice = client.post(f"/api/v1/cases/{case['id']}/trace", headers=headers)
        assert twice.status_code == 409 and twice.json()["field"] == "tracing", twice.text
        other = next(n for _, n in sorted(city.national_ids.items()) if n != city.national_id)
        suspected = client.post("/api/v1/cases", json={**body, "national_id": other, "classification": "suspected"},
                                headers=headers)  # fmt: skip
        assert suspected.status_code == 201, suspected.text
        refused = client.post(f"/api/v1/cases/{suspected.json()['id']}/trace", headers=headers)
        assert refused.status_code == 409 and refused.json()["field"] == "classification", refused.text
    with TestClient(create_app(_settings(database_url, tmp_path), store=city.store)) as client:
        headers = sign_in(client, "epi")
        done = _wait(client, headers, case["id"], {"done", "failed"})
        assert done["tracing"]["status"] == "done" and done["classification"] == "probable"
        assert {p["pseudonym"] for p in _proposed(client, headers, case["id"])} == set(city.contacts)
        assert client.post(f"/api/v1/cases/{case['id']}/trace", headers=headers).status_code == 202
    assert len(_audited(database_url, "case.trace", case["id"])) == 2
    assert len(_audited(database_url, "case.create", case["id"])) == 1


def test_a_confirmed_case_is_registered_only_with_its_confirming_test(client: TestClient, city: City) -> None:
    headers = sign_in(client, "epi")
    day = city.specimen_date.isoformat()
    body = {"national_id": city.national_id, "classification": "confirmed", "onset_date": day}
    for change, field in (({}, "test"), ({"test": "PCR"}, "specimen_date"),
                          ({"test": "rapid", "specimen_date": day}, "test"),
                          ({"classification": "probable", "test": "PCR"}, "test"),
                          ({"classification": "probable", "specimen_date": day}, "specimen_date"),
                          ({"onset_date": "2099-01-01"}, "onset_date"), ({"person_id": 1}, "body")):  # fmt: skip
        response = client.post("/api/v1/cases", json={**body, **change}, headers=headers)
        assert response.status_code == 422, response.text
        assert field in {p["field"] for p in response.json()["errors"]}, response.json()
    assert client.get("/api/v1/cases", headers=headers).json()["total"] == 0
    created = client.post("/api/v1/cases", json={**body, "test": "PCR", "specimen_date": day}, headers=headers)
    assert created.status_code == 201, created.text
    case = created.json()
    assert case["classification"] == "confirmed" and case["onset_date"] == city.specimen_date.isoformat()
    assert case["tracing"] is not None  # a positive result queues tracing, whoever enters it
    done = _wait(client, headers, case["id"], {"done", "failed"})
    assert done["tracing"]["status"] == "done"


def test_a_contact_is_converted_into_a_case_of_the_chain(client: TestClient, city: City, database_url: str) -> None:
    headers, case_id = _traced(client, city)
    proposed = _proposed(client, headers, case_id)
    identified = [p for p in proposed if p["person_id"] is not None]
    unidentified = [p for p in proposed if p["person_id"] is None]
    assert len(identified) >= 2, "the city gives fewer than two identified contacts"
    contacts = [
        client.post(f"/api/v1/cases/{case_id}/proposed-contacts/{p['id']}/accept", headers=headers).json()
        for p in identified[:2] + unidentified[:1]
    ]
    first, second = contacts[0], contacts[1]
    onset = (city.specimen_date + dt.timedelta(days=3)).isoformat()
    future = client.post(f"/api/v1/contacts/{first['id']}/case", json={"onset_date": "2099-01-01"}, headers=headers)
    assert future.status_code == 422 and future.json()["field"] == "onset_date", future.text
    converted = client.post(f"/api/v1/contacts/{first['id']}/case", json={"onset_date": onset}, headers=headers)
    assert converted.status_code == 201, converted.text
    new_case = converted.json()
    assert (new_case["classification"], new_case["person_id"], new_case["source_case_id"], new_case["onset_date"]) == (
        "suspected", first["person_id"], case_id, onset,
    )  # fmt: skip
    listed = client.get("/api/v1/contacts", params={"case_id": case_id, "limit": 200}, headers=headers).json()["items"]
    assert {c["id"]: c["converted_case_id"] for c in listed}[first["id"]] == new_case["id"]
    again = client.post(f"/api/v1/contacts/{first['id']}/case", headers=headers)
    assert again.status_code == 409 and again.json()["field"] == "converted_case_id", again.text
    # the second contact's person already has an open case: no second one
    opened = client.post("/api/v1/cases", json={"person_id": second["person_id"], "onset_date": onset}, headers=headers)
    assert opened.status_code == 201, opened.text
    assert opened.json()["source_case_id"] == case_id  # registered by hand, still linked to the case they met
    taken = client.post(f"/api/v1/contacts/{second['id']}/case", headers=headers)
    assert taken.status_code == 409 and taken.json()["field"] == "disease", taken.text
    if unidentified:
        nobody = client.post(f"/api/v1/contacts/{contacts[2]['id']}/case", headers=headers)
        assert nobody.status_code == 409 and nobody.json()["field"] == "person_id", nobody.text
    assert client.post("/api/v1/contacts/999999/case", headers=headers).status_code == 404
    (record,) = _audited(database_url, "contact.convert", case_id)
    assert record.details["new_case_id"] == new_case["id"] and record.object_id == str(first["id"])
    assert len(_audited(database_url, "case.create", new_case["id"])) == 1


def test_contacts_of_contacts_are_what_the_tracer_finds_after_each_exposure(
    client: TestClient, city: City, database_url: str, tmp_path: Path
) -> None:
    headers, case_id = _traced(client, city)
    empty = client.get(f"/api/v1/cases/{case_id}/second-degree", headers=headers)
    assert empty.status_code == 200 and empty.json()["total"] == 0 and empty.json()["contacts_traced"] == 0
    bulk = client.post(f"/api/v1/cases/{case_id}/proposed-contacts/accept-close", headers=headers).json()
    followed = [c for c in bulk["contacts"] if c["person_id"] is not None]
    assert followed, "no identified close contact to follow"
    # what the tracer finds, by hand: each contact from the local day of first exposure to the day after the
    # case's specimen date (no onset, no isolation), with the tracer's window opening 2 days before "onset"
    store = open_store(city.store, create=False, settings=Settings(pseudonym_key=KEY))  # type: ignore[arg-type]
    first_degree = {city.pseudonym} | {c["pseudonym"] for c in followed}
    quarantine = city.specimen_date + dt.timedelta(days=1)
    expected: set[tuple[str, str]] = set()
    traced = 0
    for contact in followed:
        seen = dt.datetime.fromisoformat(city.contacts[contact["pseudonym"]]["first_seen"])
        day = seen.astimezone(dt.timezone(dt.timedelta(hours=5))).date()
        if day >= quarantine:
            continue
        traced += 1
        result = store.trace(contact["pseudonym"], day + dt.timedelta(days=2), quarantine)
        expected |= {(contact["pseudonym"], c.person) for c in result.contacts
                     if c.klass == "close" and c.person not in first_degree}  # fmt: skip
    pages: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = client.get(f"/api/v1/cases/{case_id}/second-degree", params={"limit": 5, "offset": offset},
                          headers=headers)  # fmt: skip
        assert page.status_code == 200, page.text
        pages.append(page.json())
        offset = page.json()["next_offset"]
    items = [i for p in pages for i in p["items"]]
    assert pages[0]["contacts_traced"] == traced and pages[0]["not_in_store"] == []
    via = {c["id"]: c["pseudonym"] for c in followed}
    assert {(via[i["via_contact_id"]], i["pseudonym"]) for i in items} == expected
    assert all(i["class"] == "close" for i in items)
    for i in items:
        if i["pseudonym"] in city.national_ids:
            assert i["person"]["national_id"] == city.national_ids[i["pseudonym"]]
        else:
            assert i["person_id"] is None
    risks = [i["risk"] for i in items]
    assert risks == sorted(risks, reverse=True)
    records = _audited(database_url, "contact.second_degree", case_id)
    assert len(records) == 1 + len(pages)
    assert set(records[-1].details["person_ids"]) == {i["person_id"] for i in items if i["person_id"]}
    print(f"second degree: {traced} contacts traced in {pages[0]['elapsed_ms']} ms, {len(items)} found")
    with TestClient(create_app(_settings(database_url, tmp_path), store=tmp_path / "no-store-here")) as elsewhere:
        missing = elsewhere.get(f"/api/v1/cases/{case_id}/second-degree", headers=sign_in(elsewhere, "epi"))
        assert missing.status_code == 503 and missing.json()["error"] == "store_unavailable", missing.text
