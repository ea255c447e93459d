"""A real ingest process killed with SIGKILL at any moment leaves the store as before or with the whole batch.

The batch under test touches everything a commit can: new event partitions, a reference table replaced
(old file superseded), stays recomputed over a day that already has stays, and rejects.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from feedkit import (
    DAY2,
    NOW,
    PHONE_B,
    VENUES,
    gps_rows,
    iso,
    settings,
    stay_pings,
    write_csv,
    write_kind,
    write_world,
)

from izquvar import open_store
from izquvar.formats import ALL_TABLES
from izquvar.store.layout import LOCK_FILE, MANIFEST_FILE, STORE_FILE
from izquvar.store.manifest import load_manifest

KEY = settings().pseudonym_key.get_secret_value()
SCRIPT = """
import datetime as dt, sys
from izquvar import open_store
store = open_store(sys.argv[1])
store.ingest(sys.argv[3:], now=dt.datetime.fromisoformat(sys.argv[2]))
print("done", flush=True)
"""


def _state(root: Path) -> dict[str, Any]:
    """The store's content as readers see it (batch ids, random per run, left out)."""
    store = open_store(root, create=False, settings=settings())
    tables: dict[str, Any] = {}
    for name in ALL_TABLES:
        table = store.table(name)
        if name == "rejects":
            table = table.drop_columns(["batch"])
        tables[name] = table.sort_by([(c, "ascending") for c in table.column_names]).to_pylist()
    manifest = load_manifest(root / MANIFEST_FILE)
    listed = {f.path for f in manifest.files}
    on_disk = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name not in (STORE_FILE, MANIFEST_FILE, LOCK_FILE)
    }
    assert on_disk == listed, "after reopening, exactly the listed files remain"
    return {"tables": tables, "sources": sorted(s.sha256 for b in manifest.batches for s in b.sources)}


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("atomic")
    feeds = base / "feeds"
    day1 = [r for r in gps_rows() if r["time"] < iso(DAY2)]
    day2 = [r for r in gps_rows() if r["time"] >= iso(DAY2)]
    day2 += stay_pings(PHONE_B, 41.3265, 69.2340, DAY2 + pa.scalar(3600 * 3, pa.duration("s")).as_py(), 30)
    before_root = base / "before"
    store = open_store(before_root, settings=settings())
    store.ingest([*write_world(feeds / "one"), write_kind(feeds / "one", "gps", day1)], now=NOW)
    batch = [
        write_kind(feeds / "two", "gps", [*day2, day2[0]]),
        write_kind(feeds / "two", "venues", [{**VENUES[0], "name": "School 12 (new wing)"}]),
        write_csv(
            feeds / "two" / "checkins.csv",
            ["person", "venue_id", "check_in"],
            [[PHONE_B, "v-school", iso(DAY2)], [PHONE_B, "v-nowhere", iso(DAY2)]],
        ),
    ]
    after_root = base / "after"
    shutil.copytree(before_root, after_root)
    open_store(after_root, settings=settings()).ingest(batch, now=NOW)
    before, after = _state(before_root), _state(after_root)
    assert before != after
    return {"base": base, "before_root": before_root, "batch": batch, "before": before, "after": after}


def _run(scenario: dict[str, Any], root: Path, pause: str | None) -> subprocess.Popen[str]:
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(scenario["before_root"], root)
    env = {**os.environ, "IZQUVAR_PSEUDONYM_KEY": KEY, "IZQUVAR_ENV": "development"}
    env.pop("IZQUVAR_TEST_PAUSE_S", None)
    if pause:
        env["IZQUVAR_TEST_PAUSE_S"] = pause
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(root), NOW.isoformat(), *map(str, scenario["batch"])],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)  # reaps the process and closes its pipes


@pytest.mark.slow
@pytest.mark.parametrize("phase", ["staged", "moved", "committed"])
def test_kill_at_each_commit_phase(scenario: dict[str, Any], phase: str) -> None:
    root = scenario["base"] / f"kill-{phase}"
    process = _run(scenario, root, pause="2")
    assert process.stderr is not None
    for line in process.stderr:
        if line.strip() == f"izquvar-test-phase {phase}":
            break
    else:
        pytest.fail(f"the ingest never reached {phase}: {process.wait()}")
    _kill(process)
    expected = scenario["after"] if phase == "committed" else scenario["before"]
    assert _state(root) == expected


@pytest.mark.slow
def test_kill_at_random_moments(scenario: dict[str, Any]) -> None:
    # How long a whole run takes, then kills spread over it (and a bit beyond).
    started = time.monotonic()
    complete = _run(scenario, scenario["base"] / "complete", pause="0.3")
    _, err = complete.communicate(timeout=120)
    assert complete.returncode == 0, err
    duration = time.monotonic() - started
    assert _state(scenario["base"] / "complete") == scenario["after"]
    rng = random.Random(20260302)
    outcomes = []
    for attempt in range(4):
        root = scenario["base"] / f"random-{attempt}"
        process = _run(scenario, root, pause="0.3")
        time.sleep(rng.uniform(0.3, duration * 1.05))
        _kill(process)
        state = _state(root)
        assert state in (scenario["before"], scenario["after"])
        outcomes.append("after" if state == scenario["after"] else "before")
    assert "before" in outcomes, outcomes
