"""The service's relational database: one declarative ``Base``, engines and sessions from a URL, migrations.

SQLite (a file in the data home) needs no server; PostgreSQL is chosen by ``IZQUVAR_DATABASE_URL``. Nothing
connects at import time: an engine is made by :func:`make_engine` when a command or the service asks for one.
Tables are created only by the Alembic migrations shipped in ``migrations/`` (:func:`upgrade`), never by
``metadata.create_all``, so every database has the schema of a named revision.
"""

from __future__ import annotations

from izquvar.db.base import Base, UtcDateTime, utcnow
from izquvar.db.engine import make_engine, make_session_factory, session_scope
from izquvar.db.migrate import current_revision, downgrade, head_revision, upgrade

__all__ = [
    "Base",
    "UtcDateTime",
    "current_revision",
    "downgrade",
    "head_revision",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "upgrade",
    "utcnow",
]
