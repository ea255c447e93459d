"""Writes feeds and truth to disk in the layout ingest reads, streaming day by day.

Event kinds go to ``OUT/<kind>/day=YYYY-MM-DD/part-0.<ext>``, partitioned by the UTC date of their time
column (a date column is its own partition); reference kinds to ``OUT/<kind>.<ext>``; truth under
``OUT/truth/``. A simulated day is a local Tashkent day (UTC+5), so a UTC date is complete, and written, once
the following local day has been simulated. CSV times are ISO 8601 UTC with ``Z``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from izquvar.errors import InvalidInput

_EPOCH = dt.date(1970, 1, 1)


def _to_csv_ready(table: pa.Table) -> pa.Table:
    """Timestamps as ``YYYY-MM-DDTHH:MM:SSZ`` strings; everything else as Arrow writes it."""
    columns: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        value: Any = column
        if pa.types.is_timestamp(column.type):
            seconds: Any = column.cast(pa.timestamp("s", tz="UTC"), safe=False)
            value = pc.strftime(seconds, format="%Y-%m-%dT%H:%M:%SZ")
        columns[name] = value
    return pa.table(columns)


def write_table(table: pa.Table, path: Path, fmt: str) -> None:
    """Write one file (parent directories created); deterministic bytes for equal tables."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        pq.write_table(table, path, compression="zstd", compression_level=3)
    elif fmt == "csv":
        pacsv.write_csv(_to_csv_ready(table), path)
    else:
        raise InvalidInput(f"simulate: unknown output format {fmt!r}")


class PartitionedWriter:
    """Streams event tables into one file per (kind, UTC date), closing each date once it can no longer grow.

    Rows are appended as they are produced (a Parquet row group or a block of CSV lines per call), so memory
    holds no more than the table being written, however large the day's feeds are.
    """

    def __init__(self, root: Path, fmt: str) -> None:
        self.root = root
        self.fmt = fmt
        self.ext = "parquet" if fmt == "parquet" else "csv"
        self._open: dict[tuple[str, dt.date], pq.ParquetWriter | pacsv.CSVWriter] = {}
        self.rows: dict[str, int] = defaultdict(int)
        self.files: dict[str, int] = defaultdict(int)

    def reference(self, name: str, table: pa.Table) -> None:
        """A reference table written once (``OUT/<name>.<ext>``)."""
        write_table(table, self.root / f"{name}.{self.ext}", self.fmt)
        self.rows[name] += table.num_rows
        self.files[name] += 1

    def add(self, name: str, table: pa.Table, partition_column: str) -> None:
        """Append rows of event table ``name`` to the files of the UTC dates of ``partition_column``."""
        if table.num_rows == 0:
            return
        column = table.column(partition_column)
        if pa.types.is_timestamp(column.type):
            day_numbers = pc.cast(pc.divide(pc.cast(column, pa.int64()), 86_400_000_000), pa.int64())
        else:
            day_numbers = pc.cast(column, pa.int32()).cast(pa.int64())
        # simulated times are after 1970, so truncating division is the floor
        numbers: Any = day_numbers
        unique = [int(n) for n in pc.unique(numbers).to_pylist() if n is not None]
        for number in sorted(unique):
            part = table if len(unique) == 1 else table.filter(pc.equal(numbers, pa.scalar(number, pa.int64())))
            self._writer(name, _EPOCH + dt.timedelta(days=number), part.schema).write_table(
                part if self.fmt == "parquet" else _to_csv_ready(part)
            )
            self.rows[name] += part.num_rows

    def _writer(self, name: str, date: dt.date, schema: pa.Schema) -> pq.ParquetWriter | pacsv.CSVWriter:
        key = (name, date)
        if key not in self._open:
            path = self.root / name / f"day={date.isoformat()}" / f"part-0.{self.ext}"
            if path.exists():
                raise InvalidInput(f"simulate: {path} would be written twice (output directory reused?)")
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.fmt == "parquet":
                self._open[key] = pq.ParquetWriter(path, schema, compression="zstd", compression_level=3)
            else:
                self._open[key] = pacsv.CSVWriter(path, _to_csv_ready(schema.empty_table()).schema)
            self.files[name] += 1
        return self._open[key]

    def flush(self, before: dt.date | None = None) -> None:
        """Close every date earlier than ``before`` (all of them when ``None``)."""
        for key in sorted(k for k in self._open if before is None or k[1] < before):
            self._open.pop(key).close()
