"""What the service benchmarks share: a throw-away PostgreSQL server, the real service in a process of its own
(``izquvar serve`` on a free port), an epidemiologist's sign-in, and percentiles.

Not a benchmark itself: ``lab_to_contacts.py`` and ``service_lists.py`` import it (it lies beside them).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np

PASSWORD = "benchmark password of the epidemiologist"
USERNAME = "bench-epi"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentiles(seconds: Sequence[float]) -> dict[str, float]:
    """Median, p95 and maximum of ``seconds``, and how many there were."""
    values = np.asarray(seconds, dtype=float)
    return {
        "n": float(len(values)),
        "median": float(np.median(values)),
        "p95": float(np.percentile(values, 95)),
        "max": float(values.max()),
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def postgres_server(workdir: Path | None = None) -> Iterator[str]:
    """A PostgreSQL server from Debian's binaries in a temporary data directory (as tests/postgres.py starts
    one: a Unix socket only, fsync off, as the ``postgres`` user when run as root); its SQLAlchemy URL."""
    bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parents[1].name))
    if not bins:
        raise SystemExit("PostgreSQL is not installed (apt-get install postgresql), and no --database was given")
    bin_dir = bins[-1].parent
    root = Path(tempfile.mkdtemp(prefix="izquvar-pg-bench-", dir=workdir))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    run = {"check": True, "capture_output": True}
    options = (
        f"-c listen_addresses='' -c unix_socket_directories={root} -c port=5432 -c fsync=off "
        "-c shared_buffers=256MB -c synchronous_commit=off"
    )
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"], **run)  # fmt: skip
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                        "-l", str(root / "server.log"), "-w", "start"], **run)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise SystemExit(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}") from None
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={root}&port=5432"
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def add_epidemiologist(database_url: str) -> None:
    """The benchmark's epidemiologist (no jurisdiction: the whole country), committed."""
    from izquvar.db import make_engine, make_session_factory, session_scope
    from izquvar.users import service as users_service
    from izquvar.users.models import Role, UserCreate

    engine = make_engine(database_url)
    with session_scope(make_session_factory(engine)) as session:
        users_service.create(
            UserCreate(username=USERNAME, role=Role.EPIDEMIOLOGIST, password=PASSWORD), db_session=session
        )
    engine.dispose()


@contextmanager
def running_service(
    database_url: str, home: Path, *, store: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``izquvar serve`` on a free port of 127.0.0.1 in a process of its own, until the block ends; its base URL
    once ``/api/v1/health`` answers. Its log goes to ``home/service.log``."""
    port = free_port()
    home.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-c", "from izquvar.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(port), "--database", database_url]  # fmt: skip
    if store is not None:
        command += ["--store", str(store)]
    environment = {**os.environ, "IZQUVAR_HOME": str(home), **(env or {})}
    with (home / "service.log").open("wb") as service_log:
        process = subprocess.Popen(command, env=environment, stdout=service_log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"the service exited ({process.returncode}): see {home / 'service.log'}")
                try:
                    if httpx.get(f"{base}/api/v1/health", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the service did not answer within 120 s")
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def signed_in_client(base: str) -> httpx.Client:
    """An HTTP client (one kept-alive connection) with the epidemiologist's bearer token."""
    client = httpx.Client(base_url=base, timeout=60)
    token = client.post("/api/v1/auth/token", data={"username": USERNAME, "password": PASSWORD})
    if token.status_code != 200:
        raise SystemExit(f"sign-in failed: {token.status_code} {token.text}")
    client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
    return client
