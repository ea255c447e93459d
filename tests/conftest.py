"""Shared fixtures: where ../shared is (skipping cleanly where it is absent), a PostgreSQL server, plain or
with PostGIS (postgres.py), the service's database on SQLite and PostgreSQL (databases.py), and one local Spark
session with a small simulated city for the Spark engine's tests (sparkkit.py).

A test that needs the real data in ../shared takes the ``shared_dir`` fixture. On a user's clone without
../shared it skips; ``.ci/run`` sets ``IZQUVAR_REQUIRE_SHARED=1`` and then a missing ../shared is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from databases import database_url, db_session  # fixtures every test directory may use
from postgres import postgis_dsn, postgres_dsn, postgres_server
from sparkkit import spark, spark_city, spark_city_tracer

__all__ = [
    "database_url",
    "db_session",
    "postgis_dsn",
    "postgres_dsn",
    "postgres_server",
    "spark",
    "spark_city",
    "spark_city_tracer",
]

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("IZQUVAR_SHARED", PROJECT_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project root, or a skip (a failure when IZQUVAR_REQUIRE_SHARED=1)."""
    root = shared_root()
    if not (root / "data").is_dir():
        if os.environ.get("IZQUVAR_REQUIRE_SHARED") == "1":
            pytest.fail(f"IZQUVAR_REQUIRE_SHARED=1 but the shared data directory is absent ({root.name}/data)")
        pytest.skip("../shared is absent: real-data test skipped")
    return root


@pytest.fixture(scope="session")
def geolife_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "geolife"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Under IZQUVAR_REQUIRE_SHARED=1 (CI) a skipped test is a failed test: nothing may silently not run."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("IZQUVAR_REQUIRE_SHARED") == "1" and "xfail" not in report.keywords:
        report.outcome = "failed"
        report.longrepr = f"skipped under IZQUVAR_REQUIRE_SHARED=1: {report.longrepr}"
