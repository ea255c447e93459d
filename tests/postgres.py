"""A throw-away PostgreSQL server for the tests, from Debian's binaries: plain (``postgres_dsn``) and with
PostGIS (``postgis_dsn``), both from one server per test session.

Why a real server: the PostGIS engine's contract is its SQL, and the registry's migrations and queries must
run on the PostgreSQL that production uses; only PostgreSQL can check either. The server runs from a temporary
data directory on a Unix socket in that directory, as the ``postgres`` system user when the tests run as root
(PostgreSQL refuses root), and is stopped at the end of the session. Where the binaries (or PostGIS, for
``postgis_dsn``) are missing the fixture skips, saying which package to install (CI turns the skip into a
failure).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PORT = 5432  # the socket lives in a private directory, so the default port cannot clash
#: The database ``postgres_dsn`` gives: plain PostgreSQL, no extension, apart from the PostGIS one.
PLAIN_DATABASE = "izquvar_plain"


@dataclass(frozen=True)
class PostgresServer:
    """A running test server: its socket directory and whether PostGIS is installed for it."""

    socket_dir: Path
    has_postgis: bool

    def dsn(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={PORT} user=postgres dbname={dbname}"


def _binaries() -> tuple[Path, bool] | None:
    """The newest installed PostgreSQL's bin directory, and whether PostGIS is installed for that version."""
    for bin_dir in sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True):
        if (bin_dir / "initdb").is_file():
            version = bin_dir.parent.name
            return bin_dir, Path(f"/usr/share/postgresql/{version}/extension/postgis.control").is_file()
    return None


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the whole test session (started on first use)."""
    found = _binaries()
    if found is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql postgresql-15-postgis-3)")
    bin_dir, has_postgis = found
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
    try:
        yield PostgresServer(workdir, has_postgis)
    finally:
        subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)  # fmt: skip
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgis_dsn(postgres_server: PostgresServer) -> str:
    """The conninfo of the test server's ``postgres`` database, with the postgis extension created."""
    if not postgres_server.has_postgis:
        pytest.skip("PostGIS is not installed for the PostgreSQL found (apt-get install postgresql-15-postgis-3)")
    import psycopg

    dsn = postgres_server.dsn()
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    return dsn


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """The conninfo of a plain database (no extension) on the test server, created once per session."""
    import psycopg

    with psycopg.connect(postgres_server.dsn(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {PLAIN_DATABASE}")
    return postgres_server.dsn(PLAIN_DATABASE)


def sqlalchemy_url(dsn: str) -> str:
    """A test server's conninfo as a SQLAlchemy URL (psycopg 3 over the Unix socket)."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    parts = conninfo_to_dict(dsn)
    url = URL.create(
        "postgresql+psycopg",
        username=str(parts["user"]),
        database=str(parts["dbname"]),
        query={"host": str(parts["host"]), "port": str(parts["port"])},
    )
    return url.render_as_string(hide_password=False)
