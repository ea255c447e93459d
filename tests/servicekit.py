"""Accounts, a test client and sign-in for the users, audit, service and CLI tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from izquvar.config import Settings
from izquvar.persons import service as persons_service
from izquvar.persons.models import Person, PersonCreate
from izquvar.persons.national_id import check_digit
from izquvar.service import create_app
from izquvar.users import passwords, service
from izquvar.users.models import Role, User, UserCreate

PASSWORD = "correct horse battery"
TASHKENT = "1726"
DISTRICT = "1726262"
OTHER_DISTRICT = "1726264"


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with argon2-cffi's test profile: the same code path, a thousandth of the cost."""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher.from_parameters(CHEAPEST))


def add_user(
    db_session: Session,
    username: str,
    role: Role,
    *,
    region_id: str | None = None,
    district_id: str | None = None,
    password: str = PASSWORD,
) -> User:
    """A committed account."""
    user = service.create(
        UserCreate(username=username, role=role, region_id=region_id, district_id=district_id, password=password),
        db_session=db_session,
    )
    db_session.commit()
    return user


def settings_for(database_url: str, home: Path, **values: object) -> Settings:
    return Settings(database_url=database_url, home=home, **values)  # type: ignore[arg-type]


@pytest.fixture
def client(database_url: str, tmp_path: Path, cheap_hashes: None) -> Iterator[TestClient]:
    """The service on the test database."""
    with TestClient(create_app(settings_for(database_url, tmp_path))) as test_client:
        yield test_client


def sign_in(client: TestClient, username: str, password: str = PASSWORD) -> dict[str, str]:
    """The Authorization header of a fresh token for this account."""
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def pinfl(serial: int, birth: dt.date = dt.date(1985, 8, 15)) -> str:
    """A valid PINFL of a man born on ``birth`` (``serial`` makes it unique)."""
    body = f"3{birth:%d%m}{birth.year % 100:02d}262{serial:03d}"
    return body + str(check_digit(body))


def add_person(db_session: Session, serial: int, family_name: str, district_id: str | None = DISTRICT) -> Person:
    """A committed person living in ``district_id`` (of Tashkent city), or with no address."""
    fields: dict[str, object] = {"national_id": pinfl(serial), "family_name": family_name, "given_name": "Alisher"}
    if district_id is not None:
        fields |= {"region_id": TASHKENT, "district_id": district_id}
    person = persons_service.create(PersonCreate.model_validate(fields), db_session=db_session)
    db_session.commit()
    return person
