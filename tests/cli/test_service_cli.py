"""``izquvar serve`` started for real, ``izquvar user add`` with the password on stdin, ``izquvar user reset-totp``,
``izquvar audit verify``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from izquvar.audit.models import AuditRecord
from izquvar.cli import main
from izquvar.config import Settings
from izquvar.db import make_engine, make_session_factory, session_scope
from izquvar.errors import SecondFactorRequired
from izquvar.users import service, totp
from izquvar.users.models import Role
from servicekit import PASSWORD, cheap_hashes

__all__ = ["cheap_hashes"]
SRC = Path(__file__).resolve().parents[2] / "src"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(home: Path, port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IZQUVAR_")}
    env |= {"IZQUVAR_HOME": str(home), "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-c", "import sys; from izquvar.cli import main; sys.exit(main())"]
    with log.open("wb") as out:
        return subprocess.Popen(
            [*command, "serve", "--port", str(port), *extra], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _wait_for_health(port: int, process: subprocess.Popen[bytes], log: Path) -> dict[str, str]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"izquvar serve exited with {process.returncode}: {log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2) as response:
                answer: dict[str, str] = json.load(response)
                return answer
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    pytest.fail(f"izquvar serve did not answer within 90 s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_serve_traces_on_the_store_it_is_given(tmp_path: Path) -> None:
    port, log = _free_port(), tmp_path / "serve.log"
    process = _start(tmp_path / "home", port, log, "--store", str(tmp_path / "elsewhere"))
    try:
        _wait_for_health(port, process, log)
        assert f"tracing on the location store {tmp_path / 'elsewhere'}" in log.read_text()
    finally:
        _stop(process)


def test_serve_migrates_creates_the_administrator_once_and_answers(tmp_path: Path) -> None:
    port, log = _free_port(), tmp_path / "serve.log"
    process = _start(tmp_path / "home", port, log)
    try:
        assert _wait_for_health(port, process, log) == {"status": "ok", "version": "0.1.0", "database": "reachable"}
        output = log.read_text()
        assert "one-time password" in output
        assert f"tracing on the location store {tmp_path / 'home' / 'store'}" in output  # the data home's
        password = output.split("one-time password", 1)[1].split()[0]
        form = urllib.parse.urlencode({"username": "admin", "password": password}).encode()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/auth/token", data=form, timeout=10) as answer:
            assert json.load(answer)["token_type"] == "bearer"
    finally:
        _stop(process)
    assert (tmp_path / "home" / "izquvar.db").is_file()
    again = tmp_path / "again.log"
    process = _start(tmp_path / "home", port, again)
    try:
        _wait_for_health(port, process, again)
        assert "one-time password" not in again.read_text()  # shown once, on the first start only
    finally:
        _stop(process)


@pytest.mark.usefixtures("cheap_hashes")
def test_user_add_reads_the_password_from_stdin(database_url: str) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["user", "add", "Dilnoza", "--role", "contact_tracer", "--district", "1726262", "--database", database_url],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert "contact_tracer" in result.output and "1726262" in result.output and PASSWORD not in result.output
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            policy = service.LockoutPolicy.from_settings(Settings())
            user = service.authenticate("dilnoza", PASSWORD, db_session=session, policy=policy)
            assert user.role is Role.CONTACT_TRACER and user.region_id == "1726"
    finally:
        engine.dispose()
    taken = runner.invoke(main, ["user", "add", "dilnoza", "--role", "lab", "--database", database_url],
                          input=f"{PASSWORD}\n")  # fmt: skip
    assert taken.exit_code == 2 and "already taken" in taken.output
    bad_area = runner.invoke(main, ["user", "add", "x1", "--role", "lab", "--district", "99", "--database",
                                    database_url], input=f"{PASSWORD}\n")  # fmt: skip
    assert bad_area.exit_code == 2 and "district_id" in bad_area.output
    empty = runner.invoke(main, ["user", "add", "x2", "--role", "lab", "--database", database_url], input="")
    assert empty.exit_code == 2 and "no password on stdin" in empty.output
    short = runner.invoke(main, ["user", "add", "x3", "--role", "lab", "--database", database_url], input="short\n")
    assert short.exit_code == 2 and "password" in short.output


@pytest.mark.usefixtures("cheap_hashes")
def test_audit_verify_exits_0_on_an_intact_trail_and_7_on_a_broken_one(database_url: str) -> None:
    runner = CliRunner()
    for name in ("a1", "a2", "a3"):
        added = runner.invoke(main, ["user", "add", name, "--role", "lab", "--database", database_url],
                              input=f"{PASSWORD}\n")  # fmt: skip
        assert added.exit_code == 0, added.output
    intact = runner.invoke(main, ["audit", "verify", "--database", database_url])
    assert intact.exit_code == 0 and "3 record(s) verified" in intact.output
    engine = make_engine(database_url)
    with session_scope(make_session_factory(engine)) as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(details={"username": "a9"}))
    engine.dispose()
    broken = runner.invoke(main, ["audit", "verify", "--database", database_url])
    assert broken.exit_code == 7 and "record 2 was changed" in broken.output


@pytest.mark.usefixtures("cheap_hashes")
def test_user_reset_totp_removes_a_second_factor(database_url: str) -> None:
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "boss", "--role", "administrator", "--database", database_url],
                          input=f"{PASSWORD}\n")  # fmt: skip
    assert added.exit_code == 0, added.output
    settings = Settings()
    engine = make_engine(database_url)
    try:
        with session_scope(make_session_factory(engine)) as session:
            user = service.get_by_username("boss", db_session=session)
            assert user is not None
            secret, _ = service.enroll_totp(user, PASSWORD, db_session=session, settings=settings)
            service.confirm_totp(user, totp.code_at(secret, totp.current_step()), db_session=session, settings=settings)
        policy = service.LockoutPolicy.from_settings(settings)
        with session_scope(make_session_factory(engine)) as session, pytest.raises(SecondFactorRequired):
            service.authenticate("boss", PASSWORD, db_session=session, policy=policy, settings=settings)
        reset = runner.invoke(main, ["user", "reset-totp", "boss", "--database", database_url])
        assert reset.exit_code == 0 and "second factor removed" in reset.output
        with session_scope(make_session_factory(engine)) as session:
            assert service.authenticate("boss", PASSWORD, db_session=session, policy=policy).username == "boss"
            actions = session.scalars(select(AuditRecord.action).order_by(AuditRecord.seq)).all()
            assert actions[-1] == "auth.totp_reset"
    finally:
        engine.dispose()
    again = runner.invoke(main, ["user", "reset-totp", "boss", "--database", database_url])
    assert again.exit_code == 0 and "nothing changed" in again.output
    missing = runner.invoke(main, ["user", "reset-totp", "nobody", "--database", database_url])
    assert missing.exit_code == 3 and "no user named" in missing.output
