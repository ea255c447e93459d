"""Options several commands share, defined once so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from izquvar.config import Settings

F = TypeVar("F", bound=Callable[..., Any])


def store_option(help_text: str = "Store directory.") -> Callable[[F], F]:
    """``--store DIR`` (or ``IZQUVAR_STORE``), passed to the command as ``store_path``; unset means the location
    store of the data home (``IZQUVAR_HOME``), so every command works on the same state by default."""
    return click.option(
        "--store",
        "store_path",
        default=None,
        envvar="IZQUVAR_STORE",
        type=click.Path(path_type=Path),
        callback=_store_of_data_home,
        help=f"{help_text} Env: IZQUVAR_STORE. Default: the store in the data home (IZQUVAR_HOME).",
    )


def _store_of_data_home(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    return value if value is not None else Settings().data_paths().store


def database_option() -> Callable[[F], F]:
    """``--database URL`` (or ``IZQUVAR_DATABASE_URL``), passed as ``database_url``; unset means the setting's
    default, the SQLite file in the data home (``IZQUVAR_HOME``)."""
    return click.option(
        "--database",
        "database_url",
        default=None,
        envvar="IZQUVAR_DATABASE_URL",
        metavar="URL",
        help="Database URL (sqlite:///FILE or postgresql://...). Env: IZQUVAR_DATABASE_URL. "
        "Default: izquvar.db in the data home (IZQUVAR_HOME).",
    )


def rules_options(command: F) -> F:
    """``--rules FILE`` and ``--disease NAME``, passed as ``rules_path`` and ``disease``: the tracing rules to
    apply instead of the settings' (``IZQUVAR_TRACING_RULES``), for one disease of the file (docs/tracing-rules.md).
    Turn them into rules with :func:`izquvar.trace.rules.load_rules`."""
    command = click.option(
        "--disease",
        default=None,
        help="Apply the rules file's [diseases.NAME] overrides for this disease (needs --rules).",
    )(command)
    return click.option(
        "--rules",
        "rules_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Tracing rules: a TOML or JSON file of overrides (docs/tracing-rules.md). Default: IZQUVAR_TRACING_RULES.",
    )(command)
