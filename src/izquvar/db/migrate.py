"""Alembic migrations run from code: ``upgrade(url)`` brings a database to the newest schema.

Why programmatic: the migrations ship inside the package (``izquvar/db/migrations``), so an installed izquvar
can create and upgrade its database without an ``alembic.ini`` or a source checkout. Each revision is written
by hand for SQLite and PostgreSQL alike (batch mode on SQLite, where ``ALTER TABLE`` is limited).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from izquvar.db.engine import make_engine


def alembic_config() -> Config:
    """The Alembic configuration of the shipped migrations (no ini file)."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("izquvar.db").joinpath("migrations")))
    return config


def upgrade(url: str | URL | Engine, revision: str = "head") -> str:
    """Migrate the database at ``url`` (or on an engine) to ``revision``; returns the revision it is at."""
    return _migrate(url, command.upgrade, revision)


def downgrade(url: str | URL | Engine, revision: str) -> str:
    """Migrate the database back to ``revision`` (``"base"``: before the first migration, no izquvar tables)."""
    return _migrate(url, command.downgrade, revision)


def _migrate(url: str | URL | Engine, step: Callable[[Config, str], None], revision: str) -> str:
    """Run one Alembic command in one transaction on a connection of izquvar's own engine."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            step(config, revision)
        return current_revision(engine) or ""
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (``None`` before the first migration)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest shipped revision."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("izquvar ships no database migrations")  # a packaging error, not a user's
    return head
