"""Fixtures of the Spark engine's tests: one local Spark session for the whole run, and a small simulated city
ingested into an embedded store, whose stays and tracer are what Spark must reproduce.

Why one session: a JVM takes seconds to start and Spark allows one session per process, so every Spark test
(tests/spark, the CLI's and the benchmark's) shares it. Without PySpark or Java the tests skip on a laptop;
``.ci/run`` installs both, and there (IZQUVAR_REQUIRE_SHARED=1) a skip is a failure.
"""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from izquvar import open_store
from izquvar.config import Settings
from izquvar.simulate import SimConfig, simulate
from izquvar.spark.layout import open_for_reading
from izquvar.store.embedded import EmbeddedStore

#: The tests' pseudonym key (as tests/ingest/feedkit.py's; never the environment's).
TEST_KEY = "test-key-0123456789abcdef0123456789"
#: Small enough for seconds of Spark on two cores, large enough that people meet (hundreds of encounters).
CITY = SimConfig(people=600, days=3, seed=7)


@dataclass(frozen=True)
class City:
    """A simulated city ingested into an embedded store."""

    sim: Path
    store_path: Path
    #: The embedded store itself (what the Spark engine reads), not the tracing wrapper ``open_store`` gives.
    store: EmbeddedStore


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] Spark session for the whole test run (skips where PySpark or Java is missing)."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("PySpark is not installed (pip install 'izquvar[spark]'): Spark test skipped")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (Spark needs Java 17+): Spark test skipped")
    from izquvar.spark import spark_session

    session = spark_session("local[2]", "izquvar-tests")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def spark_city(tmp_path_factory: pytest.TempPathFactory) -> City:
    """:data:`CITY` simulated and ingested (every feed) into an embedded store, once per run."""
    root = tmp_path_factory.mktemp("spark-city")
    simulate(CITY, root / "sim")
    store = open_store(root / "store", settings=Settings(pseudonym_key=TEST_KEY))
    store.ingest(sorted(p for p in (root / "sim").iterdir() if p.name not in ("truth", "simulation.json")))
    return City(root / "sim", root / "store", open_for_reading(root / "store"))


@pytest.fixture(scope="session")
def spark_city_tracer(spark_city: City) -> Any:
    """The embedded tracer of :func:`spark_city` (its stay index and rules), loaded once: what Spark must match."""
    from izquvar.trace.tracer import Tracer

    return Tracer(spark_city.store)
