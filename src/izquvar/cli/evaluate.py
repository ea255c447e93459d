"""``izquvar evaluate --sim DIR --store STORE [--ceiling] [--json]``: how well tracing finds the simulator's true
contacts.

Traces every confirmed case in STORE (the simulator's feeds ingested) and prints recall and precision of the
close class overall and per source, and the share of true infectors found. ``--ceiling`` adds what the feeds
could tell any tracer at best (izquvar.evaluate.ceiling). Definitions: docs/evaluation.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from izquvar import open_store
from izquvar.cli.options import rules_options, store_option
from izquvar.evaluate.ceiling import TARGET_PRECISION, Ceiling
from izquvar.evaluate.evaluation import Evaluation, OnsetMode, evaluate
from izquvar.evaluate.links import LINKS


def register(group: click.Group) -> None:
    group.add_command(evaluate_command)


@click.command("evaluate")
@click.option("--sim", "sim_dir", required=True, type=click.Path(path_type=Path),
              help="Simulator output directory (with truth/).")  # fmt: skip
@store_option("Store holding the simulation's ingested feeds.")
@click.option("--onset", type=click.Choice(["truth", "lab", "infected"]), default="truth", show_default=True,
              help="truth: confirmed cases dated as an interview would; lab: by specimen date; infected: every "
              "infected person with an onset or positive specimen (bigger sample).")  # fmt: skip
@click.option("--ceiling", "with_ceiling", is_flag=True,
              help="Also measure what the feeds could tell any tracer: links of the true close contacts, the "
              "best recall reachable at precision 0.80, and the true contacts the rules miss.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
@rules_options
def evaluate_command(
    sim_dir: Path,
    store_path: Path,
    onset: OnsetMode,
    with_ceiling: bool,
    as_json: bool,
    progress: bool | None,
    rules_path: Path | None,
    disease: str | None,
) -> None:
    """Score traced close contacts against the simulator's ground truth."""
    from izquvar.trace.rules import load_rules
    from izquvar.trace.tracer import Tracer

    store = open_store(store_path, create=False)
    show_progress = (sys.stderr.isatty() if progress is None else progress) and not as_json
    result = evaluate(
        sim_dir, store, Tracer(store, rules=load_rules(rules_path, disease)), onset, show_progress, ceiling=with_ceiling
    )
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2))
    else:
        console = Console()
        print_evaluation(result, console)
        if result.ceiling is not None:
            print_ceiling(result.ceiling, console)


def _rate(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def print_evaluation(result: Evaluation, console: Console) -> None:
    table = Table(title=f"Close contacts vs truth: {result.traced:,} cases, {result.people:,} people × {result.days} d")
    for header in ("source", "close contacts", "true", "recall", "precision"):
        table.add_column(header, justify="left" if header == "source" else "right")
    rows = [("all sources", result.close), *result.per_source.items()]
    if result.interview_only is not None:
        rows.append(("interview alone (Go.Data/SORMAS)", result.interview_only))
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


def _share(count: int, total: int) -> str:
    return "–" if not total else f"{count:,} ({count / total:.0%})"


def print_ceiling(bound: Ceiling, console: Console) -> None:
    """The ceiling as three tables: links of the true close contacts, the oracle's curve, the rule gaps."""
    links = Table(title=f"What links the {bound.true_pairs:,} true close contacts (strongest link on a close day)")
    for header in ("link", "pairs", "pair-days", "pairs with this link"):
        links.add_column(header, justify="left" if header == "link" else "right")
    for link in (*LINKS, "none"):
        links.add_row(
            link,
            _share(bound.strongest_by_pair.get(link, 0), bound.true_pairs),
            _share(bound.strongest_by_day.get(link, 0), bound.true_pair_days),
            "" if link == "none" else f"{bound.with_link.get(link, 0):,}",
        )
    console.print(links)
    settings = Table(title="Where they met (truth stays) → strongest link")
    settings.add_column("setting")
    settings.add_column("pairs", justify="right")
    settings.add_column("links")
    for setting, by_link in bound.settings.items():
        detail = ", ".join(f"{k} {v}" for k, v in sorted(by_link.items(), key=lambda kv: -kv[1]))
        settings.add_row(setting, f"{sum(by_link.values()):,}", detail)
    console.print(settings)
    curve = Table(title="Most recall any tracer could reach at precision P (oracle over feature signatures)")
    curve.add_column("features")
    curve.add_column("signatures", justify="right")
    for p in next(iter(bound.oracles.values())).recall_at:
        curve.add_column(f"P {p:.2f}", justify="right")
    curve.add_column("small sig.", justify="right")
    for oracle in bound.oracles.values():
        curve.add_row(oracle.features, f"{oracle.signatures:,}", *(f"{r:.3f}" for r in oracle.recall_at.values()),
                      f"{oracle.from_small_signatures:.0%}")  # fmt: skip
    console.print(curve)
    console.print(
        f"ceiling at precision {TARGET_PRECISION:.2f}: recall {bound.recall_ceiling:.3f}; any link (precision "
        f"ignored): {_rate(bound.any_link_recall)}, without operator cells {_rate(bound.non_cell_link_recall)}"
    )
    if bound.tracer_recall is not None:
        console.print(
            f"tracer: recall {_rate(bound.tracer_recall)} at precision {_rate(bound.tracer_precision)}; oracle at "
            f"that precision {_rate(bound.oracle_at_tracer_precision)}; tracer close contacts no feed links: "
            f"{bound.tracer_close_unlinked}"
        )
    if bound.gaps is not None:
        gaps = bound.gaps
        console.print(
            f"rule gaps: {gaps.pairs:,} true close contacts linked clearly but not classed close; by link "
            + ", ".join(f"{k} {v}" for k, v in gaps.by_link.items())
            + "; tracer class "
            + ", ".join(f"{k} {v}" for k, v in gaps.by_tracer_class.items())
        )
        console.print(
            "precision of 'this clear link alone makes a contact close': "
            + ", ".join(f"{k} {_rate(v)}" for k, v in gaps.clear_precision.items())
        )
    if bound.unlisted_by_tracer is not None:
        console.print(
            "true close contacts the tracer lists in no class, by strongest link in the window: "
            + ", ".join(f"{k} {v}" for k, v in bound.unlisted_by_tracer.items())
        )
