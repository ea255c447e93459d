"""Small typed wrappers over pyarrow calls whose stubs are stricter than pyarrow itself."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def schema(*fields: pa.Field[Any]) -> pa.Schema:
    """A schema from fields (the stubs mistype a list of fields)."""
    return pa.schema(list(fields))


def values(table: pa.Table, column: str) -> list[Any]:
    """A column as Python values (non-null by the schema where the caller relies on it)."""
    return table.column(column).to_pylist()


def where(table: pa.Table, column: str, value: str) -> pa.Table:
    """The rows whose ``column`` equals ``value``."""
    mask = pc.equal(table.column(column), pa.scalar(value, pa.string()))
    return table.filter(mask)
