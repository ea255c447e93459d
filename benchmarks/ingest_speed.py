"""Ingest throughput for GPS pings, from Parquet and from CSV, against a plain Arrow copy of the same data.

    python benchmarks/ingest_speed.py [--rows 5000000] [--people 20000] [--json]

Generates synthetic pings (people moving between a few places around Tashkent, one fix a minute), writes
them once as Parquet and once as CSV, then times a full ``store.ingest`` of each into a fresh store:
reading, validation, pseudonymisation, duplicate checks, day partitioning, stay detection and placement,
and the atomic commit. The baseline is ``pyarrow.parquet.read_table`` + ``write_table`` of the same file,
the least any Parquet-to-Parquet ingest must cost; the ratio says how much the checks add. A small ingest
runs first so that once-per-process costs (loading compiled kernels and the area hierarchy) are not
counted. The last line with ``--json`` is machine-readable.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from izquvar import open_store
from izquvar.config import Settings

START_US = 1_772_409_600_000_000  # 2026-03-02T00:00:00Z


def synthetic_pings(rows: int, people: int, seed: int = 7) -> pa.Table:
    """``rows`` GPS fixes: each person visits a few places, one fix a minute, 10–40 m noise."""
    rng = np.random.default_rng(seed)
    per_person = -(-rows // people)
    person = np.repeat(np.arange(people), per_person)[:rows]
    minute = np.tile(np.arange(per_person), people)[:rows]
    places = rng.normal([41.31, 69.27], 0.05, size=(people, 4, 2))
    # A new place every ~90 minutes: stays to detect, and moves between them.
    visit = (minute // 90 + person) % 4
    centre = places[person, visit]
    noise = rng.normal(0, 0.0002, size=(rows, 2))
    ids = np.char.add("99890", np.char.zfill(np.arange(people).astype(str), 7))
    return pa.table(
        {
            "person": pa.array(ids[person]),
            "time": pa.array(
                START_US + minute.astype(np.int64) * 60_000_000 + person % 60 * 1_000_000, pa.int64()
            ).cast(pa.timestamp("us", tz="UTC")),
            "lat": centre[:, 0] + noise[:, 0],
            "lon": centre[:, 1] + noise[:, 1],
            "accuracy_m": rng.uniform(5, 40, rows).round(1),
        }
    )


def timed(action: object) -> float:
    assert callable(action)
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--json", action="store_true", help="finish with one JSON line of the results")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="izquvar-bench-"))
    try:
        table = synthetic_pings(args.rows, args.people)
        parquet_path = work / "gps.parquet"
        csv_path = work / "gps.csv"
        pq.write_table(table, parquet_path)
        pcsv.write_csv(table, csv_path, pcsv.WriteOptions(include_header=True))
        settings = Settings()
        now = None
        # One small ingest first: loading compiled kernels and the area hierarchy is a once-per-process cost.
        pq.write_table(synthetic_pings(5_000, 20, seed=1), work / "warm-up" / "gps.parquet") if (
            work / "warm-up"
        ).mkdir() is None else None
        open_store(work / "warm-up-store", settings=settings).ingest([work / "warm-up" / "gps.parquet"])

        def baseline() -> None:
            pq.write_table(pq.read_table(parquet_path), work / "copy.parquet", compression="zstd")

        seconds = {
            "baseline_parquet_copy": timed(baseline),
            "ingest_parquet": timed(lambda: open_store(work / "s1", settings=settings).ingest([parquet_path], now=now)),
            "ingest_csv": timed(lambda: open_store(work / "s2", settings=settings).ingest([csv_path], now=now)),
        }
        stays = open_store(work / "s1", settings=settings).info()["counts"]["stays"]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rate = {name: args.rows / s for name, s in seconds.items()}
    result = {
        "rows": args.rows,
        "people": args.people,
        "stays_derived": stays,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "rows_per_s": {k: round(v) for k, v in rate.items()},
        "parquet_vs_baseline": round(seconds["ingest_parquet"] / seconds["baseline_parquet_copy"], 2),
        "csv_vs_baseline": round(seconds["ingest_csv"] / seconds["baseline_parquet_copy"], 2),
    }
    for name, value in rate.items():
        print(f"{name:>22}: {value:>12,.0f} rows/s  ({seconds[name]:.2f} s)")
    print(
        f"ingest from Parquet takes {result['parquet_vs_baseline']}× a plain Parquet copy; "
        f"from CSV {result['csv_vs_baseline']}×; {stays:,} stays derived"
    )
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
