"""Read one feed file (CSV, Parquet or GeoJSON) into an Arrow table with each row's place in the file.

Readers do not judge values: a CSV is first read with the contract's types (fast) and, when some value
does not parse, re-read as text so that :mod:`izquvar.ingest.coerce` can reject only the bad rows. Only a
file that cannot be read at all, or lacks a required column, fails the ingest.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from izquvar.errors import IngestFailed
from izquvar.formats import Kind, file_format

_TRUE = ("true", "True", "TRUE", "1", "yes", "Yes", "YES")
_FALSE = ("false", "False", "FALSE", "0", "no", "No", "NO")


@dataclass(frozen=True)
class MalformedRow:
    """A CSV line that could not be split into the header's columns."""

    row: int
    line: int
    text: str
    detail: str


@dataclass
class RawFeed:
    """A feed file's columns (only those the kind knows) and where each row came from.

    ``rows`` are 1-based data-row numbers; ``lines`` the physical line (CSV only, header is line 1).
    """

    path: Path
    format: str
    table: pa.Table
    rows: np.ndarray
    lines: np.ndarray | None
    malformed: list[MalformedRow] = field(default_factory=list)
    ignored_columns: tuple[str, ...] = ()


def read_feed(path: Path, kind: Kind) -> RawFeed:
    """Read a feed file of ``kind``; raises :class:`IngestFailed` when the file itself is unusable."""
    fmt = file_format(path)
    try:
        if fmt == "csv":
            return _read_csv(path, kind)
        if fmt == "parquet":
            return _read_parquet(path, kind)
        if "geojson" not in kind.extra_formats:
            raise IngestFailed(f"{path}: {kind.name} feeds come as CSV or Parquet, not GeoJSON.")
        return _read_geojson(path, kind)
    except IngestFailed:
        raise
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise IngestFailed(f"{path}: cannot read this {fmt} file: {exc}") from exc


def _check_columns(path: Path, kind: Kind, present: list[str]) -> tuple[list[str], tuple[str, ...]]:
    missing = [c.name for c in kind.columns if c.required and c.name not in present]
    if missing:
        raise IngestFailed(
            f"{path}: required column(s) {', '.join(missing)} missing for a {kind.name} feed; "
            f"found {', '.join(present) or 'none'}."
        )
    known = [c for c in present if c in kind.column_by_name]
    return known, tuple(c for c in present if c not in kind.column_by_name)


def _csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    if not first.strip():
        raise IngestFailed(f"{path}: empty file or no header row.")
    return [name.strip() for name in next(csv.reader([first]))]


def _read_csv(path: Path, kind: Kind) -> RawFeed:
    header = _csv_header(path)
    known, ignored = _check_columns(path, kind, header)
    malformed: list[MalformedRow] = []

    def on_invalid(row: pcsv.InvalidRow) -> Literal["skip", "error"]:
        # pyarrow numbers physical lines from 1 (header = line 1) when values hold no newlines.
        line = int(row.number) if row.number is not None else -1
        malformed.append(
            MalformedRow(
                row=line - 1,
                line=line,
                text=row.text,
                detail=f"expected {row.expected_columns} fields, found {row.actual_columns}",
            )
        )
        return "skip"

    def read(typed: bool, threads: bool = True) -> pa.Table:
        malformed.clear()
        types: dict[str, pa.DataType] = {
            c: (kind.column_by_name[c].arrow_type if typed else pa.string()) for c in known
        }
        return pcsv.read_csv(
            path,
            read_options=pcsv.ReadOptions(column_names=header, skip_rows=1, use_threads=threads),
            parse_options=pcsv.ParseOptions(invalid_row_handler=on_invalid, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=types,
                include_columns=known,
                strings_can_be_null=True,
                # Only an empty field is missing: "NA" or "null" could be an identifier, "nan" a bad number.
                null_values=[""],
                true_values=list(_TRUE),
                false_values=list(_FALSE),
            ),
        )

    try:
        table = read(typed=True)
    except pa.ArrowInvalid:
        table = read(typed=False)
    if any(m.line < 0 for m in malformed):
        # The parallel reader cannot number malformed lines; read again serially to say where they are.
        try:
            table = read(typed=True, threads=False)
        except pa.ArrowInvalid:
            table = read(typed=False, threads=False)
    skipped = np.array(sorted(m.row for m in malformed), dtype=np.int64)
    all_rows = np.arange(1, table.num_rows + len(malformed) + 1, dtype=np.int64)
    rows = np.setdiff1d(all_rows, skipped, assume_unique=True) if len(skipped) else all_rows
    return RawFeed(path, "csv", table, rows, rows + 1, malformed, ignored)


def _read_parquet(path: Path, kind: Kind) -> RawFeed:
    schema = pq.read_schema(path)
    known, ignored = _check_columns(path, kind, list(schema.names))
    table = pq.read_table(path, columns=known)
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawFeed(path, "parquet", table, rows, None, [], ignored)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_geojson(path: Path, kind: Kind) -> RawFeed:
    """Features become rows; point geometries fill lat/lon, any geometry fills ``geometry_wkt``."""
    import shapely.geometry

    body = json.loads(path.read_bytes())
    features = body.get("features") if isinstance(body, dict) else None
    if not isinstance(features, list):
        raise IngestFailed(f"{path}: not a GeoJSON FeatureCollection.")
    names = [c.name for c in kind.columns]
    records: dict[str, list[str | None]] = {n: [] for n in names}
    for feature in features:
        props = feature.get("properties") or {} if isinstance(feature, dict) else {}
        geometry = feature.get("geometry") if isinstance(feature, dict) else None
        derived: dict[str, str | None] = {}
        if geometry:
            try:
                shape = shapely.geometry.shape(geometry)
            except (ValueError, TypeError, AttributeError, KeyError):
                shape = None
            if shape is not None and "geometry_wkt" in records:
                derived["geometry_wkt"] = shape.wkt
            if shape is not None and shape.geom_type == "Point" and "lat" in records:
                derived["lat"], derived["lon"] = repr(shape.y), repr(shape.x)
        for name in names:
            records[name].append(_text(props.get(name, derived.get(name))))
    present = [n for n in names if any(v is not None for v in records[n])]
    known, _ = _check_columns(path, kind, present)
    table = pa.table({n: pa.array(records[n], type=pa.string()) for n in known})
    rows = np.arange(1, table.num_rows + 1, dtype=np.int64)
    return RawFeed(path, "geojson", table, rows, None, [], ())
