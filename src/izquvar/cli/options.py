"""Options several commands share, defined once so they read and behave the same everywhere."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def store_option(help_text: str = "Store directory. Env: IZQUVAR_STORE.") -> Callable[[F], F]:
    """``--store DIR`` (or ``IZQUVAR_STORE``), passed to the command as ``store_path``."""
    return click.option(
        "--store",
        "store_path",
        required=True,
        envvar="IZQUVAR_STORE",
        type=click.Path(path_type=Path),
        help=help_text,
    )


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
