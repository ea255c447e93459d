"""The PostGIS co-location engine: a :class:`StayIndex`'s stays in a PostgreSQL table, one SQL query per case.

Why: a PostgreSQL deployment keeps the stays in the database; this engine answers the same
:class:`~izquvar.trace.engine.EncounterQuery` as the grid, bit for bit, from a table of the index's own
integers (stay id = index position, person id, decimetres, index seconds) with a composite GiST index on
``(geom, during)``. psycopg 3 is imported only when an engine is made, so the embedded default never needs it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from izquvar.errors import InvalidInput, NotFound, StoreError
from izquvar.trace.engine import EncounterQuery, Encounters
from izquvar.trace.index import EPOCH, PROJECTION, StayIndex

if TYPE_CHECKING:
    import psycopg

DEFAULT_TABLE = "izquvar_stays"
FORMAT = "izquvar-postgis-stays"
FORMAT_VERSION = 1
#: Rows sent per COPY chunk (bounds the client's buffer).
_COPY_ROWS = 1_000_000
_INT32_MAX = int(np.iinfo(np.int32).max)

_CREATE = """
CREATE TABLE {table} (
    stay integer NOT NULL,
    pid integer NOT NULL,
    x integer NOT NULL,
    y integer NOT NULL,
    s integer NOT NULL,
    e integer NOT NULL,
    geom geometry(Point) GENERATED ALWAYS AS (ST_Point(x, y)) STORED,
    during int4range GENERATED ALWAYS AS (int4range(s, e, '[)')) STORED
)
"""

#: The case's stays clipped to the window, joined to everyone's by ``ST_DWithin`` and ``&&`` (both served by the
#: GiST index; the radius is widened by a decimetre and the exact integer test decides), the union of each
#: contact's overlaps by ``range_agg``, and the encounters of the contacts over the threshold.
_QUERY = """
WITH case_stays AS (
    SELECT stay, x, y, geom, during * int4range(%(w0)s::integer, %(w1)s::integer) AS during
    FROM {table}
    WHERE pid = %(pid)s::integer AND during && int4range(%(w0)s::integer, %(w1)s::integer)
),
pairs AS (
    SELECT o.pid, c.stay AS case_stay, o.stay AS contact_stay, c.during * o.during AS overlap,
           (o.x::bigint - c.x) * (o.x::bigint - c.x) + (o.y::bigint - c.y) * (o.y::bigint - c.y) AS d2
    FROM case_stays AS c
    JOIN {table} AS o ON ST_DWithin(o.geom, c.geom, %(reach)s::float8) AND o.during && c.during
    WHERE o.pid <> %(pid)s::integer
      AND (o.x::bigint - c.x) * (o.x::bigint - c.x) + (o.y::bigint - c.y) * (o.y::bigint - c.y)
          <= %(max_d2)s::float8
),
contacts AS (
    SELECT p.pid
    FROM (SELECT pid, range_agg(overlap) AS union_overlap FROM pairs GROUP BY pid) AS p
    CROSS JOIN LATERAL (SELECT sum(upper(r) - lower(r)) AS seconds FROM unnest(p.union_overlap) AS r) AS u
    WHERE u.seconds >= %(min_s)s::bigint
)
SELECT case_stay, contact_stay, lower(overlap), upper(overlap), d2
FROM pairs JOIN contacts USING (pid)
ORDER BY pid, lower(overlap), case_stay, contact_stay
"""


class PostgisEngine:
    """Encounters from a PostGIS table of one index's stays; make with :meth:`load` or :meth:`attach`."""

    def __init__(self, connection: psycopg.Connection[Any], table: str = DEFAULT_TABLE) -> None:
        from psycopg import sql

        self.connection = connection
        self.table = table
        name = sql.Identifier(table)
        self._query = sql.SQL(_QUERY).format(table=name).as_string(connection)

    # ------------------------------------------------------------------ making one

    @classmethod
    def load(
        cls, conninfo: str, index: StayIndex, table: str = DEFAULT_TABLE, *, replace: bool = False
    ) -> PostgisEngine:
        """Copy ``index``'s stays into a new table ``table`` (``replace`` drops one already there), index it
        and return the engine over it."""
        from psycopg import errors, sql

        if index.n_stays > _INT32_MAX:
            raise InvalidInput(f"index: {index.n_stays} stays exceed PostGIS's integer stay ids")
        connection = _connect(conninfo)
        name = sql.Identifier(table)
        try:
            connection.execute("CREATE EXTENSION IF NOT EXISTS postgis")
            if replace:
                connection.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(name))
            connection.execute(sql.SQL(_CREATE).format(table=name))
            with (
                connection.cursor() as cursor,
                cursor.copy(sql.SQL("COPY {} (stay, pid, x, y, s, e) FROM STDIN (FORMAT binary)").format(name)) as copy,
            ):
                for chunk in _binary_copy(index):
                    copy.write(chunk)
            index_name = sql.Identifier(f"{table}_geom_during")
            connection.execute(sql.SQL("CREATE INDEX {} ON {} USING gist (geom, during)").format(index_name, name))
            connection.execute(sql.SQL("CREATE INDEX {} ON {} (pid)").format(sql.Identifier(f"{table}_pid"), name))
            meta = json.dumps(_meta(index))
            connection.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(name, sql.Literal(meta)))
            connection.execute(sql.SQL("VACUUM ANALYZE {}").format(name))
        except errors.DuplicateTable as exc:
            connection.close()
            raise StoreError(f"PostGIS table {table!r} already exists; attach to it or load with replace=True") from exc
        except errors.Error as exc:
            connection.close()
            raise StoreError(f"loading stays into PostGIS table {table!r} failed: {exc}") from exc
        return cls(connection, table)

    @classmethod
    def attach(cls, conninfo: str, index: StayIndex, table: str = DEFAULT_TABLE) -> PostgisEngine:
        """The engine over a table :meth:`load` filled from this index earlier (``NotFound`` when absent,
        ``StoreError`` when it holds another index's stays)."""
        connection = _connect(conninfo)
        row = connection.execute(
            "SELECT obj_description(to_regclass(%s), 'pg_class'), to_regclass(%s) IS NOT NULL", (table, table)
        ).fetchone()
        if row is None or not row[1]:
            connection.close()
            raise NotFound(f"no PostGIS table {table!r}; load the stays with PostgisEngine.load first")
        try:
            meta = json.loads(row[0] or "null")
        except json.JSONDecodeError:
            meta = None
        if meta != _meta(index):
            connection.close()
            raise StoreError(f"PostGIS table {table!r} holds other stays than this index ({meta}); load it again")
        return cls(connection, table)

    # ------------------------------------------------------------------ the protocol

    def encounters(self, query: EncounterQuery) -> Encounters:
        params = {
            "pid": query.person_id,
            "w0": query.start_s,
            "w1": query.end_s,
            "reach": query.radius_dm + 1.0,
            "max_d2": query.max_d2,
            "min_s": query.min_seconds,
        }
        rows = self.connection.execute(self._query, params, prepare=True).fetchall()
        if not rows:
            return Encounters.empty()
        columns = np.asarray(rows, dtype=np.int64).T
        return Encounters(*(np.ascontiguousarray(c) for c in columns))

    def explain(self, query: EncounterQuery) -> str:
        """PostgreSQL's plan of ``query`` (what the benchmark prints, to show the GiST index is used)."""
        params = {"pid": query.person_id, "w0": query.start_s, "w1": query.end_s, "reach": query.radius_dm + 1.0,
                  "max_d2": query.max_d2, "min_s": query.min_seconds}  # fmt: skip
        return "\n".join(str(r[0]) for r in self.connection.execute("EXPLAIN " + self._query, params).fetchall())

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> PostgisEngine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def _connect(conninfo: str) -> psycopg.Connection[Any]:
    """An autocommit session with JIT off (it only adds compile time to millisecond queries)."""
    try:
        import psycopg
    except ImportError as exc:  # pragma: no cover - psycopg is a dependency; a broken install lands here
        raise StoreError("the PostGIS engine needs psycopg 3 (pip install 'psycopg[binary]')") from exc
    try:
        connection = psycopg.connect(conninfo, autocommit=True)
    except psycopg.Error as exc:
        raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
    connection.execute("SET jit = off")
    return connection


