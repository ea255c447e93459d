"""Tracer load: a fresh build of the per-case tables against a load of the persisted, memory-mapped ones.

    python benchmarks/trace_load.py --store STORE [--cases 50] [--rounds 2] [--with-stays] [--json]

The store's derived directory ``STORE/index`` is written (the persisted tables are made there): point it at a
copy of a store you do not want touched. Each measurement runs in a fresh Python process, one after the
other, so that resident memory is the load's own and the two figures share the machine's state of the minute:

* fresh build: the persisted tables ``STORE/index/trace`` removed (with ``--with-stays`` the stay index
  ``STORE/index/stays`` too), then ``Tracer(store)`` times the reading of the store and the arranging of every
  table, and writes the files;
* persisted load: ``Tracer(store)`` again, which now memory-maps the files.

For each: load seconds; resident memory after the load and after tracing ``--cases`` cases (what a query
process holds once the pages a trace touches are in), as anonymous memory (private: what the machine must
provide) and file pages (the mapped files' pages read so far: page cache, dropped under memory pressure and
shared between processes); the peak (ru_maxrss); the first trace's milliseconds (it also builds the area
grid, lazily) and the median per-case trace milliseconds (registered people with onsets drawn over the days
with data, any feed). Then the bytes on disk of the persisted tables and of the stay index, in total and per registered
person, and the ratios of the two loads.
``--rounds`` repeats both (fresh, persisted, fresh, ...) and reports each round's figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _rss_mib() -> dict[str, float]:
    """Resident memory of this process now, MiB: ``anon`` (private) and ``file`` (mapped file pages), from
    Linux ``/proc``; both the peak where that is unavailable."""
    found: dict[str, float] = {}
    try:
        for line in Path("/proc/self/status").read_text(encoding="utf-8").splitlines():
            for key, name in (("RssAnon:", "anon"), ("RssFile:", "file")):
                if line.startswith(key):
                    found[name] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return found if len(found) == 2 else {"anon": _peak_mib(), "file": _peak_mib()}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _random_cases(persons: list[str], data: Any, n: int, seed: int = 1) -> list[Any]:
    """``n`` registered people, each with an onset drawn uniformly from the days with data (any feed), as
    benchmarks/trace_all_speed.py draws them from the days with stays."""
    from izquvar.outbreak import ConfirmedCase

    rng = np.random.default_rng(seed)
    chosen = rng.choice(np.asarray(persons, dtype=object), size=min(n, len(persons)), replace=False)
    first = (dt.datetime.fromtimestamp(data.data_start_s, dt.UTC) + dt.timedelta(hours=5)).date()
    last = (dt.datetime.fromtimestamp(data.data_end_s, dt.UTC) + dt.timedelta(hours=5)).date()
    days = rng.integers(2, max((last - first).days, 3), size=len(chosen))
    return [
        ConfirmedCase(onset=first + dt.timedelta(days=int(d)), person=str(p)) for p, d in zip(chosen, days, strict=True)
    ]


def _child(store_path: Path, n_cases: int) -> dict[str, Any]:
    """One load and a few traces, measured in this (fresh) process."""
    from izquvar import open_store
    from izquvar.trace.tracer import Tracer

    store = open_store(store_path, create=False)
    baseline = _rss_mib()
    began = time.perf_counter()
    tracer = Tracer(store)
    load_s = time.perf_counter() - began
    after_load = _rss_mib()
    data = tracer.data
    cases = _random_cases(store.table("people", ["person"]).column("person").to_pylist(), data, n_cases)
    first_ms = None
    if cases:  # the first trace also builds what is made lazily (the area polygons' grid)
        start = time.perf_counter()
        tracer.trace(cases[0].person, cases[0].onset, cases[0].isolation)
        first_ms = (time.perf_counter() - start) * 1000
    times = []
    for case in cases:
        start = time.perf_counter()
        tracer.trace(case.person, case.onset, case.isolation)
        times.append(time.perf_counter() - start)
    return {
        "load_s": load_s,
        "rss_before_mib": baseline,
        "rss_after_load_mib": after_load,
        "rss_after_traces_mib": _rss_mib(),
        "peak_mib": _peak_mib(),
        "first_trace_ms": first_ms,
        "trace_median_ms": float(np.median(times) * 1000) if times else None,
        "mapped": type(data.cell_events.cell_time).__name__ == "memmap",
        "persons": len(data.persons),
        "registered": int(store.table("people", ["person"]).num_rows),
        "operator_records": len(data.cell_events),
        "stays": data.stays.n_stays,
        "index_dir": str(store.root / "index"),
    }


def _run_child(store: Path, n_cases: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--store", str(store), "--cases", str(n_cases)]
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _merged(directory: Path) -> str:
    """The stay index of every day (the day segments it was merged from are kept beside it)."""
    return next(p.name for p in sorted(directory.iterdir()) if p.name.startswith("all-"))


def _bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) if directory.is_dir() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True)
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--with-stays", action="store_true", help="rebuild the stay index too in the fresh run")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.store, args.cases)))
        return
    rounds = []
    for _ in range(args.rounds):
        probe = _run_child(args.store, 0)  # makes sure the files exist, and says where they are
        index = Path(probe["index_dir"])
        shutil.rmtree(index / "trace")
        if args.with_stays:
            shutil.rmtree(index / "stays")
        fresh = _run_child(args.store, args.cases)
        persisted = _run_child(args.store, args.cases)
        if fresh["mapped"] or not persisted["mapped"]:
            raise SystemExit("the fresh run did not build or the second run did not map the files")
        rounds.append({"fresh": fresh, "persisted": persisted})
    last = rounds[-1]["persisted"]
    index = Path(last["index_dir"])
    tables, stays = _bytes(index / "trace"), _bytes(index / "stays" / _merged(index / "stays"))
    report = {
        "rounds": rounds,
        "registered": last["registered"],
        "persons": last["persons"],
        "operator_records": last["operator_records"],
        "stays": last["stays"],
        "tables_bytes": tables,
        "stay_index_bytes": stays,
        "bytes_per_registered_person": (tables + stays) / max(last["registered"], 1),
    }
    print(f"store {args.store}: {last['registered']:,} registered people, {last['persons']:,} person ids, "
          f"{last['operator_records']:,} operator records, {last['stays']:,} stays")  # fmt: skip
    print("RSS in MiB, anonymous + mapped-file pages, before the load, after it, after tracing")
    print(f"{'round':>5} {'load':>10} {'load s':>8} {'RSS before':>12} {'RSS loaded':>12} {'RSS traced':>12} "
          f"{'peak':>6} {'1st ms':>7} {'trace ms':>9}")  # fmt: skip
    for k, pair in enumerate(rounds):
        for kind in ("fresh", "persisted"):
            r = pair[kind]
            rss = [f"{r[key]['anon']:.0f}+{r[key]['file']:.0f}" for key in ("rss_before_mib", "rss_after_load_mib",
                                                                             "rss_after_traces_mib")]  # fmt: skip
            print(f"{k + 1:>5} {kind:>10} {r['load_s']:>8.2f} {rss[0]:>12} {rss[1]:>12} {rss[2]:>12} "
                  f"{r['peak_mib']:>6.0f} {r['first_trace_ms'] or 0:>7.0f} "
                  f"{r['trace_median_ms'] or 0:>9.1f}")  # fmt: skip
        print(f"{'':>5} {'ratio':>10} {pair['fresh']['load_s'] / pair['persisted']['load_s']:>8.1f}x faster, "
              f"{pair['fresh']['peak_mib'] / pair['persisted']['peak_mib']:.1f}x less peak memory")  # fmt: skip
    print(f"on disk: tables {tables / 2**20:,.1f} MiB, stay index {stays / 2**20:,.1f} MiB, "
          f"{report['bytes_per_registered_person']:,.0f} bytes per registered person")  # fmt: skip
    if args.json:
        print(json.dumps(report))


if __name__ == "__main__":
    main()
