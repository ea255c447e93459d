"""The SparkSession izquvar runs on: local by default, any master URL for a cluster.

Why these settings: timestamps are instants in UTC everywhere in izquvar, so the session's time zone is UTC (a
session in Tashkent local time would shift every day partition by five hours); a local run shuffles into a few
partitions rather than Spark's 200, which on a laptop cost more in task overhead than the data itself; Arrow
carries the pandas UDFs' batches (stays, placement) without a row-by-row conversion.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from izquvar.errors import InvalidInput

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DEFAULT_MASTER = "local[*]"
#: Errors only, to stderr: Spark's default profile logs every stage.
_LOG4J = Path(__file__).with_name("log4j2.properties")
#: Shuffle partitions of a local master, per core it runs on (a cluster keeps Spark's default or its own).
LOCAL_PARTITIONS_PER_CORE = 2


def spark_session(
    master: str = DEFAULT_MASTER,
    app_name: str = "izquvar",
    *,
    shuffle_partitions: int | None = None,
    log_level: str = "ERROR",
    config: dict[str, str] | None = None,
) -> SparkSession:
    """A SparkSession on ``master`` (``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``...), in UTC,
    with Arrow-backed pandas UDFs and few shuffle partitions on a local master. ``config`` adds or overrides
    Spark settings. An existing session of this process is reused (Spark allows one per JVM)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise InvalidInput("the Spark engine needs PySpark: pip install 'izquvar[spark]'") from exc
    if not master.strip():
        raise InvalidInput("--master: a Spark master URL is required (e.g. local[*] or spark://host:7077)")
    # the Python workers must run the interpreter (and so the packages) of the driver
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    java_options = f"-Duser.timezone=UTC -Dlog4j2.configurationFile={_LOG4J.as_uri()}"
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.pythonUDF.arrow.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.extraJavaOptions": java_options,
        "spark.executor.extraJavaOptions": java_options,
    }
    if master.startswith("local"):
        settings["spark.driver.host"] = "127.0.0.1"  # a laptop's hostname may resolve to nothing useful
        settings["spark.driver.bindAddress"] = "127.0.0.1"
        partitions = shuffle_partitions or LOCAL_PARTITIONS_PER_CORE * _local_cores(master)
        settings["spark.sql.shuffle.partitions"] = str(partitions)
        settings["spark.default.parallelism"] = str(partitions)
    elif shuffle_partitions is not None:
        settings["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    settings.update(config or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel(log_level)
    return session


def _local_cores(master: str) -> int:
    """The cores a ``local``, ``local[N]``, ``local[*]`` or ``local[N,F]`` master runs on."""
    inside = master[len("local[") : -1] if master.startswith("local[") and master.endswith("]") else ""
    count = inside.split(",", 1)[0].strip()
    if master == "local":
        return 1
    if count == "*" or not count:
        return os.cpu_count() or 1
    try:
        return max(1, int(count))
    except ValueError:
        raise InvalidInput(f"--master: {master!r} is not a local master URL (local, local[N] or local[*])") from None
