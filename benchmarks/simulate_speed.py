"""How fast the simulator runs: people-days per second and peak memory.

    python benchmarks/simulate_speed.py                       # 10,000 people × 14 days, all feeds
    python benchmarks/simulate_speed.py --people 100000 --days 3
    python benchmarks/simulate_speed.py --people 1000000 --days 1 --sources people --no-close-contacts

    python benchmarks/simulate_speed.py --people 20000 --days 21 --sources people --epidemiology

Peak memory is the process's maximum resident set size (``ru_maxrss``). ``--epidemiology`` also reports the
reproduction number of early infections and the household secondary attack rate measured from the ground
truth: the figures the transmission parameters were calibrated against (docs/simulator.md).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from izquvar.simulate import ALL_SOURCES, SimConfig, simulate


def _peak_rss_gib() -> float:
    kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib / 1024 / 1024 if sys.platform != "darwin" else kib / 1024**3


def epidemiology(out: Path, config: SimConfig) -> dict[str, float]:
    """R of people infected in the first five days, and the household secondary attack rate of their homes."""
    infections = pd.read_parquet(out / "truth" / "infections.parquet")
    people = pd.read_parquet(out / "people.parquet", columns=["person", "household"])
    household = people.set_index("person").household
    sizes = people.groupby("household").size()
    t0 = pd.Timestamp(config.start.isoformat(), tz="UTC") - pd.Timedelta(hours=config.utc_offset_hours)
    early = infections[(infections.time >= t0) & (infections.time < t0 + pd.Timedelta(days=5))].infectee
    secondary = infections.dropna(subset=["infector"])
    offspring = secondary.groupby("infector").size().reindex(early).fillna(0)
    at_home = secondary[household[secondary.infector].to_numpy() == household[secondary.infectee].to_numpy()]
    home_offspring = at_home.groupby("infector").size().reindex(early).fillna(0)
    exposed = (sizes[household[early]].to_numpy() - 1).sum()
    return {
        "early_infections": float(len(early)),
        "R_early": float(offspring.mean()),
        "household_SAR": float(home_offspring.sum() / max(exposed, 1)),
        "share_at_home": float(len(at_home) / max(len(secondary), 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sources", default=",".join(ALL_SOURCES))
    parser.add_argument("--no-close-contacts", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="keep the output here (default: a temporary dir)")
    parser.add_argument("--index-cases", type=int, default=SimConfig().index_cases)
    parser.add_argument("--epidemiology", action="store_true", help="also report R and household attack rate")
    args = parser.parse_args()
    config = SimConfig(
        people=args.people,
        days=args.days,
        seed=args.seed,
        sources=tuple(s for s in args.sources.split(",") if s),
        close_contacts=not args.no_close_contacts,
        index_cases=args.index_cases,
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = args.out or Path(tmp) / "sim"
        began = time.perf_counter()
        summary = simulate(config, out, progress=sys.stderr.isatty())
        seconds = time.perf_counter() - began
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        epi = epidemiology(out, config) if args.epidemiology else {}
    person_days = config.people * config.days
    print(f"people={config.people:,} days={config.days} sources={','.join(config.sources)}")
    print(f"wall time      {seconds:8.1f} s")
    print(f"people-days/s  {person_days / seconds:8,.0f}")
    print(f"peak RSS       {_peak_rss_gib():8.2f} GiB")
    print(f"output         {size / 1024**2:8.1f} MiB")
    print(f"truth stays    {summary.rows.get('truth/stays', 0):>12,}")
    print(f"infections     {summary.infections:>12,}")
    for name, value in epi.items():
        print(f"{name:<14} {value:12.3f}")
    for name, rows in summary.rows.items():
        print(f"  {name:<22} {rows:>14,}")


if __name__ == "__main__":
    main()
