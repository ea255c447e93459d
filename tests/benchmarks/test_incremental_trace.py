"""benchmarks/incremental_trace.py runs end to end on a tiny simulation, and its figures say what they claim."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from izquvar.simulate import SimConfig
from izquvar.simulate.run import simulate

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "incremental_trace.py"


@pytest.mark.slow
def test_gps_upload_rebuilds_stay_segments_of_its_days_only(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(SimConfig(people=300, days=1, seed=3, index_cases=5), sim)
    work = tmp_path / "work"
    command = [sys.executable, str(SCRIPT), "--sim", str(sim), "--work", str(work), "--scenarios", "gps", "--json"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    prepared = report["prepared"]
    days = list(prepared["layout"]["days"])
    assert prepared["last_day"] == days[-1] and len(days) >= 2
    assert not (sim / "index").exists() and (work / "pristine" / "manifest.json").is_file()
    (measured,) = report["scenarios"]["gps"]["rounds"]
    assert measured["same_result"]
    after, new, before = measured["after"], measured["new process"], measured["before"]
    # the upload's day and the day before (ingest re-derives the uploaders' stays over the touched days +-1)
    for figures in (after, new):
        assert set(figures["built_days"]) <= set(days[-2:]) and prepared["last_day"] in figures["built_days"]
        assert not figures["tables_built"]  # the per-person tables read no pings
    assert (
        after["tables_kept_in_memory"] and after["refresh_s"] > 0 and after["stored"] == {"gps": after["stored"]["gps"]}
    )
    assert before["segments_kept"] == 0 and before["tables_built"]
    assert before["segments_built"] == new["segments_built"] + new["segments_kept"]
    assert "a GPS upload" in done.stdout and "before/after" in done.stdout

    again = subprocess.run([*command[:-2], "", "--json"], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "prepared store found" in again.stderr  # the preparation is made once per simulation
