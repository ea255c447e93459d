"""``izquvar evaluate --sim DIR --store STORE [--json]``: how well tracing finds the simulator's true contacts.

Traces every confirmed case in STORE (the simulator's feeds ingested) and prints recall and precision of the
close class overall and per source, and the share of true infectors found. Definitions: docs/evaluation.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from izquvar.cli.options import store_option
from izquvar.evaluate.run import Evaluation, OnsetMode, evaluate
from izquvar.store import open_store


def register(group: click.Group) -> None:
    group.add_command(evaluate_command)


@click.command("evaluate")
@click.option("--sim", "sim_dir", required=True, type=click.Path(path_type=Path),
              help="Simulator output directory (with truth/).")  # fmt: skip
@store_option("Store holding the simulation's ingested feeds. Env: IZQUVAR_STORE.")
@click.option("--onset", type=click.Choice(["truth", "lab", "infected"]), default="truth", show_default=True,
              help="truth: confirmed cases dated as an interview would; lab: by specimen date; infected: every "
              "infected person with an onset or positive specimen (bigger sample).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def evaluate_command(sim_dir: Path, store_path: Path, onset: OnsetMode, as_json: bool, progress: bool | None) -> None:
    """Score traced close contacts against the simulator's ground truth."""
    from izquvar.trace.tracer import Tracer

    store = open_store(store_path, create=False)
    show_progress = (sys.stderr.isatty() if progress is None else progress) and not as_json
    result = evaluate(sim_dir, store, Tracer.from_store(store), onset, show_progress)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        print_evaluation(result, Console())


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def print_evaluation(result: Evaluation, console: Console) -> None:
    table = Table(title=f"Close contacts vs truth: {result.traced:,} cases, {result.people:,} people × {result.days} d")
    for header in ("source", "close contacts", "true", "recall", "precision"):
        table.add_column(header, justify="left" if header == "source" else "right")
    rows = [("all sources", result.close), *result.per_source.items()]
    for name, score in rows:
        table.add_row(name, f"{score.predicted:,}", f"{score.true_positive:,}", _rate(score.recall),
                      _rate(score.precision))  # fmt: skip
    console.print(table)
    console.print(f"true close contacts: {result.close.truth:,}; found in any class: {_rate(result.any_class.recall)}")
    inf = result.infectors.to_json()
    console.print(
        f"true infectors: {inf['cases_with_known_infector']:,} cases with a known infector; linked by tracing "
        f"{_rate(inf['share_linked_by_tracing'])}; infector also a confirmed case: "
        f"{inf['infector_is_traced_case']:,}, of which chosen as likely infector {_rate(inf['share_likely_in_chains'])}"
    )
    console.print(f"onsets from: {result.onset}; tracing {result.trace_seconds:.1f} s")
