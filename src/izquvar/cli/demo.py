"""``izquvar demo``: the whole pipeline on the embedded default (no servers), on a small simulated outbreak.

Simulate a Tashkent outbreak → ingest every feed into an embedded store → show what was stored → trace the
first confirmed case and write its HTML report.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from izquvar.cli.demo_service import DemoService, start_demo_service
from izquvar.errors import InvalidInput
from izquvar.i18n import LANGS, parse_lang

if TYPE_CHECKING:
    from izquvar.store.protocol import Store


@click.command("demo")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(path_type=Path),
    default=Path("izquvar-demo"),
    show_default=True,
    help="Directory for the simulated feeds (sim/), the store (store/) and the report.",
)
@click.option("--people", type=click.IntRange(min=200), default=3000, show_default=True)
@click.option("--days", type=click.IntRange(min=3, max=60), default=10, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--lang", default="en", show_default=True, help=f"Report language: {', '.join(LANGS)}.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port of the demo's service (a free one when taken; 0: any).")  # fmt: skip
@click.option("--serve/--no-serve", default=False, show_default=True,
              help="Keep the service running afterwards (until Ctrl-C), to sign in and look around.")  # fmt: skip
def demo_command(out_dir: Path, people: int, days: int, seed: int, lang: str, port: int, serve: bool) -> None:
    """Simulate a small Tashkent outbreak, ingest it, show what was stored, trace its first case, and start the
    investigation service with that case traced through its API."""
    from izquvar import open_store
    from izquvar.cli.ingest import print_report
    from izquvar.outbreak.cases import cases_from_lab
    from izquvar.report.html import render_html
    from izquvar.report.table import trace_brief
    from izquvar.simulate import SimConfig, simulate

    language = parse_lang(lang)
    console = Console()
    _clear(out_dir)
    sim_dir, store_dir = out_dir / "sim", out_dir / "store"

    console.rule(f"1. Simulating {people:,} people in Tashkent for {days} days (seed {seed})")
    summary = simulate(SimConfig(people=people, days=days, seed=seed), sim_dir, progress=console.is_terminal)
    console.print(
        f"{summary.people:,} people in {summary.households:,} households, {summary.venues:,} venues; "
        f"{summary.infections:,} infections; {sum(summary.rows.values()):,} rows in {summary.seconds:.1f} s"
    )

    console.rule("2. Ingesting every feed (validated, pseudonymised, one atomic batch)")
    store = open_store(store_dir)
    report = store.ingest([sim_dir], progress=console.is_terminal)
    console.print(report.describe())
    if report.reject_count:
        print_report(report, console)

    console.rule("3. What the store holds")
    info = store.info()
    counts = Table("table", "rows", title=f"store {store_dir}")
    for kind, n in info["counts"].items():
        counts.add_row(kind, f"{n:,}")
    console.print(counts)
    span = info["time_range"]
    console.print(f"people: {info['people']:,}   from {span['start']} to {span['end']}   rejects: {info['rejects']:,}")
    _print_stays_by_district(store, console)

    console.rule("4. Tracing the first confirmed case")
    cases = cases_from_lab(store)
    if not cases:
        console.print("No positive lab result in this simulation: try more --people or --days.")
        return
    case = cases[0]
    result = store.trace(case.person, onset=case.onset, isolation=case.isolation, lang=language)
    console.print(trace_brief(result, language, contacts=10))
    report_path = out_dir / f"trace-{case.person[:12]}.html"
    report_path.write_text(render_html(result, language), encoding="utf-8")
    console.print(f"\n{len(cases):,} confirmed case(s). HTML report of the first: [bold]{report_path}[/bold]")

    console.rule("5. The investigation service: the first case's positive result posted, traced by the service")
    service = start_demo_service(out_dir, sim_dir, store_dir, case, port=port, console=console)
    console.print(
        f"Next: izquvar trace-all --store {store_dir}   ·   izquvar evaluate --sim {sim_dir} --store {store_dir}"
    )
    if not serve:
        service.stop()
        return
    _serve_until_interrupted(service, console)


def _serve_until_interrupted(service: DemoService, console: Console) -> None:
    console.rule("The service is running")
    console.print(
        f"API: [bold]{service.url}[/bold] (interactive: {service.url}/docs)\n"
        f"Sign in as [bold]{service.username}[/bold] with the password [bold]{service.password}[/bold]"
        f"   ·   the case: GET {service.url}/cases/{service.case_id}/proposed-contacts"
    )
    if service.administrator is not None:
        console.print(f"Administrator: {service.administrator[0]}, one-time password {service.administrator[1]}")
    console.print("Ctrl-C stops it.")
    try:
        while service.thread.is_alive():
            service.thread.join(timeout=0.5)
    except KeyboardInterrupt:
        console.print("Stopping the service.")
    finally:
        service.stop()


def _clear(out_dir: Path) -> None:
    """Start from an empty directory, refusing to delete one that an earlier demo did not write."""
    if not out_dir.exists():
        return
    if any(out_dir.iterdir()) and not (out_dir / "sim" / "simulation.json").exists():
        raise InvalidInput(f"{out_dir} exists and is not an earlier demo's directory; choose another --out.")
    shutil.rmtree(out_dir)


def _print_stays_by_district(store: Store, console: Console) -> None:
    from izquvar.geo.areas import AreaIndex

    rows = store.sql(
        "SELECT district_id, count(*) AS stays, count(DISTINCT person) AS people, "
        'round(avg(epoch("end") - epoch(start)) / 60) AS avg_minutes '
        "FROM stays GROUP BY district_id ORDER BY stays DESC LIMIT 8"
    ).to_pylist()
    areas = AreaIndex.default()
    table = Table("district", "stays", "people", "average minutes", title="Stays derived from GPS pings")
    for row in rows:
        name = areas.name(row["district_id"]) if row["district_id"] else "(outside Uzbekistan)"
        table.add_row(name, f"{row['stays']:,}", f"{row['people']:,}", f"{row['avg_minutes']:.0f}")
    console.print(table)


def register(group: click.Group) -> None:
    group.add_command(demo_command)
