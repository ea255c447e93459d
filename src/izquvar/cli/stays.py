"""``izquvar stays``: stay points from a GPS file, a directory of them, or GeoLife trajectories.

The command an investigator runs on a case's phone pings to see where they lingered; ``--json`` gives the
same stays to other tools.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc
from rich.console import Console
from rich.table import Table

from izquvar.mobility.stays import STAY_DIST_M, STAY_GAP_MIN, STAY_TIME_MIN, detect_stays


def _iso_utc(moment: datetime) -> str:
    """ISO 8601 with ``Z``; fractions of a second only when there are any."""
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.removesuffix("+00:00") + "Z"


def stays_as_records(stays: pa.Table) -> list[dict[str, object]]:
    """Stays as JSON-ready objects: person, start, end (ISO 8601 UTC with Z), lat, lon, n_pings."""
    columns = stays.to_pydict()
    return [
        {
            "person": person,
            "start": _iso_utc(start),
            "end": _iso_utc(end),
            "lat": lat,
            "lon": lon,
            "n_pings": n_pings,
        }
        for person, start, end, lat, lon, n_pings in zip(
            columns["person"],
            columns["start"],
            columns["end"],
            columns["lat"],
            columns["lon"],
            columns["n_pings"],
            strict=True,
        )
    ]


def _print_table(stays: pa.Table, limit: int) -> None:
    shown = stays.slice(0, limit).to_pydict()
    table = Table(title="Stays")
    for header in ("person", "start (UTC)", "end (UTC)", "minutes", "lat", "lon", "pings"):
        table.add_column(header, no_wrap=True, justify="left" if header in ("person",) else "right")
    for person, start, end, lat, lon, n_pings in zip(
        shown["person"],
        shown["start"],
        shown["end"],
        shown["lat"],
        shown["lon"],
        shown["n_pings"],
        strict=True,
    ):
        minutes = (end - start).total_seconds() / 60
        table.add_row(
            person,
            f"{start:%Y-%m-%d %H:%M:%S}",
            f"{end:%Y-%m-%d %H:%M:%S}",
            f"{minutes:.1f}",
            f"{lat:.6f}",
            f"{lon:.6f}",
            str(n_pings),
        )
    console = Console()
    console.print(table)
    people = len(pc.unique(stays.column("person")))
    cut = f" (showing the first {limit:,})" if stays.num_rows > limit else ""
    console.print(f"{stays.num_rows:,} stays of {people:,} people{cut}")


@click.command("stays", short_help="Detect stays in GPS pings (Li et al. 2008, as trackintel).")
@click.option(
    "--input",
    "input_path",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="GPS pings: a CSV/Parquet file or directory in the gps format, a GeoLife directory or .plt file.",
)
@click.option("--dist-m", type=float, default=STAY_DIST_M, show_default=True, help="Radius of a stay, metres.")
@click.option("--time-min", type=float, default=STAY_TIME_MIN, show_default=True, help="Shortest stay, minutes.")
@click.option(
    "--gap-min",
    type=float,
    default=STAY_GAP_MIN,
    show_default=True,
    help="A silence longer than this many minutes breaks a stay.",
)
@click.option(
    "--include-last/--no-include-last",
    default=False,
    show_default=True,
    help="Keep a stay still open at a person's last ping.",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of stays instead of a table.")
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=50,
    show_default=True,
    help="Rows shown in the table (JSON output is never cut).",
)
def stays_command(
    input_path: Path,
    dist_m: float,
    time_min: float,
    gap_min: float,
    include_last: bool,
    as_json: bool,
    limit: int,
) -> None:
    """Detect stays (Li et al. 2008 sliding window, as trackintel) in GPS pings."""
    stays = detect_stays(input_path, dist_m=dist_m, time_min=time_min, gap_min=gap_min, include_last=include_last)
    if as_json:
        click.echo(json.dumps(stays_as_records(stays), ensure_ascii=False))
    else:
        _print_table(stays, limit)


def register(group: click.Group) -> None:
    """Add ``izquvar stays`` to the command group."""
    group.add_command(stays_command)
