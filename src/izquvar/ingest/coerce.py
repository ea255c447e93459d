"""Bring a file's columns to the contract's types, rejecting only the values that do not parse.

Text columns (CSV, GeoJSON, text in Parquet) are parsed with DuckDB's ``TRY_CAST`` so one bad value costs
one reject, not the file. Typed Parquet columns are cast only when the cast loses nothing (int → float,
ns → us); a column whose type contradicts the contract (e.g. timestamps without a time zone, which could be
Tashkent local time) fails the ingest instead of shifting every record by five hours.
"""

from __future__ import annotations

from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import IngestFailed
from izquvar.formats import Column, Kind
from izquvar.ingest.problems import ProblemSet, Reason
from izquvar.ingest.readers import RawFeed

_SQL_TYPES = {"timestamp": "TIMESTAMPTZ", "date": "DATE", "float": "DOUBLE", "int": "BIGINT"}
#: An ISO 8601 date-time that states its offset from UTC.
_ZONED_TIME = r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|z|[+-]\d{2}(:?\d{2})?)\s*$"
#: Text shapes checked before casting: DuckDB would round "3.7" to the integer 4 and read a
#: date-time as a date.
_SHAPES = {"date": r"^\s*\d{4}-\d{2}-\d{2}\s*$", "int": r"^\s*[-+]?\d+\s*$"}
_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no")


def coerce(feed: RawFeed, kind: Kind, problems: ProblemSet) -> pa.Table:
    """The feed in the kind's Arrow schema (absent optional columns: nulls); bad values → ``problems``."""
    columns: dict[str, pa.Array[Any] | pa.ChunkedArray[Any]] = {}
    empty: Any
    for column in kind.columns:
        if column.name in feed.table.column_names:
            raw = feed.table.column(column.name)
            # Already the contract's type (typed Parquet, typed CSV read): kept as is, no copy.
            columns[column.name] = (
                raw if raw.type == column.arrow_type else _coerce_column(feed, column, raw.combine_chunks(), problems)
            )
        else:
            empty = pa.nulls(feed.table.num_rows, column.arrow_type)  # type: ignore[call-overload]
            columns[column.name] = empty
    schema = pa.schema([pa.field(c.name, c.arrow_type) for c in kind.columns])
    return pa.Table.from_arrays([columns[c.name] for c in kind.columns], schema=schema)


def _coerce_column(feed: RawFeed, column: Column, raw: Any, problems: ProblemSet) -> pa.Array[Any]:
    """One column in its contract type; ``raw`` is whatever Arrow array the file held."""
    target = column.arrow_type
    if raw.type == target:
        return cast("pa.Array[Any]", raw)
    if pa.types.is_dictionary(raw.type):
        raw = raw.dictionary_decode()
    if pa.types.is_large_string(raw.type):
        raw = raw.cast(pa.string())
    if pa.types.is_string(raw.type):
        return _parse_text(column, raw, problems)
    if pa.types.is_null(raw.type):
        nulls: pa.Array[Any] = pa.nulls(len(raw), target)  # type: ignore[call-overload]
        return nulls
    if pa.types.is_timestamp(raw.type) and column.type == "timestamp" and raw.type.tz is None:
        raise IngestFailed(
            f"{feed.path}: column {column.name} holds timestamps without a time zone; "
            "the feed contract requires UTC (timestamp with tz=UTC)."
        )
    try:
        return cast("pa.Array[Any]", pc.cast(raw, target, safe=True))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise IngestFailed(
            f"{feed.path}: column {column.name} has type {raw.type}, which cannot be read as {column.type} ({exc})."
        ) from exc


def _parse_text(column: Column, raw: pa.Array[Any], problems: ProblemSet) -> pa.Array[Any]:
    """Text values parsed to the column's type; each value that does not parse becomes a problem."""
    # pyarrow.compute's stubs cannot follow boolean masks through if_else/and_; the arrays are typed Any here.
    stripped: Any = pc.utf8_trim_whitespace(raw)
    present: Any = pc.fill_null(pc.not_equal(stripped, pa.scalar("")), False)
    text: Any = pc.if_else(present, stripped, pa.scalar(None, pa.string()))
    parsed: Any
    shape_ok: Any
    no_zone: Any
    if column.type == "string":
        return cast("pa.Array[Any]", text)
    if column.type == "bool":
        lowered = pc.utf8_lower(text)
        parsed = pc.if_else(
            pc.is_in(lowered, pa.array(_TRUE)),
            True,
            pc.if_else(pc.is_in(lowered, pa.array(_FALSE)), False, pa.scalar(None, pa.bool_())),
        )
        problems.add(
            pc.and_(present, pc.is_null(parsed)),
            column.name,
            Reason.UNPARSEABLE,
            "not a boolean (true/false)",
            raw,
        )
        return cast("pa.Array[Any]", parsed)
    shape_ok = present
    if column.type == "timestamp":
        zoned: Any = pc.match_substring_regex(text, _ZONED_TIME)
        dated: Any = pc.match_substring_regex(text, r"^\s*\d{4}-\d{2}-\d{2}")
        naive: Any = pc.and_(pc.and_(present, pc.fill_null(dated, False)), pc.invert(pc.fill_null(zoned, False)))
        naive_local: Any = pc.match_substring_regex(text, r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*$")
        no_zone = pc.and_(naive, pc.fill_null(naive_local, False))
        problems.add(
            no_zone,
            column.name,
            Reason.NO_TIMEZONE,
            "time without Z or a UTC offset (times must be UTC)",
            raw,
        )
        shape_ok = pc.and_(present, pc.fill_null(zoned, False))
    elif column.type in _SHAPES:
        shape_ok = pc.and_(present, pc.fill_null(pc.match_substring_regex(text, _SHAPES[column.type]), False))
        no_zone = None
    else:
        no_zone = None
    candidate = pc.if_else(shape_ok, text, pa.scalar(None, pa.string()))
    parsed = _try_cast(candidate, column)
    failed: Any = pc.and_(present, pc.is_null(parsed))
    if no_zone is not None:
        failed = pc.and_(failed, pc.invert(no_zone))
    problems.add(failed, column.name, Reason.UNPARSEABLE, f"not a valid {column.type}", raw)
    return cast("pa.Array[Any]", parsed)


def _try_cast(text: pa.Array[Any], column: Column) -> pa.Array[Any]:
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        source = pa.table({"v": text})
        connection.register("source", source)
        result = connection.sql(f"SELECT TRY_CAST(v AS {_SQL_TYPES[column.type]}) AS v FROM source")
        parsed = result.to_arrow_table().column("v").combine_chunks()
    finally:
        connection.close()
    return cast("pa.Array[Any]", pc.cast(parsed, column.arrow_type))
