"""Engines and sessions from a database URL, and the one unit of work: commit on success, roll back on error."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from izquvar.errors import InvalidInput


def database_url(url: str | URL) -> URL:
    """The URL SQLAlchemy should use: ``postgresql://`` means psycopg 3 (the driver izquvar depends on)."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"not a database URL: {url!s} ({exc})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise InvalidInput(f"database {parsed.get_backend_name()!r} is not supported; use sqlite:/// or postgresql://")
    return parsed


def make_engine(url: str | URL, **options: Any) -> Engine:
    """An engine for ``url``; a SQLite file's directory is created, and SQLite enforces foreign keys."""
    parsed = database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # No server-side prepared statements: after five runs psycopg prepares a query, and PostgreSQL's generic plan
    # for an IN list of a thousand parameters scans the table comparing each row with each value (measured: an
    # import's lookups 7 times slower); planning each query costs a fraction of a millisecond.
    connect_args = {"prepare_threshold": None} | options.pop("connect_args", {})
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite leaves foreign keys off unless asked per connection; WAL lets readers work during an import."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on ``engine``; objects stay readable after commit (a CLI prints what it stored)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends normally, rolled back when it raises."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
