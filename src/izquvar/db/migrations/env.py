"""Alembic's environment: migrations run on the connection ``izquvar.db.upgrade`` hands over.

Run from code only (``upgrade(url)``); a connection is required so that the URL, driver and SQLite pragmas
are those of ``izquvar.db.make_engine``, and one transaction covers the whole upgrade.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("izquvar migrations run through izquvar.db.upgrade(url), which supplies the connection")

context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
