"""benchmarks/spark_stays.py runs on the small simulated city, in this process's Spark session, and its figures
say what they claim: both engines timed on the same pings, the same number of stays, a ratio of the two."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from sparkkit import City

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "spark_stays.py"


def test_the_benchmark_times_both_engines_on_the_same_pings(
    spark: Any, spark_city: City, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("spark_stays_benchmark", SCRIPT)
    assert spec is not None and spec.loader is not None
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)

    code = benchmark.main(["--store", str(spark_city.store_path), "--master", "local[2]", "--runs", "1", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads(out.strip().splitlines()[-1])
    stored = spark_city.store.table("stays").num_rows
    assert report["pings"] == spark_city.store.table("gps").num_rows
    assert report["stays"] == report["spark_stays"] == stored and report["same_count"]
    assert report["embedded_s"] == pytest.approx(report["embedded_read_s"] + report["embedded_detect_s"])
    assert report["ratio_spark_over_embedded"] == pytest.approx(report["spark_s"] / report["embedded_s"])
    assert report["spark_pings_per_s"] == pytest.approx(report["pings"] / report["spark_s"])
    assert "Spark / embedded:" in out and f"{stored:,} stays" in out
