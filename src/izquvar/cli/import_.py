"""``izquvar import KIND FILE``: load a registry or case file (CSV or XLSX) into the database.

``persons`` is the first kind. A file is imported whole or not at all: when any row has a problem nothing is
stored, the first problems are printed, ``--errors FILE`` writes all of them (row, column, value, reason), and
the exit status is that of ``InvalidInput`` (2). The database is migrated to the current schema first.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from izquvar.cli.options import database_option
from izquvar.config import Settings
from izquvar.errors import InvalidInput

if TYPE_CHECKING:  # the database layer is imported when a command runs, not when ``izquvar`` starts
    from izquvar.persons.importer import ImportReport, ProgressHook

#: How many problems the terminal shows; the ``--errors`` report has all of them.
SHOWN_ERRORS = 10


def register(group: click.Group) -> None:
    group.add_command(import_group)


@click.group("import")
def import_group() -> None:
    """Load registry files into the database (CSV or XLSX, by extension)."""


@import_group.command("persons")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@database_option()
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write every problem found (row, column, value, reason) to this CSV file.",
)
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def persons(file: Path, database_url: str | None, errors_path: Path | None, progress: bool | None) -> None:
    """Import persons (the identity registry); a person already registered (same PINFL) is updated."""
    from izquvar.db import make_engine, make_session_factory, session_scope, upgrade
    from izquvar.persons.importer import import_persons, write_error_report

    url = database_url or Settings().resolved_database_url()
    upgrade(url)
    engine = make_engine(url)
    began = time.perf_counter()
    try:
        with (
            _progress(sys.stderr.isatty() if progress is None else progress) as hook,
            session_scope(make_session_factory(engine)) as session,
        ):
            report = import_persons(file, db_session=session, progress=hook)
    finally:
        engine.dispose()
    seconds = time.perf_counter() - began
    console = Console()
    if errors_path is not None and report.errors:
        write_error_report(report.errors, errors_path)
    if not report.stored:
        _print_errors(report, console)
        where = f"all of them are in {errors_path}" if errors_path else "pass --errors FILE for the full report"
        raise InvalidInput(
            f"{file}: {len(report.errors):,} problem(s) in {len({e.row for e in report.errors}):,} row(s); "
            f"nothing was imported ({where})."
        )
    console.print(
        f"{file.name}: {report.rows:,} row(s): {report.created:,} created, {report.updated:,} updated, "
        f"{report.unchanged:,} unchanged ({seconds:.1f} s)."
    )


def _print_errors(report: ImportReport, console: Console) -> None:
    table = Table(title=f"Problems ({min(SHOWN_ERRORS, len(report.errors))} of {len(report.errors):,})")
    for header in ("row", "column", "value", "reason"):
        table.add_column(header, overflow="fold")
    for error in report.errors[:SHOWN_ERRORS]:
        table.add_row(str(error.row), error.column, error.value, error.reason)
    console.print(table)


@contextmanager
def _progress(enabled: bool) -> Iterator[ProgressHook | None]:
    """A bar on stderr moved by the import's hook (rows checked, then persons stored), or ``None``."""
    if not enabled:
        yield None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("import", total=None)

        def hook(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total or None)

        yield hook
