"""``izquvar serve``: the investigation service (HTTP API under ``/api/v1``) on uvicorn.

The database is migrated to the newest schema first. On a database without accounts the first start creates
the administrator ``admin`` and prints its one-time password, once: it is stored only as a hash, and must be
changed at the first sign-in. In production (``IZQUVAR_ENV=production``) the service refuses to start with a
default or missing secret.
"""

from __future__ import annotations

from pathlib import Path

import click

from izquvar.cli.options import database_option, store_option
from izquvar.config import Settings


def register(group: click.Group) -> None:
    group.add_command(serve)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (0.0.0.0: every one).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@database_option()
@store_option("Location store the service traces cases on.")
def serve(host: str, port: int, database_url: str | None, store_path: Path) -> None:
    """Run the service until interrupted (Ctrl-C). Tracing jobs run on the location store ``--store``."""
    import uvicorn

    from izquvar.audit import service as audit_service
    from izquvar.db import make_engine, make_session_factory, session_scope, upgrade
    from izquvar.service import create_app
    from izquvar.service.app import API_PREFIX, check_production_secrets
    from izquvar.users import service as users_service

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    check_production_secrets(settings)  # before anything is written
    url = settings.resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    with session_scope(make_session_factory(engine)) as session:
        first = users_service.create_first_administrator(db_session=session)
        if first is not None:
            audit_service.record(
                "user.create", db_session=session, actor=None, object_type="user", object_id=first[0].id,
                details={"username": first[0].username, "role": first[0].role.value, "first_start": True},
            )  # fmt: skip
    if first is not None:
        click.echo(
            f"First start: created the administrator {first[0].username!r} with the one-time password\n\n"
            f"    {first[1]}\n\n"
            "It is shown only now; change it at the first sign-in (POST /api/v1/auth/password)."
        )
    app = create_app(settings, engine=engine, store=store_path)
    click.echo(f"izquvar service on http://{host}:{port}{API_PREFIX} (OpenAPI: {API_PREFIX}/openapi.json)")
    click.echo(f"tracing on the location store {store_path}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
    finally:
        engine.dispose()
