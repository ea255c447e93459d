"""``izquvar demo``: simulate a small Tashkent outbreak, ingest it into an embedded store, show what was stored."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from izquvar.errors import InvalidInput


@click.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("izquvar-demo"), show_default=True,
              help="Directory for the simulated feeds (sim/) and the store (store/).")
@click.option("--people", type=click.IntRange(min=50), default=3000, show_default=True)
@click.option("--days", type=click.IntRange(min=1, max=60), default=7, show_default=True)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--fresh/--keep", default=True, show_default=True,
              help="Start from an empty directory (the default) or keep what an earlier demo wrote.")
def demo_command(out_dir: Path, people: int, days: int, seed: int, fresh: bool) -> None:
    """Run the whole pipeline on the embedded default: no servers needed."""
    from izquvar.simulate import SimConfig, simulate
    from izquvar.store import open_store

    console = Console()
    if fresh and out_dir.exists():
        if not (out_dir / "sim").exists() and any(out_dir.iterdir()):
            raise InvalidInput(f"{out_dir} exists and is not an earlier demo's directory; choose another --out.")
        shutil.rmtree(out_dir)
    sim_dir, store_dir = out_dir / "sim", out_dir / "store"

    console.rule(f"1. Simulating {people:,} people in Tashkent for {days} days (seed {seed})")
    summary = simulate(SimConfig(people=people, days=days, seed=seed), sim_dir, progress=True)
    console.print(summary.describe())

    console.rule("2. Ingesting every feed into an embedded store (validated, pseudonymised, atomic)")
    store = open_store(store_dir)
    report = store.ingest([sim_dir], progress=True)
    console.print(report.describe())

    console.rule("3. What the store holds")
    info = store.info()
    counts = Table("kind", "rows", title=f"store: {store_dir}")
    for kind, n in info["counts"].items():
        counts.add_row(kind, f"{n:,}")
    console.print(counts)
    console.print(f"people: {info['people']:,}   time range: {info['time_range']}   rejects: {info['rejects']:,}")

    console.rule("4. Where people stayed, by district (stays derived from GPS pings)")
    by_district = store.sql(
        "SELECT district_id, count(*) AS stays, count(DISTINCT person) AS people, "
        "round(avg(epoch(\"end\") - epoch(start)) / 60) AS avg_minutes "
        "FROM stays GROUP BY district_id ORDER BY stays DESC LIMIT 12"
    )
    from izquvar.geo.areas import AreaIndex

    areas = AreaIndex.default()
    table = Table("district", "stays", "people", "average minutes")
    for row in by_district.to_pylist():
        name = areas.name(row["district_id"], "uz-Latn") if row["district_id"] else "(outside Uzbekistan)"
        table.add_row(name, f"{row['stays']:,}", f"{row['people']:,}", f"{row['avg_minutes']:.0f}")
    console.print(table)
    console.print(
        f"\nNext: [bold]izquvar sql --store {store_dir} \"SELECT * FROM stays LIMIT 5\"[/bold]; "
        f"ground truth is in {sim_dir / 'truth'}."
    )


def register(group: click.Group) -> None:
    group.add_command(demo_command)
