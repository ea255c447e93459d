"""benchmarks/incremental_trace.py runs end to end on a tiny simulation, and its figures say what they claim."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from izquvar.simulate import SimConfig
from izquvar.simulate.simulation import simulate

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "incremental_trace.py"


@pytest.mark.slow
def test_a_batch_rebuilds_only_the_parts_of_its_days_and_kinds(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(SimConfig(people=300, days=2, seed=3, index_cases=5), sim)
    work = tmp_path / "work"
    command = [sys.executable, str(SCRIPT), "--sim", str(sim), "--work", str(work), "--scenarios", "gps,every"]
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])

    prepared = report["prepared"]
    days = list(prepared["layout"]["days"])
    last = prepared["last_day"]
    assert last == days[-1] and len(days) >= 2
    assert not (sim / "index").exists() and (work / "pristine" / "manifest.json").is_file()

    # a GPS upload: the stay segments of its day and the day before (ingest re-derives the uploaders' stays over
    # the touched days +-1), nothing of the operator records, the per-person tables or the places' areas
    (measured,) = report["scenarios"]["gps"]["rounds"]
    assert measured["same_result"]
    after, new, before = measured["after"], measured["new process"], measured["before"]
    for figures in (after, new):
        assert set(figures["built_days"]) <= set(days[-2:]) and last in figures["built_days"]
        assert figures["segments_kept"] >= 1 and figures["merged_built"]
        assert figures["cell_segments_built"] == 0 and not figures["cell_merged_built"]
        assert not figures["tables_built"] and not figures["places_built"]
    assert after["stored"] == {"gps": after["stored"]["gps"]}
    assert after["tables_kept_in_memory"] and after["cell_kept_in_memory"] and after["places_kept_in_memory"]
    assert not after["stays_kept_in_memory"]
    assert after["stays_s"] > 0 and after["tables_s"] is None  # timed: the stays rebuilt, the tables not asked for
    assert before["segments_kept"] == before["cell_segments_kept"] == 0
    assert before["tables_built"] and before["places_built"] and before["tables_s"] > 0 and before["cell_s"] > 0
    assert before["segments_built"] == new["segments_built"] + new["segments_kept"]

    # one more day of every feed: one operator-record segment (the new day) and the tables; the places kept
    (measured,) = report["scenarios"]["every"]["rounds"]
    assert measured["same_result"]
    for figures in (measured["after"], measured["new process"]):
        assert figures["cell_built_days"] == [last] and figures["cell_segments_kept"] >= 1
        assert figures["tables_built"] and not figures["places_built"]
    assert not measured["after"]["tables_kept_in_memory"] and measured["after"]["places_kept_in_memory"]
    assert "a GPS upload" in done.stdout and "before/after" in done.stdout

    again = subprocess.run([*command[:-1], "lab"], capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "prepared store found" in again.stderr  # the preparation is made once per simulation
