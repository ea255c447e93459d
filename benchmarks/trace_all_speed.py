"""Bulk tracing speed: how long ``trace_all`` takes for an outbreak of many cases (issue target: 10,000 in < 60 s).

    python benchmarks/trace_all_speed.py --store STORE [--cases 1000] [--workers N] [--seed 1] [--json]
    python benchmarks/trace_all_speed.py --people 20000 --days 14 [--cases 1000]    # simulates a store first

Cases are drawn at random (seeded) among the store's registered people, each with an onset drawn uniformly
from the days with data (so windows fall inside the data), and run through ``trace_all`` exactly as the CLI
does (tracing in ``--workers`` processes, default every core; chains, clusters, exposure sites, Parquet
output; no second-degree tracing). Reported:

* tracer load time (once per run), tracing time and cases/s; then, in this process on the first 200 cases,
  the stages of one case: ``Tracer.trace`` (the pydantic result; mean, median, p99), ``Tracer.trace_columns``
  (what bulk runs call), of which fusion, the building of the pydantic contacts from the columns, and
  izquvar.outbreak's flattening of the columns into tables (per case);
* the population steps (chains, clusters, sites, writing) time;
* the extrapolation to 10,000 cases: 10,000 / (cases/s) + population steps × 10,000 / cases (linear, which is
  pessimistic for the joins). Run with ``--cases 10000`` to measure instead of extrapolating.

With ``--json`` the last line is a JSON object of these figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from izquvar import open_store
from izquvar.outbreak import ConfirmedCase, trace_all
from izquvar.outbreak.trace_tables import TraceTables
from izquvar.simulate.config import SimConfig
from izquvar.simulate.simulation import simulate
from izquvar.store import EmbeddedStore
from izquvar.trace import tracer as tracer_module
from izquvar.trace.tracer import Tracer

TARGET_CASES = 10_000


def _store(args: argparse.Namespace, scratch: Path) -> EmbeddedStore:
    if args.store is not None:
        return open_store(args.store, create=False)
    simulate(SimConfig(people=args.people, days=args.days, seed=args.seed), scratch / "sim")
    store = open_store(scratch / "store")
    store.ingest([scratch / "sim"])
    return store


def _random_cases(store: EmbeddedStore, n: int, seed: int) -> list[ConfirmedCase]:
    persons = np.asarray(store.table("people", ["person"]).column("person").to_pylist(), dtype=object)
    if n > len(persons):
        raise SystemExit(f"the store registers {len(persons):,} people; ask for at most that many cases")
    span = store.sql('SELECT min(start) AS lo, max("end") AS hi FROM stays').to_pylist()[0]
    first, last = ((span[k] + dt.timedelta(hours=5)).date() for k in ("lo", "hi"))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(persons, size=n, replace=False)
    days = rng.integers(2, max((last - first).days, 3), size=n)
    return [
        ConfirmedCase(onset=first + dt.timedelta(days=int(d)), person=str(p)) for p, d in zip(chosen, days, strict=True)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="tracing processes (default: every core)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="izquvar-bulk-") as scratch:
        store = _store(args, Path(scratch))
        cases = _random_cases(store, args.cases, args.seed)
        began = time.perf_counter()
        tracer = Tracer(store)
        load_s = time.perf_counter() - began
        tracer.trace(cases[0].person, cases[0].onset)  # compile the kernels outside the timing
        cpu_before = _cpu_seconds()
        run = trace_all(tracer, cases, Path(scratch) / "run", as_of=dt.date.today(), workers=args.workers)
        cpu_s = _cpu_seconds() - cpu_before
        stages = _stage_seconds(tracer, cases[: min(200, len(cases))])
        tracer_times, flatten_s = stages["trace"], float(np.mean(stages["flatten"]))
        per_case_tracer = float(np.mean(tracer_times))
        per_case_total = run.trace_seconds / run.traced  # tracer + flattening, as trace_all runs them
        population_s = run.seconds - run.trace_seconds
        extrapolated = TARGET_CASES * per_case_total + population_s * TARGET_CASES / run.traced
        figures = {
            "cases": run.traced,
            "workers": run.parameters["workers"],
            "people": int(store.table("people", ["person"]).num_rows),
            "tracer_load_s": round(load_s, 2),
            "trace_s": round(run.trace_seconds, 2),
            "cases_per_s": round(run.cases_per_second, 1),
            "run_s": round(run.seconds, 2),
            # processor time of the whole run, this process and its workers: wall clock on a busy machine
            # understates what free cores would do, this does not
            "cpu_s": round(cpu_s, 2),
            "cpu_ms_per_case": round(cpu_s / run.traced * 1000, 2),
            "tracer_ms_per_case": round(per_case_tracer * 1000, 2),
            "tracer_ms_median": round(float(np.median(tracer_times)) * 1000, 2),
            "tracer_ms_p99": round(float(np.percentile(tracer_times, 99)) * 1000, 2),
            "flatten_ms_per_case": round(flatten_s * 1000, 2),
            "trace_columns_ms_per_case": round(float(np.mean(stages["trace_columns"])) * 1000, 2),
            "fuse_ms_per_case": round(float(np.mean(stages["fuse"])) * 1000, 2),
            "models_ms_per_case": round(float(np.mean(stages["models"])) * 1000, 2),
            "population_steps_s": round(population_s, 2),
            "contacts": run.contacts,
            "extrapolated_10000_cases_s": round(extrapolated, 1),
            "target_s": 60,
        }
        print(
            f"{run.traced:,} cases traced in {run.trace_seconds:.1f} s by {figures['workers']} worker(s) "
            f"({run.cases_per_second:.1f} cases/s); chains, clusters, sites and output {population_s:.1f} s; "
            f"tracer load {load_s:.1f} s"
        )
        print(f"processor time of the run (all processes): {cpu_s:.1f} s, {cpu_s / run.traced * 1000:.1f} ms/case")
        print(
            f"one case, one process: Tracer.trace mean {per_case_tracer * 1000:.1f} ms (median "
            f"{figures['tracer_ms_median']} ms); trace_columns {figures['trace_columns_ms_per_case']} ms, of which "
            f"fusion {figures['fuse_ms_per_case']} ms; pydantic contacts {figures['models_ms_per_case']} ms; "
            f"flattening {figures['flatten_ms_per_case']} ms"
        )
        print(f"10,000 cases: {extrapolated:.0f} s {'measured' if run.traced >= TARGET_CASES else 'extrapolated'}"
              " (target < 60 s)")  # fmt: skip
        if args.json:
            print(json.dumps(figures))


def _cpu_seconds() -> float:
    """User + system time of this process and of its finished children (the tracing workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _stage_seconds(tracer: Tracer, cases: list[ConfirmedCase]) -> dict[str, list[float]]:
    """Wall clock per case of each stage, on the same cases: ``trace`` (the pydantic result, as one case is
    answered), ``trace_columns`` (as bulk runs trace) and within it ``fuse``, then ``models`` (the pydantic
    contacts built from those columns) and ``flatten`` (the columns into tables, as ``trace_all`` does)."""
    stages: dict[str, list[float]] = {k: [] for k in ("trace", "trace_columns", "fuse", "models", "flatten")}
    fuse_contacts = tracer_module.fuse_contacts

    def timed_fuse(*args: Any) -> Any:
        began = time.perf_counter()
        fused = fuse_contacts(*args)
        stages["fuse"].append(time.perf_counter() - began)
        return fused

    tables = TraceTables()
    for case in cases:
        began = time.perf_counter()
        tracer.trace(case.person, case.onset, case.isolation)
        stages["trace"].append(time.perf_counter() - began)
        tracer_module.fuse_contacts = timed_fuse
        try:
            began = time.perf_counter()
            trace = tracer.trace_columns(case.person, case.onset, case.isolation)
            stages["trace_columns"].append(time.perf_counter() - began)
        finally:
            tracer_module.fuse_contacts = fuse_contacts
        began = time.perf_counter()
        trace.contacts.models()
        stages["models"].append(time.perf_counter() - began)
        began = time.perf_counter()
        tables.add_trace(trace)
        stages["flatten"].append(time.perf_counter() - began)
    began = time.perf_counter()
    tables.tables()  # the conversion of the last rows, spread over the cases
    spent = time.perf_counter() - began
    stages["flatten"] = [s + spent / len(cases) for s in stages["flatten"]]
    return stages


if __name__ == "__main__":
    main()
