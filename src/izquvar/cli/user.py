"""``izquvar user add NAME --role ROLE [--region R] [--district D]``: an account, its password from stdin;
``izquvar user reset-totp NAME``: remove an account's second factor (a lost phone, even the last administrator's).

Why stdin: a password on the command line lands in the shell history and in every process listing. On a
terminal it is asked for twice, hidden; otherwise the first line of stdin is the password.
"""

from __future__ import annotations

import sys

import click
from pydantic import ValidationError

from izquvar.cli.options import database_option
from izquvar.config import Settings
from izquvar.errors import InvalidInput, NotFound
from izquvar.users.models import Role


def register(group: click.Group) -> None:
    group.add_command(user_group)


@click.group("user")
def user_group() -> None:
    """Manage the service's accounts."""


@user_group.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the user may do.")
@click.option("--region", "region_id", default=None, metavar="CODE", help="Jurisdiction: a region (SOATO code).")
@click.option("--district", "district_id", default=None, metavar="CODE", help="Jurisdiction: a district.")
@click.option("--display-name", default=None, help="Full name shown in the service (default: the username).")
@database_option()
def add(
    username: str,
    role: str,
    region_id: str | None,
    district_id: str | None,
    display_name: str | None,
    database_url: str | None,
) -> None:
    """Create an account; the password is read from stdin."""
    from izquvar.audit import service as audit_service
    from izquvar.db import make_engine, make_session_factory, session_scope, upgrade
    from izquvar.users import service
    from izquvar.users.models import UserCreate

    password = _read_password()
    try:
        user_in = UserCreate(
            username=username,
            role=Role(role),
            region_id=region_id,
            district_id=district_id,
            display_name=display_name,
            password=password,
        )
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None
    url = database_url or Settings().resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = service.create(user_in, db_session=session)
            audit_service.record(
                "user.create", db_session=session, actor=None, object_type="user", object_id=user.id,
                details={"username": user.username, "role": user.role.value, "via": "cli"},
            )  # fmt: skip
    finally:
        engine.dispose()
    where = user.district_id or user.region_id or "the whole country"
    click.echo(f"created user {user.username!r} (id {user.id}), role {user.role.value}, jurisdiction {where}")


@user_group.command("reset-totp")
@click.argument("username")
@database_option()
def reset_totp(username: str, database_url: str | None) -> None:
    """Remove an account's TOTP second factor and recovery codes; it then signs in with the password alone."""
    from izquvar.audit import service as audit_service
    from izquvar.db import make_engine, make_session_factory, session_scope, upgrade
    from izquvar.users import service

    url = database_url or Settings().resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = service.get_by_username(username, db_session=session)
            if user is None:
                raise NotFound(f"no user named {username!r}")
            had = service.reset_totp(user, db_session=session)
            audit_service.record(
                "auth.totp_reset", db_session=session, actor=None, object_type="user", object_id=user.id,
                details={"had_second_factor": had, "via": "cli"},
            )  # fmt: skip
    finally:
        engine.dispose()
    click.echo(f"{username}: second factor removed" if had else f"{username}: had no second factor; nothing changed")


def _read_password() -> str:
    if sys.stdin.isatty():
        password: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise InvalidInput("no password on stdin: give it as the first line (e.g. from a password manager)")
    return password


def describe(exc: ValidationError) -> str:
    """A pydantic error as one line naming each field (``--district``'s ``district_id``, …)."""
    problems = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "input"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{field}: {message}")
    return "; ".join(problems)
