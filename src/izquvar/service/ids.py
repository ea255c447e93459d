"""The one type of a record id in a URL path or a query filter, so every id refuses what no database could hold.

Without a bound, ``/persons/99999999999999999999`` reaches the database driver and fails there: a 500 for what is
a bad request. With it, FastAPI answers 422 naming the field.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

#: The largest id the tables' ``Integer`` primary keys hold on PostgreSQL (``integer``, 32-bit signed; SQLite's
#: are 64-bit). A table whose ids may pass two billion needs ``BigInteger`` and a wider bound here.
MAX_ID = 2**31 - 1

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="the record's id")]
#: A filter by a record's id (``?actor_id=``); ``None`` when absent.
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
