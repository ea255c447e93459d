"""Getting a database ready for the service: migrated, and with its first administrator.

One function for ``izquvar serve`` and ``izquvar demo``, so that a demo's service starts exactly as a real one
does: secrets checked before anything is written, the schema migrated, and on a database without accounts the
administrator ``admin`` created with a one-time password (returned once, stored only as a hash) and audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from izquvar.audit import service as audit_service
from izquvar.config import Settings
from izquvar.db import make_engine, make_session_factory, session_scope, upgrade
from izquvar.service.app import check_production_secrets
from izquvar.users import service as users_service


@dataclass(frozen=True)
class PreparedDatabase:
    engine: Engine
    #: ``(username, one-time password)`` when this start created the first administrator, else ``None``.
    first_administrator: tuple[str, str] | None


def prepare_database(settings: Settings) -> PreparedDatabase:
    """Check the secrets, migrate ``settings``' database and create its first administrator if it has none."""
    check_production_secrets(settings)  # before anything is written
    url = settings.resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    created: tuple[str, str] | None = None
    with session_scope(make_session_factory(engine)) as session:
        first = users_service.create_first_administrator(db_session=session)
        if first is not None:
            user, password = first
            audit_service.record(
                "user.create", db_session=session, actor=None, object_type="user", object_id=user.id,
                details={"username": user.username, "role": user.role.value, "first_start": True},
            )  # fmt: skip
            created = (user.username, password)
    return PreparedDatabase(engine=engine, first_administrator=created)
