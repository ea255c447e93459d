"""The Spark session izquvar makes: UTC, few shuffle partitions on a local master, a clear error for a bad URL."""

from __future__ import annotations

from typing import Any

import pytest

from izquvar.errors import InvalidInput
from izquvar.spark.session import _local_cores, spark_session


def test_the_session_runs_in_utc_with_few_local_shuffle_partitions(spark: Any) -> None:
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    assert spark.conf.get("spark.sql.shuffle.partitions") == "4"  # local[2]: two per core
    assert spark.sql("SELECT CAST(TIMESTAMP '2026-03-02 00:00:00' AS LONG) AS t").first()["t"] == 1_772_409_600


@pytest.mark.parametrize(("master", "cores"), [("local", 1), ("local[3]", 3), ("local[2,4]", 2)])
def test_local_masters_run_on_their_cores(master: str, cores: int) -> None:
    assert _local_cores(master) == cores


@pytest.mark.parametrize("master", ["", "   ", "local[two]"])
def test_a_bad_master_is_refused_with_the_option_named(master: str) -> None:
    with pytest.raises(InvalidInput, match="--master"):
        spark_session(master)
