"""Clusters: places where two or more cases were present within their infectious windows (issue #4).

A place here is a venue (homes are not venues: household transmission shows up in chains, not clusters). A
case's places come from its trace, clipped to its infectious window. For each venue with at least two distinct
cases the cluster row gives the cases (pseudonyms: clusters are for investigators, not for publication), the
first and last presence, and ``co_present``: whether two of the cases were there at the same time, which
separates a shared exposure (a wedding, a class) from two unrelated visits to a busy bazaar.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from izquvar.outbreak._arrow import schema

CLUSTERS_SCHEMA = schema(
    pa.field("venue_id", pa.string(), nullable=False),
    pa.field("venue_name", pa.string()),
    pa.field("category", pa.string()),
    pa.field("district", pa.string()),
    pa.field("mahalla", pa.string()),
    pa.field("n_cases", pa.int64(), nullable=False),
    pa.field("cases", pa.list_(pa.string()), nullable=False),
    pa.field("first_present", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("last_present", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("co_present", pa.bool_(), nullable=False),
)

_CLUSTERS_SQL = """
WITH visits AS (
    SELECT p."case", p.venue_id, p.venue_name, p.category, p.district, p.mahalla,
           greatest(p.start, c.window_start) AS s, least(p."end", c.window_end) AS t
    FROM places p JOIN cases c ON c.person = p."case"
    WHERE p.venue_id IS NOT NULL
),
inside AS (SELECT * FROM visits WHERE s < t),
overlapping AS (
    SELECT DISTINCT a.venue_id
    FROM inside a JOIN inside b
      ON a.venue_id = b.venue_id AND a."case" < b."case" AND a.s < b.t AND b.s < a.t
)
SELECT i.venue_id,  -- min(), not any_value(): the same names whatever DuckDB's threads do
       min(i.venue_name) AS venue_name,
       min(i.category) AS category,
       min(i.district) AS district,
       min(i.mahalla) AS mahalla,
       count(DISTINCT i."case") AS n_cases,
       list_sort(list_distinct(list(i."case"))) AS cases,
       min(i.s) AS first_present,
       max(i.t) AS last_present,
       bool_or(o.venue_id IS NOT NULL) AS co_present
FROM inside i LEFT JOIN overlapping o ON o.venue_id = i.venue_id
GROUP BY i.venue_id
HAVING count(DISTINCT i."case") >= 2
ORDER BY n_cases DESC, first_present, i.venue_id
"""


def clusters(cases: pa.Table, places: pa.Table) -> pa.Table:
    """Venues where at least two cases were present within their infectious windows, largest first."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("cases", cases.select(["person", "window_start", "window_end"]))
        con.register(
            "places",
            places.select(["case", "venue_id", "venue_name", "category", "district", "mahalla", "start", "end"]),
        )
        found = con.sql(_CLUSTERS_SQL).to_arrow_table()
    finally:
        con.close()
    typed: pa.Table = found.cast(CLUSTERS_SCHEMA)
    return typed
