"""``izquvar sql``, ``izquvar store info`` and ``izquvar purge``: looking into and trimming a store."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.csv as pcsv
from rich.console import Console
from rich.table import Table

from izquvar import open_store
from izquvar.cli.options import store_option
from izquvar.config import Settings
from izquvar.errors import InvalidInput

_STORE = store_option()
_DURATION = re.compile(r"^\s*(\d+)\s*([dh])\s*$")
#: Rows ``izquvar sql`` prints as a table before saying how many more there are.
MAX_TABLE_ROWS = 200


def register(group: click.Group) -> None:
    group.add_command(sql)
    group.add_command(store_group)
    group.add_command(purge)


def parse_duration(text: str) -> dt.timedelta:
    """``14d`` or ``36h`` as a timedelta."""
    match = _DURATION.match(text)
    if not match or int(match.group(1)) == 0:
        raise InvalidInput(f"--older-than {text!r}: expected a positive number of days or hours, like 14d or 36h.")
    amount = int(match.group(1))
    return dt.timedelta(days=amount) if match.group(2) == "d" else dt.timedelta(hours=amount)


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 time with ``Z`` or an offset (a bare local time is ambiguous, so refused)."""
    try:
        value = dt.datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError as exc:
        raise InvalidInput(f"--now {text!r}: not an ISO 8601 time ({exc}).") from exc
    if value.tzinfo is None:
        raise InvalidInput(f"--now {text!r}: give a UTC offset or Z, e.g. 2026-03-20T00:00:00Z.")
    return value.astimezone(dt.UTC)


@click.command()
@_STORE
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Rows as a JSON array of objects.")
@click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV.")
@click.option(
    "--allow-files",
    is_flag=True,
    help="For the store's owner: let the statement read other files and COPY results to a file.",
)
def sql(store_path: Path, query: str, as_json: bool, as_csv: bool, allow_files: bool) -> None:
    """Run one read-only DuckDB query over the store; every table is a view (gps, cell, ..., stays, rejects).

    Only SELECT (WITH, FROM, DESCRIBE, SHOW, SUMMARIZE) runs, and no file but the store's own is read. COPY and
    functions reading other files (read_csv_auto, read_text, ...) need --allow-files; ATTACH, SET, PRAGMA,
    INSTALL/LOAD and statements that change the database are always refused.
    """
    if as_json and as_csv:
        raise InvalidInput("choose one of --json and --csv.")
    result = open_store(store_path, create=False).sql(query, allow_files=allow_files)
    if as_json:
        click.echo(json.dumps(result.to_pylist(), default=_json_default, indent=1))
    elif as_csv:
        sink = pa.BufferOutputStream()
        pcsv.write_csv(result, sink)
        sys.stdout.write(sink.getvalue().to_pybytes().decode("utf-8"))
    else:
        _print_table(result, Console())


def _json_default(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date | dt.time | dt.timedelta):
        return str(value)
    return repr(value)


def _print_table(result: pa.Table, console: Console) -> None:
    table = Table()
    for name in result.column_names:
        table.add_column(name)
    for row in result.slice(0, MAX_TABLE_ROWS).to_pylist():
        table.add_row(
            *(
                "" if v is None else _json_default(v) if not isinstance(v, str | int | float) else str(v)
                for v in row.values()
            )
        )
    console.print(table)
    more = result.num_rows - MAX_TABLE_ROWS
    console.print(f"{result.num_rows:,} row(s)" + (f"; {more:,} not shown (use --csv or --json)" if more > 0 else ""))


@click.group("store")
def store_group() -> None:
    """Look at a store."""


@store_group.command("info")
@_STORE
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def info(store_path: Path, as_json: bool) -> None:
    """Rows per table, people, time range, rejects, batches, size and retention."""
    details = open_store(store_path, create=False).info()
    if as_json:
        click.echo(json.dumps(details, indent=1))
        return
    console = Console()
    counts = Table(title=f"Store {details['store']}")
    counts.add_column("table")
    counts.add_column("rows", justify="right")
    for name, count in details["counts"].items():
        counts.add_row(name, f"{count:,}")
    console.print(counts)
    span = details["time_range"]
    console.print(f"people (distinct pseudonyms): {details['people']:,}")
    console.print(f"time range: {span['start'] or '-'} … {span['end'] or '-'}")
    console.print(f"rejects: {details['rejects']:,}; batches: {details['batches']}; files: {details['files']}")
    console.print(f"size: {details['size_bytes'] / 1e6:,.1f} MB; retention: {details['retention_days']} days")


@click.command()
@_STORE
@click.option(
    "--older-than",
    default=None,
    help="Remove data older than this (e.g. 14d, 36h). Default: IZQUVAR_RETENTION_DAYS (14).",
)
@click.option("--now", "now_text", default=None, help="Reference time (ISO 8601 with Z); default: now.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def purge(store_path: Path, older_than: str | None, now_text: str | None, as_json: bool) -> None:
    """Remove location data (events, stays, rejects) older than the retention period."""
    period = parse_duration(older_than) if older_than else dt.timedelta(days=Settings().retention_days)
    now = parse_utc(now_text) if now_text else None
    report = open_store(store_path, create=False).purge(period, now=now)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "cutoff": report.cutoff.isoformat().replace("+00:00", "Z"),
                    "removed_rows": report.removed_rows,
                    "removed_files": report.removed_files,
                    "rewritten_files": report.rewritten_files,
                },
                indent=1,
            )
        )
        return
    console = Console()
    console.print(f"cutoff: {report.cutoff.isoformat().replace('+00:00', 'Z')}")
    if not report.removed_rows:
        console.print("nothing older than the cutoff; nothing removed.")
        return
    for name, count in report.removed_rows.items():
        console.print(f"removed {count:,} {name} row(s)")
    console.print(f"{report.removed_files} file(s) deleted, {report.rewritten_files} rewritten")
