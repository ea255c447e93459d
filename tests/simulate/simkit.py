"""Helpers for the simulator tests: the small configuration and reading a written kind back."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from izquvar.simulate import SimConfig

SMALL = SimConfig(people=2_000, days=3, seed=7, index_cases=20)


def read_kind(out: Path, name: str) -> pa.Table:
    """All rows of a written kind (a reference file or a day-partitioned directory) as one Parquet table."""
    single = out / f"{name}.parquet"
    if single.exists():
        return pq.ParquetFile(single).read()
    files = sorted((out / name).glob("day=*/part-0.parquet"))
    return pa.concat_tables([pq.ParquetFile(f).read() for f in files])
