"""Peak memory of building the stay index from a simulator run's truth stays: one table against day by day.

    python benchmarks/index_memory.py --sim SIMDIR [--json]

Issue #4 asks for the index of 1,000,000 people x 14 days within 4 GB. Each way of building runs in a fresh
process of its own, so the peaks (``ru_maxrss``) are the build's and nothing else's:

* ``one-table``: the five needed columns of every day read into one Arrow table, then ``StayIndex.build``;
* ``chunked``: ``StayIndex.build_chunks`` over the day partitions read one at a time, so only one day's
  Arrow table exists at any moment besides the compact int32 columns.

Both print the stays, the seconds spent reading and in all, the process's resident memory after the imports
and at its peak, and a SHA-256 of every index array and the person names: equal digests mean the two builds
gave the very same index. With ``--json`` the last line is ``{"one-table": {...}, "chunked": {...},
"identical": true}``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as pads

from izquvar.simulate.truth import STAYS as TRUTH_STAYS
from izquvar.trace import StayIndex

STAY_COLUMNS = ["person", "start", "end", "lat", "lon"]
MODES = ("one-table", "chunked")


def _sim_format(sim_dir: Path) -> str:
    try:
        config = json.loads((sim_dir / "simulation.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise SystemExit(f"{sim_dir}: not a readable simulator output ({exc})") from exc
    return "csv" if config.get("format") == "csv" else "parquet"


def _stays_dir(sim_dir: Path) -> Path:
    path = sim_dir / "truth" / "stays"
    if not path.is_dir():
        raise SystemExit(f"{path}: missing; the simulator always writes truth stays, is {sim_dir} complete?")
    return path


def _read(path: Path, fmt: str) -> pa.Table:
    """The needed columns of a directory of truth stays; refuses a run from before stays had positions."""
    # partitioning=None: the day=... directories are not a column; the schema types CSV times and coordinates
    dataset = pads.dataset(str(path), format=fmt, schema=TRUTH_STAYS, partitioning=None)  # type: ignore[call-overload]
    table: pa.Table = dataset.to_table(columns=STAY_COLUMNS)
    if table.num_rows and (table.column("lat").null_count or table.column("lon").null_count):
        raise SystemExit(f"{path}: stays without lat/lon; this run predates stay positions, simulate it again")
    return table


def read_sim_stays(sim_dir: Path) -> pa.Table:
    """All truth stays of a simulator run as one table (the files in path order, i.e. day by day)."""
    return _read(_stays_dir(sim_dir), _sim_format(sim_dir))


def sim_stay_days(sim_dir: Path) -> Iterator[pa.Table]:
    """The truth stays one day partition at a time, in day order: the same rows, in the same order, as
    :func:`read_sim_stays`, without ever holding more than one day of them as Arrow."""
    path, fmt = _stays_dir(sim_dir), _sim_format(sim_dir)
    days = sorted(p for p in path.iterdir() if p.is_dir() and p.name.startswith("day="))
    if not days:
        yield _read(path, fmt)  # an unpartitioned run: one piece
    for day in days:
        yield _read(day, fmt)


def rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def digest(index: StayIndex) -> str:
    """SHA-256 over every array (with its dtype) and the person names."""
    h = hashlib.sha256()
    for name in StayIndex._ARRAYS:
        array = getattr(index, name)
        h.update(f"{name}:{array.dtype.str}:{len(array)};".encode())
        h.update(array.tobytes())
    for buffer in index.persons.buffers():
        if buffer is not None:
            h.update(buffer)
    return h.hexdigest()


def measure(mode: str, sim_dir: Path) -> dict[str, Any]:
    """Build the index one way in this process and report its time and this process's memory."""
    baseline = rss_mib()
    t0 = time.perf_counter()
    if mode == "one-table":
        stays = read_sim_stays(sim_dir)
        read_s = time.perf_counter() - t0
        after_read = rss_mib()
        index = StayIndex.build(stays)
        del stays
    else:
        spent = [0.0]

        def timed_days() -> Iterator[pa.Table]:
            days = sim_stay_days(sim_dir)
            while True:
                t = time.perf_counter()
                day = next(days, None)
                spent[0] += time.perf_counter() - t
                if day is None:
                    return
                yield day

        index = StayIndex.build_chunks(timed_days())
        read_s, after_read = spent[0], float("nan")
    total_s = time.perf_counter() - t0
    return {
        "stays": index.n_stays,
        "persons": index.n_persons,
        "read_s": round(read_s, 1),
        "total_s": round(total_s, 1),
        "build_s": round(total_s - read_s, 1),
        "rss_after_imports_mib": round(baseline, 0),
        "peak_rss_after_read_mib": None if after_read != after_read else round(after_read, 0),
        "peak_rss_mib": round(rss_mib(), 0),
        "arrays_mib": round(index.nbytes / 2**20, 0),
        "digest": digest(index),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sim", type=Path, required=True, help="a simulator output directory: its truth stays")
    parser.add_argument("--json", action="store_true", help="print the summary JSON as the last line")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)  # one build, in this process
    args = parser.parse_args(argv)
    if args.mode:
        print(json.dumps(measure(args.mode, args.sim)))
        return 0
    results: dict[str, Any] = {}
    for mode in MODES:
        run = subprocess.run(
            [sys.executable, __file__, "--sim", str(args.sim), "--mode", mode],
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode:
            sys.stderr.write(run.stderr)
            raise SystemExit(f"the {mode} build failed (exit {run.returncode})")
        results[mode] = json.loads(run.stdout.strip().splitlines()[-1])
        r = results[mode]
        print(
            f"{mode:9s}: {r['stays']:,} stays, {r['persons']:,} persons; read {r['read_s']:.1f} s, "
            f"build {r['build_s']:.1f} s, total {r['total_s']:.1f} s; peak RSS {r['peak_rss_mib']:,.0f} MiB "
            f"(after imports {r['rss_after_imports_mib']:,.0f} MiB); index arrays {r['arrays_mib']:,.0f} MiB",
            flush=True,
        )
    identical = results["one-table"]["digest"] == results["chunked"]["digest"]
    print(f"identical indexes (SHA-256 of every array and the names): {identical}")
    if args.json:
        print(json.dumps({**results, "identical": identical}))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
