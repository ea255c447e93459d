"""benchmarks/lab_to_contacts.py and benchmarks/service_lists.py run end to end on tiny sizes, through the real
service, and their figures say what they claim."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect

from izquvar.db import make_engine
from postgres import sqlalchemy_url

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _run(script: str, *args: str) -> tuple[dict, str, str]:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args, "--json"], capture_output=True,
                          text=True, check=False, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stdout, done.stderr


@pytest.mark.slow
def test_lab_to_contacts_proposes_what_the_tracer_finds_and_caches_the_city(tmp_path: Path) -> None:
    city = ["--people", "400", "--days", "3", "--index-cases", "40", "--work", str(tmp_path)]
    report, out, err = _run("lab_to_contacts.py", *city, "--positives", "2")
    assert report["positives"] == 2 and report["backend"] == "sqlite"
    assert report["differ"] == 0 and sum(report["contacts"]) > 0  # the API proposed exactly the traced contacts
    assert len(report["api_s"]) == len(report["tracer_s"]) == 2 and min(report["tracer_s"]) > 0
    assert report["verdict"] in ("PASS", "FAIL") and f"{report['verdict']}" in out
    assert "ratio API/tracer" in out and "simulated 400 people" in err
    assert not list(tmp_path.glob("run-*"))  # each run's database and service home are removed

    again, _, err = _run("lab_to_contacts.py", *city, "--positives", "1")
    assert "prepared city found" in err and "simulated" not in err  # a rerun skips simulation and ingest
    assert again["positives"] == 1 and again["differ"] == 0


@pytest.mark.slow
def test_service_lists_times_every_request_kind_against_its_sql(postgres_dsn: str) -> None:
    url = sqlalchemy_url(postgres_dsn)
    report, out, _ = _run("service_lists.py", "--database", url, "--cases", "2000", "--contacts", "6000",
                          "--big", "300", "--requests", "5")  # fmt: skip
    assert (report["cases"], report["contacts"], report["big"]) == (2000, 6000, 300)
    rows = {row["kind"]: row for row in report["rows"]}
    assert len(rows) == 10
    for kind, row in rows.items():
        assert row["api"]["n"] == row["sql"]["n"] == 5, kind
        assert row["sql"]["median"] > 0 and row["api"]["median"] > 0, kind
        assert row["items_per_answer"] >= 1, kind  # every generated filter matches something
        assert row["verdict"] in ("PASS", "FAIL") and kind in out
    assert rows["cases/{id}/contacts of that case"]["items_per_answer"] == 50
    assert "targets (lists and search p95 < 200 ms" in out
    engine = make_engine(url)
    assert "cases" not in inspect(engine).get_table_names()  # the disposable tables are gone again
    engine.dispose()
