"""The DuckDB co-location engine: a grid-cell equi-join over a :class:`StayIndex`'s integers.

Why: the benchmark's second baseline, kept as an engine so that it runs the same code as every other engine.
For each radius a table of stays keyed by (cell, day) with cells of ``max(D, 10 m)``, a stay spanning midnight
repeated per day, is built on first use; the case's stays are expanded to the 3 x 3 neighbour cells and their
days, equi-joined, filtered by exact distance and overlap, and a pair is kept only on the day its overlap starts
(so each pair comes once). The union of a contact's overlaps is one window pass: sorted by start, an overlap
adds only what lies beyond the furthest end before it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.trace.engine import EncounterQuery, Encounters
from izquvar.trace.index import StayIndex

#: The smallest cell (dm): finer cells only multiply the rows of the neighbour probe.
MIN_CELL_DM = 100

_QUERY = """
WITH case_stays AS (
    SELECT stay, x, y, greatest(s, $w0) AS s, least(e, $w1) AS e
    FROM stays WHERE pid = $pid AND s < $w1 AND e > $w0
),
probe AS (
    SELECT c.stay, c.x, c.y, c.s, c.e,
           ((c.x // $cell) + dx) * 4294967296 + ((c.y // $cell) + dy) + 2147483648 AS cell,
           day
    FROM case_stays c,
         (VALUES (-1), (0), (1)) AS gx(dx),
         (VALUES (-1), (0), (1)) AS gy(dy),
         unnest(range(c.s // 86400, (c.e - 1) // 86400 + 1)) AS days(day)
),
pairs AS (
    SELECT g.pid, p.stay AS case_stay, g.stay AS contact_stay,
           greatest(p.s, g.s) AS ov_s,
           least(p.e, g.e) AS ov_e,
           (g.x::BIGINT - p.x) * (g.x::BIGINT - p.x) + (g.y::BIGINT - p.y) * (g.y::BIGINT - p.y) AS d2
    FROM probe p JOIN {grid} g ON g.cell = p.cell AND g.day = p.day
    WHERE g.pid <> $pid
      AND greatest(p.s, g.s) < least(p.e, g.e)
      AND greatest(p.s, g.s) // 86400 = p.day
      AND (g.x::BIGINT - p.x) * (g.x::BIGINT - p.x) + (g.y::BIGINT - p.y) * (g.y::BIGINT - p.y) <= $max_d2
),
covered AS (
    SELECT pid, ov_s, ov_e,
           max(ov_e) OVER (PARTITION BY pid ORDER BY ov_s, ov_e
                           ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM pairs
),
contacts AS (
    SELECT pid FROM covered GROUP BY pid
    HAVING sum(greatest(0, ov_e - greatest(ov_s, coalesce(reach, ov_s)))) >= $min_s
)
SELECT case_stay, contact_stay, ov_s, ov_e, d2
FROM pairs SEMI JOIN contacts USING (pid)
ORDER BY pid, ov_s, case_stay, contact_stay
"""


class DuckdbEngine:
    """Encounters from DuckDB tables of one index's stays (in memory, or in the file ``path`` to spill)."""

    def __init__(
        self, index: StayIndex, path: Path | None = None, *, threads: int = 2, memory_limit: str | None = None
    ) -> None:
        self.connection = duckdb.connect(str(path) if path is not None else ":memory:")
        settings = [f"SET threads = {int(threads)}", "SET preserve_insertion_order = false",
                    "SET enable_progress_bar = false"]  # fmt: skip
        if memory_limit is not None:
            settings.append(f"SET memory_limit = '{memory_limit}'")
        for setting in settings:
            self.connection.execute(setting)
        columns: dict[str, npt.NDArray[np.integer[Any]]] = {
            "stay": np.arange(index.n_stays, dtype=np.int64),
            "pid": index.person,
            "x": index.x_dm,
            "y": index.y_dm,
            "s": index.start_s,
            "e": index.end_s,
        }
        stays = pa.table({name: pa.array(values) for name, values in columns.items()})
        self.connection.register("stays_arrow", stays)
        self.connection.execute("CREATE TABLE stays AS SELECT * FROM stays_arrow ORDER BY pid, s")
        self.connection.unregister("stays_arrow")
        self._grids: set[int] = set()

    def prepare(self, radius_dm: float) -> None:
        """Build the (cell, day) table a radius needs now rather than in its first query (what a benchmark
        counts as loading)."""
        cell = _cell_dm(radius_dm)
        if cell in self._grids:
            return
        self.connection.execute(
            f"""
            CREATE TABLE grid_{cell} AS
            SELECT (x // {cell}) * 4294967296 + (y // {cell}) + 2147483648 AS cell, day, stay, pid, x, y, s, e
            FROM stays, unnest(range(s // 86400, (e - 1) // 86400 + 1)) AS days(day)
            WHERE e > s
            ORDER BY cell, day
            """
        )
        self._grids.add(cell)

    def encounters(self, query: EncounterQuery) -> Encounters:
        self.prepare(query.radius_dm)
        cell = _cell_dm(query.radius_dm)
        params = {"pid": query.person_id, "w0": query.start_s, "w1": query.end_s, "cell": cell,
                  "max_d2": query.max_d2, "min_s": query.min_seconds}  # fmt: skip
        rows = self.connection.execute(_QUERY.format(grid=f"grid_{cell}"), params).fetchnumpy()
        columns = ("case_stay", "contact_stay", "ov_s", "ov_e", "d2")
        return Encounters(*(np.asarray(rows[name], dtype=np.int64) for name in columns))

    def close(self) -> None:
        self.connection.close()


def _cell_dm(radius_dm: float) -> int:
    """The grid's cell (dm): at least the radius, so the 3 x 3 neighbours hold every stay within it."""
    return max(int(np.ceil(radius_dm)), MIN_CELL_DM)
