"""Tracing quality on a simulated outbreak: simulate → ingest → trace every confirmed case → score vs truth.

    python benchmarks/trace_quality.py --people 20000 --days 14 [--seed 1] [--onset truth|lab|infected]
        [--workdir DIR] [--ceiling] [--json]

Uses the simulator's defaults (never changed here) and every source. Prints the per-source table of
``izquvar evaluate`` and timings of each stage; with ``--json`` the last line is the evaluation document plus
``{"timings_s": {...}}``. The issue's targets (20,000 people × 14 days): close recall ≥ 0.90, precision ≥ 0.80.
``--ceiling`` adds what the feeds could tell any tracer at best (docs/evaluation.md, "What the data can tell");
its JSON is under ``"ceiling"``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console

from izquvar import open_store
from izquvar.cli.evaluate import print_ceiling, print_evaluation
from izquvar.evaluate import evaluate
from izquvar.simulate.config import SimConfig
from izquvar.simulate.simulation import simulate
from izquvar.trace.tracer import Tracer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--onset", choices=("truth", "lab", "infected"), default="truth")
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep the simulation and store here (reused when already there)")  # fmt: skip
    parser.add_argument("--ceiling", action="store_true", help="also measure the information ceiling")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="izquvar-quality-") as scratch:
        work = args.workdir or Path(scratch)
        sim_dir, store_dir = work / "sim", work / "store"
        timings: dict[str, float] = {}
        if (sim_dir / "simulation.json").is_file() and (store_dir / "store.json").is_file():
            store = open_store(store_dir, create=False)  # a kept --workdir: measure it again as it is
        else:
            began = time.perf_counter()
            config = SimConfig(people=args.people, days=args.days, seed=args.seed)
            simulate(config, sim_dir, progress=not args.json)
            timings["simulate"] = time.perf_counter() - began
            began = time.perf_counter()
            store = open_store(store_dir)
            store.ingest([sim_dir], progress=not args.json)
            timings["ingest"] = time.perf_counter() - began
        began = time.perf_counter()
        tracer = Tracer(store)
        timings["tracer_load"] = time.perf_counter() - began
        result = evaluate(sim_dir, store, tracer, onset=args.onset, progress=not args.json, ceiling=args.ceiling)
        timings["evaluate"] = result.seconds
        timings["trace"] = result.trace_seconds
        console = Console(width=120)
        print_evaluation(result, console)
        if result.ceiling is not None:
            print_ceiling(result.ceiling, console)
        print("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        if args.json:
            print(json.dumps({**result.to_json(), "timings_s": {k: round(v, 2) for k, v in timings.items()}}))


if __name__ == "__main__":
    main()
