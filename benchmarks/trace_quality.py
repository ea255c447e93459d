"""Tracing quality on a simulated outbreak: simulate → ingest → trace every confirmed case → score vs truth.

    python benchmarks/trace_quality.py --people 20000 --days 14 [--seed 1] [--onset truth|lab|infected]
        [--workdir DIR] [--json]

Uses the simulator's defaults (never changed here) and every source. Prints the per-source table of
``izquvar evaluate`` and timings of each stage; with ``--json`` the last line is the evaluation document plus
``{"timings_s": {...}}``. The issue's targets (20,000 people × 14 days): close recall ≥ 0.90, precision ≥ 0.80.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from rich.console import Console

from izquvar.cli.evaluate import print_evaluation
from izquvar.evaluate import evaluate
from izquvar.simulate.config import SimConfig
from izquvar.simulate.run import simulate
from izquvar.store import open_store
from izquvar.trace.tracer import Tracer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--onset", choices=("truth", "lab", "infected"), default="truth")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the simulation and store here")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="izquvar-quality-") as scratch:
        work = args.workdir or Path(scratch)
        sim_dir, store_dir = work / "sim", work / "store"
        timings: dict[str, float] = {}
        began = time.perf_counter()
        simulate(SimConfig(people=args.people, days=args.days, seed=args.seed), sim_dir, progress=not args.json)
        timings["simulate"] = time.perf_counter() - began
        began = time.perf_counter()
        store = open_store(store_dir)
        store.ingest([sim_dir], progress=not args.json)
        timings["ingest"] = time.perf_counter() - began
        began = time.perf_counter()
        tracer = Tracer.from_store(store)
        timings["tracer_load"] = time.perf_counter() - began
        result = evaluate(sim_dir, store, tracer, onset=args.onset, progress=not args.json)
        timings["evaluate"] = result.seconds
        timings["trace"] = result.trace_seconds
        print_evaluation(result, Console(width=120))
        print("timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        if args.json:
            print(json.dumps({**result.to_json(), "timings_s": {k: round(v, 2) for k, v in timings.items()}}))


if __name__ == "__main__":
    main()