def _meta(index: StayIndex) -> dict[str, Any]:
    """What a table records of the index it was loaded from, checked when attaching."""
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "epoch": EPOCH.isoformat(),
        "projection": PROJECTION,
        "n_stays": index.n_stays,
        "n_persons": index.n_persons,
    }


_ROW = np.dtype(
    [("fields", ">i2")]
    + [(f"{name}{part}", ">i4") for name in ("stay", "pid", "x", "y", "s", "e") for part in ("_len", "")]
)


def _binary_copy(index: StayIndex) -> Iterator[bytes]:
    """PostgreSQL's binary COPY stream of (stay, pid, x, y, s, e), built with numpy a chunk at a time."""
    yield b"PGCOPY\n\xff\r\n\x00" + np.array([0, 0], dtype=">i4").tobytes()
    for lo in range(0, index.n_stays, _COPY_ROWS):
        hi = min(lo + _COPY_ROWS, index.n_stays)
        rows = np.empty(hi - lo, dtype=_ROW)
        rows["fields"] = 6
        columns = {
            "stay": np.arange(lo, hi),
            "pid": index.person[lo:hi],
            "x": index.x_dm[lo:hi],
            "y": index.y_dm[lo:hi],
            "s": index.start_s[lo:hi],
            "e": index.end_s[lo:hi],
        }
        for name, values in columns.items():
            rows[f"{name}_len"] = 4
            rows[name] = values
        yield rows.tobytes()
    yield np.array([-1], dtype=">i2").tobytes()
