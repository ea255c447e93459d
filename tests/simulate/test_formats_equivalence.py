"""CSV and Parquet outputs of the same run hold the same data."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from izquvar.formats import KINDS
from izquvar.simulate import ALL_SOURCES, SimSummary


def _read_csv(path: Path, schema: pa.Schema) -> pa.Table:
    options = pacsv.ConvertOptions(column_types={f.name: f.type for f in schema}, strings_can_be_null=False)
    table = pacsv.read_csv(path, convert_options=options)
    # empty strings are nulls in optional string columns
    columns = []
    for f in schema:
        column = table.column(f.name)
        if f.nullable and pa.types.is_string(f.type):
            column = pa.chunked_array([pa.array([v if v != "" else None for v in column.to_pylist()], pa.string())])
        columns.append(column.cast(f.type))
    return pa.Table.from_arrays(columns, schema=schema)


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_csv_equals_parquet(
    small_run: tuple[Path, SimSummary], small_csv_run: tuple[Path, SimSummary], name: str
) -> None:
    pq_out, pq_summary = small_run
    csv_out, csv_summary = small_csv_run
    assert pq_summary.rows == csv_summary.rows
    schema = KINDS[name].arrow_schema()
    if KINDS[name].reference:
        pairs = [(pq_out / f"{name}.parquet", csv_out / f"{name}.csv")]
    else:
        pairs = [
            (p, csv_out / name / p.parent.name / "part-0.csv") for p in sorted((pq_out / name).glob("day=*/*.parquet"))
        ]
    for parquet_path, csv_path in pairs:
        expected = pq.ParquetFile(parquet_path).read()
        got = _read_csv(csv_path, schema)
        assert got.equals(expected.cast(schema)), f"{name}: {csv_path.name} differs"


def test_csv_times_are_iso_utc(small_csv_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_csv_run
    first = next((out / "gps").glob("day=*/part-0.csv"))
    line = first.read_text().splitlines()[1]
    time = line.split(",")[1].strip('"')
    assert len(time) == 20 and time[10] == "T" and time.endswith("Z")
