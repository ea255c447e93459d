"""The embedded store's tables as Spark DataFrames: the Parquet files its manifest lists, read with the stored
schema, so Spark sees exactly what ``store.table`` gives (a killed ingest's unlisted files never, an empty
table with its columns).

Why the manifest and not a glob: the manifest is the storage truth (docs/store.md); a directory may hold a
batch's files a moment before its commit, or replaced ones a moment after.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from izquvar.errors import NotFound
from izquvar.formats import stored_schema
from izquvar.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType


def open_for_reading(path: Path) -> EmbeddedStore:
    """The embedded store at ``path``, which must exist (Spark reads it; it never creates one)."""
    if not (Path(path) / "store.json").is_file():
        raise NotFound(f"{path}: not an izquvar store (no store.json)")
    return EmbeddedStore.open(path, create=False)


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of an Arrow schema (timestamps with a zone → ``TimestampType``)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    result: StructType = from_arrow_schema(schema)
    return result


def read_table(spark: SparkSession, store: EmbeddedStore, kind: str, columns: list[str] | None = None) -> DataFrame:
    """A stored table (feed kind, ``stays`` or ``rejects``) as a DataFrame of the manifest's live files."""
    schema = stored_schema(kind)
    files = [str(path) for path in store.files(kind)]
    if files:
        frame = spark.read.schema(spark_schema(schema)).parquet(*files)
    else:
        frame = spark.createDataFrame([], spark_schema(schema))
    return frame.select(*(columns or schema.names))


def arrow_of(frame: DataFrame) -> pa.Table:
    """A (small) DataFrame collected to the driver as Arrow: what tests and the CLI compare and print."""
    table: Any = frame.toArrow() if hasattr(frame, "toArrow") else pa.Table.from_pandas(frame.toPandas())
    return table if isinstance(table, pa.Table) else pa.table(table)
