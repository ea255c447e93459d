"""``izquvar trace-all --store STORE [--cases FILE]``: trace every confirmed case, link and group them.

Cases come from the store's lab results (first positive specimen date as the onset) unless ``--cases`` names a
CSV file ``person,onset[,isolation]``. Tables go to ``STORE/outbreak/<run id>/`` (or ``--out``); the terminal
shows the run's summary (``--json``: the summary.json document). See docs/outbreak.md.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from izquvar import open_store
from izquvar.cli.options import rules_options, store_option
from izquvar.errors import InvalidInput, NotFound
from izquvar.i18n import LANGS, Lang
from izquvar.localtime import UZBEKISTAN_UTC_OFFSET
from izquvar.outbreak import OutbreakRun, cases_from_lab, read_cases_file, trace_all


def register(group: click.Group) -> None:
    group.add_command(trace_all_command)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{option}: {value!r} is not a date YYYY-MM-DD.") from None


def _identified(path: Path | None) -> list[str]:
    """Venue ids, one a line (``#`` starts a comment), that investigators report fully identified."""
    if path is None:
        return []
    if not path.is_file():
        raise NotFound(f"{path}: no such file of identified venues.")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line]


@click.command("trace-all")
@store_option()
@click.option("--cases", "cases_path", type=click.Path(path_type=Path), default=None,
              help="CSV person,onset[,isolation]; default: every person with a positive lab result.")  # fmt: skip
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="New or empty output directory; default STORE/outbreak/<run id>.")  # fmt: skip
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Publication date for the 14-day removal of exposure sites; default today (UTC+5).")  # fmt: skip
@click.option("--identified", "identified_path", type=click.Path(path_type=Path), default=None,
              help="File of venue ids whose contacts are all identified (their sites are withheld).")  # fmt: skip
@click.option("--second-degree/--no-second-degree", default=False,
              help="Also trace every close contact for second-degree contacts (slower).")  # fmt: skip
@click.option("--lang", type=click.Choice(LANGS), default="en", help="Language of explanations.")
@click.option("--workers", type=click.IntRange(min=1), default=None, metavar="N",
              help="Processes tracing at once; default: every core. Outputs do not depend on it.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@rules_options
def trace_all_command(
    store_path: Path,
    cases_path: Path | None,
    out: Path | None,
    as_of: str | None,
    identified_path: Path | None,
    second_degree: bool,
    lang: Lang,
    workers: int | None,
    as_json: bool,
    progress: bool | None,
    rules_path: Path | None,
    disease: str | None,
) -> None:
    """Trace every confirmed case; write contacts, chains, clusters and exposure sites."""
    from izquvar.trace.rules import load_rules
    from izquvar.trace.tracer import Tracer

    store = open_store(store_path, create=False)
    now = dt.datetime.now(dt.UTC)
    publication = _date(as_of, "--as-of") or (now + UZBEKISTAN_UTC_OFFSET).date()
    cases = read_cases_file(cases_path) if cases_path is not None else cases_from_lab(store)
    if not cases:
        raise NotFound(f"{store_path}: no confirmed cases (no positive lab result); pass --cases FILE.")
    identified = _identified(identified_path)
    target = out if out is not None else store.root / "outbreak" / now.strftime("%Y%m%dT%H%M%SZ")
    show_progress = (sys.stderr.isatty() if progress is None else progress) and not as_json
    tracer = Tracer(store, lang=lang, rules=load_rules(rules_path, disease))
    run = trace_all(tracer, cases, target, publication, identified, second_degree, show_progress, lang, workers)
    if as_json:
        click.echo(json.dumps(run.to_json(), indent=2))
    else:
        print_summary(run, Console())


def print_summary(run: OutbreakRun, console: Console) -> None:
    table = Table(title=f"Outbreak run ({run.out})", show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("cases traced", f"{run.traced:,} of {run.cases:,}")
    for klass, count in run.contacts.items():
        table.add_row(f"{klass} contacts", f"{count:,}")
    if run.second_degree is not None:
        table.add_row("second-degree contacts", f"{run.second_degree:,}")
    table.add_row("likely transmission links", f"{run.chain_links:,}")
    table.add_row("chains of 2+ cases (largest)", f"{run.chains:,} ({run.largest_chain})")
    table.add_row("clusters", f"{run.clusters:,}")
    for status, count in run.exposure_sites.items():
        table.add_row(f"exposure sites {status}", f"{count:,}")
    table.add_row("tracing speed", f"{run.cases_per_second:,.1f} cases/s")
    console.print(table)
    if run.not_found:
        console.print(f"{len(run.not_found)} case(s) have no data in the store: {', '.join(run.not_found[:5])}")
    console.print(f"public list: {run.out / 'exposure_sites.json'} (as of {run.as_of})")
