"""GPS pings as plain numpy columns: the one place where tables, data frames and files become kernel input.

Stay detection runs in a compiled kernel that wants flat arrays sorted by person, then time. Every accepted
input (pandas, Arrow, a CSV/Parquet file in the ``gps`` feed format, GeoLife ``.plt`` files) is checked here
against :data:`izquvar.formats.GPS`, so a bad table fails with a message naming the column and row, not with a
numba type error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from izquvar.errors import InvalidInput
from izquvar.formats import GPS
from izquvar.mobility import _kernels
from izquvar.mobility.geolife import is_geolife, read_geolife_path

#: The columns stay detection reads; ``accuracy_m`` only takes part in recognising duplicate pings.
PING_COLUMNS = ("person", "time", "lat", "lon", "accuracy_m")

_PARQUET_SUFFIXES = (".parquet", ".pq")

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
ArrowColumn: TypeAlias = "pa.ChunkedArray[Any] | pa.Array[Any]"
TimeUnit = Literal["s", "ms", "us", "ns"]
#: Nanoseconds per tick of each Arrow/pandas time unit.
NS_PER_UNIT: dict[str, int] = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


@dataclass(frozen=True)
class Pings:
    """Pings as columns in input order; ``person_code`` ranks the sorted ``persons``: output sorts by them."""

    #: The distinct person identifiers, sorted by code point.
    persons: pa.StringArray
    person_code: IntArray
    #: Time since the epoch (UTC) in ticks of ``time_unit``: thresholds are converted, not the times.
    ticks: IntArray
    lat: FloatArray
    lon: FloatArray
    accuracy_m: FloatArray
    #: Unit of the input's time column (``s``, ``ms``, ``us`` or ``ns``): the output keeps it.
    time_unit: TimeUnit

    def __len__(self) -> int:
        return len(self.ticks)


def _missing(columns: list[str], source: str) -> None:
    for name in PING_COLUMNS:
        if name not in columns:
            raise InvalidInput(
                f"{source}: missing column {name!r}; GPS pings need the columns {', '.join(PING_COLUMNS)}."
            )


def _to_numpy(values: ArrowColumn) -> npt.NDArray[np.generic]:
    if isinstance(values, pa.ChunkedArray):
        return values.to_numpy()
    return values.to_numpy(zero_copy_only=False)


def _first_bad_row(bad: npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(bad)[0])


def _check_coordinates(lat: FloatArray, lon: FloatArray, source: str) -> None:
    """Refuse missing, non-finite or out-of-range coordinates: the great-circle distance would be garbage."""
    if _kernels.coordinates_out_of_range(lat, lon) < 0:
        return
    for name, values, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        bad = ~(np.abs(values) <= limit)  # also catches NaN
        if bad.any():
            row = _first_bad_row(bad)
            raise InvalidInput(
                f"{source}: row {row}, field {name!r}: {float(values[row])!r} is missing or outside ±{limit:g} degrees."
            )


def _person_codes(person: ArrowColumn, source: str) -> tuple[pa.StringArray, IntArray]:
    """Codes for person identifiers, ranked so that code order is identifier order.

    Only the heads of runs of equal identifiers are hashed (feeds arrive grouped by person), and only the
    few distinct identifiers are sorted.
    """
    if not (pa.types.is_string(person.type) or pa.types.is_large_string(person.type)):
        if pa.types.is_dictionary(person.type):
            person = person.cast(pa.string())
        else:
            raise InvalidInput(f"{source}: field 'person' must be text, not {person.type}.")
    if person.null_count:
        row = _first_bad_row(np.asarray(pc.is_null(person)))
        raise InvalidInput(f"{source}: row {row}, field 'person': missing person identifier.")
    flat: Any = person.combine_chunks() if isinstance(person, pa.ChunkedArray) else person
    starts = _kernels.string_run_starts(*_string_buffers(flat))
    encoded: Any = pc.dictionary_encode(flat.take(starts))
    dictionary: pa.StringArray = encoded.dictionary.cast(pa.string())
    run_codes = np.asarray(_to_numpy(encoded.indices), dtype=np.int64)
    order = np.asarray(pc.array_sort_indices(dictionary), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    run_lengths = np.diff(np.append(starts, len(flat)))
    return dictionary.take(order), np.repeat(rank[run_codes], run_lengths)


def _string_buffers(strings: Any) -> tuple[IntArray, npt.NDArray[np.uint8]]:
    """The offsets and bytes of an Arrow (large) string array, without copying."""
    _, offsets_buffer, data_buffer = strings.buffers()
    offset_type = np.int64 if pa.types.is_large_string(strings.type) else np.int32
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type)[strings.offset : strings.offset + len(strings) + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets.astype(np.int64, copy=False), data


def _float_column(values: ArrowColumn, name: str, source: str) -> FloatArray:
    if not (pa.types.is_floating(values.type) or pa.types.is_integer(values.type)):
        raise InvalidInput(f"{source}: field {name!r} must be a number, not {values.type}.")
    filled = pc.fill_null(values.cast(pa.float64()), pa.scalar(float("nan")))
    return np.asarray(_to_numpy(cast(ArrowColumn, filled)), dtype=np.float64)


def _time_column(values: ArrowColumn, source: str) -> tuple[IntArray, TimeUnit]:
    """Time as int64 ticks since the epoch, UTC; a time without a zone is refused: its meaning is unknown."""
    if not pa.types.is_timestamp(values.type):
        raise InvalidInput(f"{source}: field 'time' must be a timestamp, not {values.type}.")
    if values.type.tz is None:
        raise InvalidInput(
            f"{source}: field 'time' has no time zone; GPS times must be UTC (ISO 8601 with Z or an offset)."
        )
    if values.null_count:
        row = _first_bad_row(np.asarray(pc.is_null(values)))
        raise InvalidInput(f"{source}: row {row}, field 'time': missing time.")
    unit = cast(TimeUnit, values.type.unit)
    return np.asarray(_to_numpy(values.cast(pa.int64())), dtype=np.int64), unit


def pings_from_arrow(table: pa.Table, source: str = "pings") -> Pings:
    """Check an Arrow table against the GPS format and take its columns apart."""
    _missing(table.column_names, source)
    persons, codes = _person_codes(table.column("person"), source)
    ticks, unit = _time_column(table.column("time"), source)
    lat = _float_column(table.column("lat"), "lat", source)
    lon = _float_column(table.column("lon"), "lon", source)
    _check_coordinates(lat, lon, source)
    accuracy = _float_column(table.column("accuracy_m"), "accuracy_m", source)
    return Pings(persons, codes, ticks, lat, lon, accuracy, unit)


def pings_from_pandas(frame: pd.DataFrame, source: str = "pings") -> Pings:
    """Check a data frame against the GPS format; times must be timezone-aware (any zone, read as instants).

    Columns go to Arrow (zero-copy for numbers, times and Arrow-backed strings), so pandas and Arrow input
    share one validation path and one set of messages.
    """
    _missing([str(c) for c in frame.columns], source)
    columns = {}
    for name in PING_COLUMNS:
        try:
            # NaN stays NaN in number columns (caught by the range check) rather than costing a null scan.
            columns[name] = pa.array(frame[name], from_pandas=name in ("person", "time"))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise InvalidInput(f"{source}: field {name!r} holds values of mixed or unusable types: {exc}") from exc
    return pings_from_arrow(pa.table(columns), source)


def _read_csv(path: Path) -> pa.Table:
    types = {c.name: c.arrow_type for c in GPS.columns}
    try:
        return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{path}: not a readable GPS CSV file: {exc}") from exc


def _read_parquet(path: Path) -> pa.Table:
    try:
        schema = pq.read_schema(path)
        _missing(schema.names, str(path))
        return pq.read_table(path, columns=list(PING_COLUMNS))
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path}: not a readable Parquet file: {exc}") from exc


def read_gps_file(path: Path) -> pa.Table:
    """One GPS feed file (CSV or Parquet) as an Arrow table; its columns are checked by the caller."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in _PARQUET_SUFFIXES:
        return _read_parquet(path)
    raise InvalidInput(f"{path}: unknown file format {suffix!r}; expected .csv, .parquet or GeoLife .plt.")


def read_pings_path(path: Path) -> pa.Table:
    """A GPS CSV/Parquet file, a directory of them, or GeoLife data (root, user folder or ``.plt`` file)."""
    if not path.exists():
        raise InvalidInput(f"{path}: no such file or directory.")
    if is_geolife(path):
        return read_geolife_path(path)
    if path.is_file():
        return read_gps_file(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", *_PARQUET_SUFFIXES))
    if not files:
        raise InvalidInput(f"{path}: directory holds no GPS CSV/Parquet files and is not a GeoLife directory.")
    tables = []
    for file in files:
        table = read_gps_file(file)
        _missing(table.column_names, str(file))
        tables.append(table.select(list(PING_COLUMNS)))
    try:
        return pa.concat_tables(tables, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise InvalidInput(f"{path}: the GPS files in this directory disagree on column types: {exc}") from exc
