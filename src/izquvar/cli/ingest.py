"""``izquvar ingest PATH... --store STORE``: validated, pseudonymised, atomic ingest of feed files.

Exit status: 0 when every row was stored, 1 when the ingest completed but rejected rows (they are in the
store's ``rejects`` table), 6 (``IngestFailed``) when the ingest itself failed and nothing was stored.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from izquvar import open_store
from izquvar.cli.options import store_option
from izquvar.formats import KINDS
from izquvar.store import IngestReport

#: Exit status of an ingest that completed but rejected some rows.
EXIT_REJECTS = 1
#: How many rejects the terminal summary shows before the counts by reason.
SHOWN_REJECTS = 10


def register(group: click.Group) -> None:
    group.add_command(ingest)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option("Store directory (created if absent).")
@click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default=None,
    help="Force the feed kind instead of recognising it from file names.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON instead of tables.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def ingest(paths: tuple[Path, ...], store_path: Path, kind: str | None, as_json: bool, progress: bool | None) -> None:
    """Validate and store feed files (CSV, Parquet, GeoJSON) or simulator output directories."""
    store = open_store(store_path)
    show_progress = sys.stderr.isatty() if progress is None else progress
    report = store.ingest(list(paths), kind=kind, progress=show_progress and not as_json)
    if as_json:
        click.echo(json.dumps(report_json(report), indent=1))
    else:
        print_report(report, Console())
    if report.reject_count:
        sys.exit(EXIT_REJECTS)


def report_json(report: IngestReport) -> dict[str, object]:
    shown = report.rejects.slice(0, SHOWN_REJECTS).drop_columns(["time", "ingested_at"]).to_pylist()
    return {
        "batch": report.batch,
        "stored": report.stored,
        "derived": report.derived,
        "rejected_rows": report.rejected_rows,
        "rejects": report.reject_count,
        "rejects_by_reason": report.rejects_by_reason(),
        "first_rejects": shown,
        "already_ingested": list(report.already_ingested),
        "sources": [
            {
                "file": s.file,
                "kind": s.kind,
                "rows": s.rows,
                "stored": s.stored,
                "rejected_rows": s.rejected_rows,
                "already_ingested": s.already_ingested,
            }
            for s in report.sources
        ],
    }


def print_report(report: IngestReport, console: Console) -> None:
    """Files, rows stored and rejected, the first rejects and the counts by reason."""
    files = Table(title=f"Ingest batch {report.batch or '(nothing new)'}")
    for header in ("file", "kind", "rows", "stored", "rejected rows"):
        numeric = header in ("rows", "stored", "rejected rows")
        files.add_column(header, justify="right" if numeric else "left", overflow="fold")
    for source in report.sources:
        if source.already_ingested:
            files.add_row(source.file, source.kind, "", "", "", style="dim")
        else:
            files.add_row(
                source.file,
                source.kind,
                f"{source.rows:,}",
                f"{source.stored:,}",
                f"{source.rejected_rows:,}",
            )
    console.print(files)
    for name in report.already_ingested:
        console.print(f"{name}: already ingested (same content); skipped.")
    for name, count in report.derived.items():
        console.print(f"derived {name}: {count:,} rows")
    if not report.reject_count:
        console.print("No rejects.")
        return
    shown = Table(title=f"First rejects ({min(SHOWN_REJECTS, report.reject_count)} of {report.reject_count:,})")
    for header in ("file", "row", "line", "field", "value", "reason"):
        shown.add_column(header, overflow="fold")
    for reject in report.rejects.slice(0, SHOWN_REJECTS).to_pylist():
        line = "" if reject["line"] is None else str(reject["line"])
        value = "" if reject["value"] is None else str(reject["value"])
        shown.add_row(_short(reject["file"]), str(reject["row"]), line, reject["field"], value, reject["reason"])
    console.print(shown)
    reasons = Table(title="Rejects by reason")
    reasons.add_column("reason")
    reasons.add_column("count", justify="right")
    reasons.add_column("what it means")
    meaning = dict(zip(report.rejects["reason"].to_pylist(), report.rejects["detail"].to_pylist(), strict=True))
    for reason, count in report.rejects_by_reason().items():
        reasons.add_row(reason, f"{count:,}", meaning[reason])
    console.print(reasons)
    console.print(
        f"{report.rejected_rows:,} row(s) rejected ({report.reject_count:,} problem(s)); "
        "all in the store's rejects table."
    )


def _short(path: str) -> str:
    """The last parts of a path: enough to tell ``gps/day=2026-03-02/part-0.parquet`` from its siblings."""
    return "/".join(Path(path).parts[-3:])
