"""The database layer on SQLite and PostgreSQL: migrations equal the models, units of work, UTC timestamps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, String, inspect, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

import izquvar.audit.models
import izquvar.cases.models
import izquvar.persons.models
import izquvar.users.models  # noqa: F401
from izquvar.db import (
    Base,
    UtcDateTime,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    make_session_factory,
    session_scope,
    upgrade,
)
from izquvar.db.engine import database_url as normalised_url
from izquvar.errors import InvalidInput


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def test_the_migrations_create_exactly_the_models_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    assert {"persons", "person_phones"} <= set(inspect(engine).get_table_names())


def test_upgrade_twice_changes_nothing_and_downgrade_removes_the_tables(database_url: str, engine: Engine) -> None:
    assert upgrade(database_url) == head_revision()
    assert downgrade(database_url, "base") == ""
    assert not {"persons", "person_phones"} & set(inspect(engine).get_table_names())
    assert upgrade(database_url) == head_revision()


class _TestBase(DeclarativeBase):
    """Tables of these tests only, outside izquvar's metadata (which must equal the migrations)."""


class _Stamp(_TestBase):
    """A table created and dropped by the tests."""

    __tablename__ = "test_stamps"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime)


@pytest.fixture
def stamps(engine: Engine) -> Iterator[Engine]:
    _Stamp.__table__.create(engine)  # type: ignore[attr-defined]
    yield engine
    _Stamp.__table__.drop(engine)  # type: ignore[attr-defined]


def test_session_scope_commits_on_success_and_rolls_back_on_error(stamps: Engine) -> None:
    factory = make_session_factory(stamps)
    now = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    with session_scope(factory) as session:
        session.add(_Stamp(label="kept", at=now))
    with pytest.raises(RuntimeError), session_scope(factory) as session:
        session.add(_Stamp(label="lost", at=now))
        session.flush()
        raise RuntimeError("the unit of work fails")
    with session_scope(factory) as session:
        assert session.scalars(select(_Stamp.label)).all() == ["kept"]


def test_timestamps_come_back_in_utc_and_naive_ones_are_refused(stamps: Engine) -> None:
    factory = make_session_factory(stamps)
    tashkent = dt.timezone(dt.timedelta(hours=5))
    with session_scope(factory) as session:
        session.add(_Stamp(label="local", at=dt.datetime(2026, 3, 2, 14, 30, tzinfo=tashkent)))
    with session_scope(factory) as session:
        at = session.scalars(select(_Stamp.at)).one()
    assert at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert at.utcoffset() == dt.timedelta(0)
    with pytest.raises(StatementError, match="naive timestamp"), session_scope(factory) as session:
        session.add(_Stamp(label="naive", at=dt.datetime(2026, 3, 2, 9, 30)))
        session.flush()


def test_urls_postgresql_means_psycopg_and_other_databases_are_refused() -> None:
    assert normalised_url("postgresql://u@host/db").drivername == "postgresql+psycopg"
    assert normalised_url("sqlite:///x.db").drivername == "sqlite"
    with pytest.raises(InvalidInput, match="not supported"):
        normalised_url("mysql://u@host/db")
    with pytest.raises(InvalidInput, match="not a database URL"):
        normalised_url("no url at all")


def test_a_sqlite_file_gets_its_directory(tmp_path: pytest.TempPathFactory) -> None:
    path = tmp_path / "a" / "b" / "izquvar.db"  # type: ignore[operator]
    assert upgrade(f"sqlite:///{path}") == head_revision()
    assert path.is_file()
