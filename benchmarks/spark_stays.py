"""How fast stays are on Spark against the embedded detect_stays, on the same pings in the same run.

    python benchmarks/spark_stays.py [--store STORE | --people 2000 --days 3] [--master local[2]] [--runs 3] [--json]

Both engines detect the stays of every GPS ping of one embedded store (a simulated city ingested into a temporary
store unless ``--store`` names one), with ingest's parameters (100 m, 5 min, 15 min):

* embedded: ``izquvar.detect_stays`` on the pings as one Arrow table (read from the store outside its timing,
  and timed separately), numba warmed first;
* Spark: ``izquvar.spark.spark_stays`` (``groupBy(person).applyInPandas`` over the store's Parquet files, read
  inside the timing), executed to a no-op sink; one warm-up run first (it starts the Python workers).

Times are medians of ``--runs``; the ratio is Spark's time over the embedded engine's (read + detect). Both
must find the same number of stays (the row-for-row parity is tests/spark's). PySpark is the extra ``spark``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from izquvar import detect_stays, open_store
from izquvar.config import Settings
from izquvar.ingest.derive import STAY_DIST_M, STAY_GAP_MIN, STAY_TIME_MIN
from izquvar.simulate import SimConfig, simulate
from izquvar.spark import spark_session, spark_stays
from izquvar.spark.layout import open_for_reading, read_table
from izquvar.spark.stays import PING_COLUMNS

PARAMS = {"dist_m": STAY_DIST_M, "time_min": STAY_TIME_MIN, "gap_min": STAY_GAP_MIN}
#: A development key for the throw-away store (never a real one).
BENCH_KEY = "benchmark-key-0123456789abcdef0123"


def median_seconds(run: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def simulated_store(work: Path, people: int, days: int) -> Path:
    """A simulated city ingested (every feed) into ``work/store``."""
    simulate(SimConfig(people=people, days=days, seed=7), work / "sim")
    store = open_store(work / "store", settings=Settings(pseudonym_key=BENCH_KEY))
    store.ingest(sorted(p for p in (work / "sim").iterdir() if p.name not in ("truth", "simulation.json")))
    return work / "store"


def measure(store_path: Path, master: str, runs: int) -> dict[str, Any]:
    store = open_for_reading(store_path)
    read_s, pings = median_seconds(lambda: store.table("gps", list(PING_COLUMNS)), runs)
    detect_stays(pings.slice(0, 1000), **PARAMS)  # numba compiled (or loaded from its cache) outside the timing
    detect_s, found = median_seconds(lambda: detect_stays(pings, **PARAMS), runs)
    spark = spark_session(master)

    def on_spark() -> None:
        frame = spark_stays(read_table(spark, store, "gps", list(PING_COLUMNS)), **PARAMS)
        frame.write.format("noop").mode("overwrite").save()

    on_spark()  # warm-up: the Python workers start and import izquvar
    spark_s, _ = median_seconds(on_spark, runs)
    spark_count = spark_stays(read_table(spark, store, "gps", list(PING_COLUMNS)), **PARAMS).count()
    embedded_s = read_s + detect_s
    n_pings = pings.num_rows
    n_stays = getattr(found, "num_rows", 0)
    return {
        "store": str(store_path),
        "master": master,
        "spark_version": spark.version,
        "runs": runs,
        "pings": n_pings,
        "people": len(set(pings.column("person").to_pylist())) if n_pings <= 5_000_000 else None,
        "stays": n_stays,
        "spark_stays": int(spark_count),
        "same_count": int(spark_count) == n_stays,
        "embedded_read_s": read_s,
        "embedded_detect_s": detect_s,
        "embedded_s": embedded_s,
        "spark_s": spark_s,
        "embedded_pings_per_s": n_pings / embedded_s if embedded_s else None,
        "spark_pings_per_s": n_pings / spark_s if spark_s else None,
        "ratio_spark_over_embedded": spark_s / embedded_s if embedded_s else None,
        "cores": os.cpu_count(),
    }


def describe(report: dict[str, Any]) -> str:
    lines = [
        f"{report['pings']:,} pings of {report['people'] or '?'} people → {report['stays']:,} stays "
        f"(Spark {report['spark_stays']:,}; same count: {report['same_count']})",
        f"embedded: read {report['embedded_read_s']:.3f} s + detect {report['embedded_detect_s']:.3f} s "
        f"= {report['embedded_s']:.3f} s ({report['embedded_pings_per_s']:,.0f} pings/s)",
        f"Spark {report['spark_version']} on {report['master']}: {report['spark_s']:.3f} s "
        f"({report['spark_pings_per_s']:,.0f} pings/s)",
        f"Spark / embedded: {report['ratio_spark_over_embedded']:.1f}x (medians of {report['runs']} runs)",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--store", type=Path, default=None, help="An embedded store (default: simulate one).")
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="Also print the figures as one JSON line.")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    with tempfile.TemporaryDirectory(prefix="izquvar-spark-bench-") as work:
        store = args.store if args.store is not None else simulated_store(Path(work), args.people, args.days)
        report = measure(store, args.master, args.runs)
    print(describe(report))
    if args.json:
        print(json.dumps(report))
    return 0 if report["same_count"] else 1


if __name__ == "__main__":
    sys.exit(main())
