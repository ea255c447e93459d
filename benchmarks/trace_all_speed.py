"""Bulk tracing speed: how long ``trace_all`` takes for an outbreak of many cases (issue target: 10,000 in < 60 s).

    python benchmarks/trace_all_speed.py --store STORE [--cases 1000] [--seed 1] [--json]
    python benchmarks/trace_all_speed.py --people 20000 --days 14 [--cases 1000]    # simulates a store first

Cases are drawn at random (seeded) among the store's registered people, each with an onset drawn uniformly
from the days with data (so windows fall inside the data), and run through ``trace_all`` exactly as the CLI
does (tracing, chains, clusters, exposure sites, Parquet output; no second-degree tracing). Reported:

* tracer load time (once per run), tracing time and cases/s, of which the tracer's own time (the sum of
  ``Tracer.trace`` alone on the first 200 cases, mean, median, p99) and izquvar.outbreak's flattening of those
  results into tables (per case);
* the population steps (chains, clusters, sites, writing) time;
* the extrapolation to 10,000 cases: 10,000 / (cases/s) + population steps × 10,000 / cases (linear, which is
  pessimistic for the joins). Run with ``--cases 10000`` to measure instead of extrapolating.

With ``--json`` the last line is a JSON object of these figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from izquvar.outbreak import Case, trace_all
from izquvar.outbreak.tables import TraceTables
from izquvar.simulate.config import SimConfig
from izquvar.simulate.run import simulate
from izquvar.store import EmbeddedStore, open_store
from izquvar.trace.tracer import Tracer

TARGET_CASES = 10_000


def _store(args: argparse.Namespace, scratch: Path) -> EmbeddedStore:
    if args.store is not None:
        return open_store(args.store, create=False)
    simulate(SimConfig(people=args.people, days=args.days, seed=args.seed), scratch / "sim")
    store = open_store(scratch / "store")
    store.ingest([scratch / "sim"])
    return store


def _random_cases(store: EmbeddedStore, n: int, seed: int) -> list[Case]:
    persons = np.asarray(store.table("people", ["person"]).column("person").to_pylist(), dtype=object)
    if n > len(persons):
        raise SystemExit(f"the store registers {len(persons):,} people; ask for at most that many cases")
    span = store.sql('SELECT min(start) AS lo, max("end") AS hi FROM stays').to_pylist()[0]
    first, last = ((span[k] + dt.timedelta(hours=5)).date() for k in ("lo", "hi"))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(persons, size=n, replace=False)
    days = rng.integers(2, max((last - first).days, 3), size=n)
    return [Case(onset=first + dt.timedelta(days=int(d)), person=str(p)) for p, d in zip(chosen, days, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="izquvar-bulk-") as scratch:
        store = _store(args, Path(scratch))
        cases = _random_cases(store, args.cases, args.seed)
        began = time.perf_counter()
        tracer = Tracer.from_store(store)
        load_s = time.perf_counter() - began
        tracer.trace(cases[0].person, cases[0].onset)  # compile the kernels outside the timing
        run = trace_all(tracer, cases, Path(scratch) / "run", as_of=dt.date.today())
        tracer_times, flatten_s = _tracer_seconds(tracer, cases[: min(200, len(cases))])
        per_case_tracer = float(np.mean(tracer_times))
        per_case_total = run.trace_seconds / run.traced  # tracer + flattening, as trace_all runs them
        population_s = run.seconds - run.trace_seconds
        extrapolated = TARGET_CASES * per_case_total + population_s * TARGET_CASES / run.traced
        figures = {
            "cases": run.traced,
            "people": int(store.table("people", ["person"]).num_rows),
            "tracer_load_s": round(load_s, 2),
            "trace_s": round(run.trace_seconds, 2),
            "cases_per_s": round(run.cases_per_second, 1),
            "tracer_ms_per_case": round(per_case_tracer * 1000, 2),
            "tracer_ms_median": round(float(np.median(tracer_times)) * 1000, 2),
            "tracer_ms_p99": round(float(np.percentile(tracer_times, 99)) * 1000, 2),
            "flatten_ms_per_case": round(flatten_s * 1000, 2),
            "population_steps_s": round(population_s, 2),
            "contacts": run.contacts,
            "extrapolated_10000_cases_s": round(extrapolated, 1),
            "target_s": 60,
        }
        print(
            f"{run.traced:,} cases traced in {run.trace_seconds:.1f} s ({run.cases_per_second:.1f} cases/s; tracer "
            f"mean {per_case_tracer * 1000:.1f} ms/case, median {figures['tracer_ms_median']} ms, "
            f"flattening {figures['flatten_ms_per_case']} ms/case); "
            f"chains, clusters, sites and output {population_s:.1f} s; tracer load {load_s:.1f} s"
        )
        print(f"10,000 cases: {extrapolated:.0f} s {'measured' if run.traced >= TARGET_CASES else 'extrapolated'}"
              " (target < 60 s)")  # fmt: skip
        if args.json:
            print(json.dumps(figures))


def _tracer_seconds(tracer: Tracer, cases: list[Case]) -> tuple[list[float], float]:
    """The tracer alone on the same cases, wall clock per case; then the flattening of those results alone."""
    times, results = [], []
    for case in cases:
        began = time.perf_counter()
        results.append(tracer.trace(case.person, case.onset, case.isolation))
        times.append(time.perf_counter() - began)
    began = time.perf_counter()
    tables = TraceTables()
    for result in results:
        tables.add(result)
    tables.tables()
    return times, (time.perf_counter() - began) / len(results)


if __name__ == "__main__":
    main()
