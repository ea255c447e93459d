"""``izquvar audit verify``: walk the audit trail's hash chain; exit 0 when it holds, 7 at the first break."""

from __future__ import annotations

import click

from izquvar.cli.options import database_option
from izquvar.config import Settings
from izquvar.errors import AuditChainBroken


def register(group: click.Group) -> None:
    group.add_command(audit_group)


@click.group("audit")
def audit_group() -> None:
    """The audit trail of every read or change of personal data."""


@audit_group.command("verify")
@database_option()
def verify(database_url: str | None) -> None:
    """Check that no audit record was edited, deleted or inserted out of turn. Note the newest hash it prints
    somewhere else (a ticket, a paper log): a later verify that ends at the same hash proves nothing before it
    was rewritten."""
    from izquvar.audit import service
    from izquvar.db import make_engine, make_session_factory, session_scope, upgrade

    url = database_url or Settings().resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            check = service.verify(db_session=session)
    finally:
        engine.dispose()
    if not check.ok:
        raise AuditChainBroken(f"the audit trail does not verify: {check.message} ({check.records} record(s) held)")
    click.echo(f"audit trail intact: {check.message}")
