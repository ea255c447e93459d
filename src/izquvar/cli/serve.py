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

    from izquvar.service import create_app
    from izquvar.service.app import API_PREFIX
    from izquvar.service.bootstrap import prepare_database

    settings = Settings() if database_url is None else Settings(database_url=database_url)
    prepared = prepare_database(settings)
    engine = prepared.engine
    if prepared.first_administrator is not None:
        username, password = prepared.first_administrator
        click.echo(
            f"First start: created the administrator {username!r} with the one-time password\n\n"
            f"    {password}\n\n"
            "It is shown only now; change it at the first sign-in (POST /api/v1/auth/password)."
        )
    app = create_app(settings, engine=engine, store=store_path)
    click.echo(f"izquvar service on http://{host}:{port}{API_PREFIX} (OpenAPI: {API_PREFIX}/openapi.json)")
    click.echo(f"tracing on the location store {store_path}")
    try:
        uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)
    finally:
        engine.dispose()
