"""``izquvar demo --serve`` (README's first command): the pipeline, then the service with the first case traced.

Run once for real in a subprocess, as ``make demo`` runs it: the service it leaves running is signed in to over
HTTP with the account it prints, its case is traced with proposed contacts re-identified from the simulated
registry, Ctrl-C stops it cleanly, and the database it leaves behind holds a verifiable audit trail.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from izquvar.audit import service as audit_service
from izquvar.cases.models import ProposedContact, TracingJob
from izquvar.db import make_engine, make_session_factory, session_scope

pytestmark = pytest.mark.slow


@dataclass
class RunningDemo:
    out: Path
    api: str
    username: str
    password: str
    case_id: int
    process: subprocess.Popen[str]
    printed: list[str]


def _izquvar() -> list[str]:
    return [sys.executable, "-c", "from izquvar.cli import main; main()"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    out = tmp_path_factory.mktemp("demo") / "izquvar-demo"
    command = [*_izquvar(), "demo", "--out", str(out), "--people", "400", "--days", "5", "--port", "0", "--serve"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=os.environ | {"COLUMNS": "240", "IZQUVAR_HOME": str(out.parent / "home")},
    )  # fmt: skip
    printed: list[str] = []
    deadline = time.monotonic() + 600
    assert process.stdout is not None
    for line in process.stdout:
        printed.append(line)
        if "Ctrl-C stops it." in line or time.monotonic() > deadline:
            break
    text = "".join(printed)
    api = re.search(r"API: (http://127\.0\.0\.1:\d+/api/v1)", text)
    account = re.search(r"Sign in as (\S+) with the password (\S+)", text)
    case = re.search(r"/cases/(\d+)/proposed-contacts", text)
    if not (api and account and case):
        process.kill()
        pytest.fail(f"the demo did not start its service:\n{text}")
    running = RunningDemo(out, api.group(1), account.group(1), account.group(2), int(case.group(1)), process, printed)
    yield running
    if process.poll() is None:
        process.kill()
    process.wait()
    process.stdout.close()


def test_the_demo_prints_each_step_and_the_service_traced_the_first_case(demo: RunningDemo) -> None:
    text = "".join(demo.printed)
    for step in ("1. Simulating", "2. Ingesting", "3. What the store holds", "4. Tracing", "5. The investigation"):
        assert step in text
    traced = re.search(r"traced by the service in [\d.]+ s: ([\d,]+) proposed contacts", text)
    assert traced is not None and int(traced.group(1).replace(",", "")) > 0


def test_one_can_sign_in_to_the_running_service_and_read_the_traced_case(demo: RunningDemo) -> None:
    with httpx.Client(base_url=demo.api, timeout=30) as client:
        assert client.get("/health").status_code == 200
        token = client.post("/auth/token", data={"username": demo.username, "password": demo.password})
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        case = client.get(f"/cases/{demo.case_id}", headers=headers).json()
        assert case["tracing"]["status"] == "done" and case["classification"] == "confirmed"
        proposed = client.get(f"/cases/{demo.case_id}/proposed-contacts", headers=headers).json()
        assert proposed["total"] > 0
        assert any(item["person_id"] is not None for item in proposed["items"])  # re-identified from the registry
        wrong = client.post("/auth/token", data={"username": demo.username, "password": "not-the-password"})
        assert wrong.status_code == 401


def test_ctrl_c_stops_the_service_and_leaves_a_verifiable_trail(demo: RunningDemo) -> None:
    demo.process.send_signal(signal.SIGINT)
    assert demo.process.wait(timeout=60) == 0
    engine = make_engine(f"sqlite:///{demo.out / 'izquvar.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            assert session.scalar(select(TracingJob.status).where(TracingJob.case_id == demo.case_id)) == "done"
            count = session.scalar(select(func.count()).select_from(ProposedContact))
            assert count is not None and count > 0
            assert audit_service.verify(db_session=session).ok
    finally:
        engine.dispose()
