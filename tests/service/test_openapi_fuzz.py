"""Schemathesis over the service's own OpenAPI: generated requests to every operation, signed in as each kind of
user and as nobody, never get a 5xx, and every answer matches the documented status codes' shapes.

The app runs in-process (ASGI) on each backend (SQLite and a real PostgreSQL), one database per backend shared
by the module's cases; each example signs in afresh,
so a generated logout cannot leave later examples without a token.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from izquvar.config import Settings
from izquvar.db import downgrade, make_engine, make_session_factory, upgrade
from izquvar.service import create_app
from izquvar.users import passwords
from izquvar.users.models import Role
from postgres import sqlalchemy_url
from servicekit import add_person, add_user, settings_for, sign_in

#: Accounts the examples run as: the roles that reach the most endpoints, and one confined to a district.
ACCOUNTS = {"admin-fuzz": Role.ADMINISTRATOR, "epi-fuzz": Role.EPIDEMIOLOGIST, "dpo-fuzz": Role.DATA_PROTECTION_OFFICER}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    """The service on a migrated database of each backend, with the accounts and one person."""
    home: Path = tmp_path_factory.mktemp("fuzz")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'izquvar.db'}"
    else:
        url = sqlalchemy_url(request.getfixturevalue("postgres_dsn"))
    upgrade(url)
    cheap = pytest.MonkeyPatch()
    cheap.setattr(passwords, "HASHER", PasswordHasher.from_parameters(CHEAPEST))
    engine = make_engine(url)
    with make_session_factory(engine)() as db_session:
        for username, role in ACCOUNTS.items():
            add_user(db_session, username, role)
        add_person(db_session, 1, "Shadmanov")
    engine.dispose()
    application = create_app(settings_for(url, home))
    try:
        with TestClient(application):  # runs the lifespan: the app's engine and sessions
            yield application
    finally:
        cheap.undo()
        if request.param == "postgresql":
            downgrade(url, "base")


def _operations() -> list[str]:
    """Every operation of the OpenAPI document, as schemathesis labels it ("GET /api/v1/persons"); building the
    app touches no database, so this runs at collection."""
    document = create_app(Settings()).openapi()
    return [f"{method.upper()} {path}" for path, methods in document["paths"].items() for method in methods]


@pytest.fixture(scope="module")
def openapi(app: FastAPI) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
@pytest.mark.parametrize("label", _operations())
def test_no_generated_request_gets_a_server_error(
    label: str, mode: GenerationMode, app: FastAPI, openapi: schemathesis.BaseSchema
) -> None:
    operation = openapi.find_operation_by_label(label)
    assert operation is not None, f"schemathesis does not see {label}"
    takes_input = any(True for _ in operation.iter_parameters()) or bool(operation.get_request_payload_content_types())
    if mode is GenerationMode.NEGATIVE and not takes_input:
        return  # nothing to make invalid: the valid run covers it

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def examples(case: schemathesis.Case) -> None:
        with TestClient(app) as client:
            accounts: list[dict[str, str]] = [{}] + [sign_in(client, username) for username in ACCOUNTS]
        for headers in accounts:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

    try:
        examples()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # only the session cookie to vary, and any text is a valid cookie: nothing to make invalid
