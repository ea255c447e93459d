"""The service's database on both backends: a SQLite file and a real PostgreSQL server (postgres.py).

A test that takes ``database_url`` (or ``db_session``) runs twice, once per backend, on a freshly migrated
database: what the registry promises must hold on the default and on the production database alike.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from izquvar.db import downgrade, make_engine, make_session_factory, upgrade
from postgres import sqlalchemy_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each backend; PostgreSQL's is migrated back to nothing afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'registry.db'}"
        upgrade(url)
        yield url
        return
    url = sqlalchemy_url(request.getfixturevalue("postgres_dsn"))
    upgrade(url)
    try:
        yield url
    finally:
        downgrade(url, "base")


@pytest.fixture
def db_session(database_url: str) -> Iterator[Session]:
    """A session on the test database (the test commits what it wants kept)."""
    engine = make_engine(database_url)
    session = make_session_factory(engine)()
    try:
        yield session
    finally:
        session.close()
        engine.dispose()
