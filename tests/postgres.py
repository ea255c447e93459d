"""A throw-away PostgreSQL server with PostGIS for the tests, from Debian's binaries.

Why a real server: the PostGIS engine's contract is its SQL, which only PostgreSQL can check. The server runs
from a temporary data directory on a Unix socket in that directory, as the ``postgres`` system user when the
tests run as root (PostgreSQL refuses root), and is stopped at the end of the session. Where the binaries or
PostGIS are missing the fixture skips, saying which package to install (CI turns the skip into a failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PORT = 5432  # the socket lives in a private directory, so the default port cannot clash


def _binaries() -> tuple[Path, str] | None:
    """The newest installed PostgreSQL's bin directory and version that has PostGIS."""
    for bin_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        version = bin_dir.parent.name
        if (bin_dir / "initdb").is_file() and Path(
            f"/usr/share/postgresql/{version}/extension/postgis.control"
        ).is_file():
            return bin_dir, version
    return None


@pytest.fixture(scope="session")
def postgis_dsn() -> Iterator[str]:
    """The conninfo of a fresh PostgreSQL server with the postgis extension created."""
    found = _binaries()
    if found is None:
        pytest.skip("PostgreSQL with PostGIS is not installed (apt-get install postgresql postgresql-15-postgis-3)")
    bin_dir, _version = found
    as_user: list[str] = []
    workdir = Path(tempfile.mkdtemp(prefix="izquvar-pg-"))
    if os.geteuid() == 0:
        if shutil.which("runuser") is None or subprocess.run(["id", "postgres"], capture_output=True).returncode:
            pytest.skip("tests run as root, but there is no postgres user (or runuser) to run PostgreSQL as")
        shutil.chown(workdir, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = workdir / "data"
    run = {"check": True, "capture_output": True}
    try:
        subprocess.run([*as_user, str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--no-sync"], **run)  # fmt: skip
        options = f"-c listen_addresses='' -c unix_socket_directories={workdir} -c port={PORT} -c fsync=off"
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                        "-l", str(workdir / "server.log"), "-w", "start"], **run)  # fmt: skip
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        pytest.fail(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}")
    dsn = f"host={workdir} port={PORT} user=postgres dbname=postgres"
    try:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as connection:
            connection.execute("CREATE EXTENSION postgis")
        yield dsn
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)
