"""What ``store.sql`` (``izquvar sql``) may run: one read-only statement over the store's views.

Ad-hoc SQL is a door into the most sensitive data: unguarded, DuckDB's ``COPY (…) TO '<file>'``,
``read_csv_auto('<file>')``, ``ATTACH`` or ``INSTALL`` reach anything the user running izquvar can reach. Two
locks, each enough for the common attacks, so that one mistake does not open the door:

1. **The statement.** ``duckdb.extract_statements`` parses the query; exactly one statement, and only a
   ``SELECT`` (which is also how DuckDB parses ``WITH … SELECT``, ``FROM t``, ``VALUES``, ``DESCRIBE``, ``SHOW``
   and ``SUMMARIZE``). ``--allow-files`` adds ``COPY`` for the data owner. Everything else (``ATTACH``, ``SET``,
   ``PRAGMA``, ``INSTALL``/``LOAD``, ``CREATE``, ``EXPORT``, ``CALL``, ``EXPLAIN``…) is refused before DuckDB runs.
2. **DuckDB's own file access** (DuckDB's "Securing DuckDB" page). After the store's views exist,
   ``allowed_paths`` lists exactly the Parquet files the manifest names (files, not the store directory,
   so not even a ``COPY`` could write into the store), ``enable_external_access`` goes off (no other file,
   no network, no extension), and ``lock_configuration`` goes on, so no statement can ``SET`` any of it
   back. Extensions are never installed or loaded automatically, with or without ``--allow-files``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb

from izquvar.errors import Forbidden, InvalidInput

#: What a statement of each refused kind could do, for the message that refuses it.
_WHY = {
    "COPY": "read or write files",
    "COPY_DATABASE": "copy a database into files",
    "EXPORT": "write the database to files",
    "ATTACH": "open another database file",
    "DETACH": "change the attached databases",
    "SET": "change DuckDB's settings (file access among them)",
    "VARIABLE_SET": "change DuckDB's settings",
    "PRAGMA": "change DuckDB's settings or run a command",
    "LOAD": "install or load an extension",
    "EXTENSION": "install or load an extension",
    "CALL": "run a table function outside a SELECT",
    "EXPLAIN": "run the query it explains (EXPLAIN ANALYZE executes it)",
}
_READ_ONLY = frozenset({duckdb.StatementType.SELECT})
_WITH_FILES = _READ_ONLY | {duckdb.StatementType.COPY}
_ALLOWED_TEXT = "SELECT (also WITH … SELECT, FROM t, VALUES, DESCRIBE, SHOW, SUMMARIZE)"


def one_statement(query: str, *, allow_files: bool = False) -> Any:
    """The query's one statement (a ``duckdb.Statement``) when it is a read-only one (or, with ``allow_files``,
    a ``COPY``); ``InvalidInput`` when it is not one parsable statement, ``Forbidden`` when it is refused."""
    try:
        statements = duckdb.extract_statements(query)
    except duckdb.Error as exc:
        raise InvalidInput(f"SQL failed: {exc}") from exc
    if not statements:
        raise InvalidInput("SQL failed: the query is empty; give one SELECT statement.")
    if len(statements) > 1:
        raise InvalidInput(
            f"SQL failed: izquvar sql runs one statement at a time and this query has {len(statements)}; "
            "run each on its own."
        )
    statement = statements[0]
    if statement.type not in (_WITH_FILES if allow_files else _READ_ONLY):
        raise Forbidden(_refusal(statement.type, allow_files))
    return statement


def _refusal(kind: Any, allow_files: bool) -> str:
    name = str(kind.name)
    why = _WHY.get(name, "change the database")
    allowed = _ALLOWED_TEXT + (" and COPY" if allow_files else "")
    hint = (
        " The store's owner may write query results to a file with --allow-files."
        if name == "COPY" and not allow_files
        else ""
    )
    return f"refused the {name} statement: it could {why}. izquvar sql runs one read-only statement: {allowed}.{hint}"


def lock_down(connection: Any, allowed_paths: Sequence[str], *, allow_files: bool = False) -> None:
    """Close ``connection`` (whose views already exist) around the store's own files: no extension ever
    loads; unless ``allow_files``, no file but ``allowed_paths`` opens; then no setting can change again."""
    for setting in ("autoinstall_known_extensions", "autoload_known_extensions", "allow_community_extensions"):
        connection.execute(f"SET {setting} = false")
    if not allow_files:
        connection.execute("SET allowed_paths = ?", [list(allowed_paths)])
        connection.execute("SET enable_external_access = false")
    connection.execute("SET lock_configuration = true")


def refused_access(exc: duckdb.Error) -> Forbidden:
    """The error for a query that DuckDB stopped at a file (or extension) outside the store."""
    return Forbidden(
        f"refused: the query reaches outside the store ({exc}). izquvar sql reads only the store's own tables, "
        "with DuckDB's file access off; the store's owner may pass --allow-files to read or write files."
    )
