"""Chains of transmission among known cases.

The rule (issue #4): *a likely infector is a case who met this one inside the infector's infectious window and
before this one's onset.* A meeting is any evidence row linking two cases, seen from either side (A's trace
lists B, or B's trace lists A); only the part of it that lies inside A's window ``[window_start, window_end)``
and before the local midnight that starts B's onset date counts.

Every pair that qualifies is a *candidate* link. Among an infectee's candidates the *likely* infector is the
one with the highest contact risk, where candidates whose onset is later than the infectee's rank below all
others (ties: the longer meeting, then the earlier onset, then the pseudonym, so the choice is reproducible).
Infectees choose in order of onset, latest first. ``longest_minutes`` is the longest single qualifying
observation (sources overlap in time, so their minutes are not added up). A candidate that would close a
loop (B already an ancestor of A) is skipped, so the likely links form a forest: each tree is a chain, rooted
at a case with no likely infector among the known cases, and each case's generation is its depth in the tree.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa

from izquvar.localtime import UZBEKISTAN_UTC_OFFSET
from izquvar.outbreak._arrow import schema, values

CANDIDATES_SCHEMA = schema(
    pa.field("infector", pa.string(), nullable=False),
    pa.field("infectee", pa.string(), nullable=False),
    pa.field("first_met", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("last_met", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("longest_minutes", pa.float64(), nullable=False),
    pa.field("risk", pa.float64(), nullable=False),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
    pa.field("likely", pa.bool_(), nullable=False),
)
CHAINS_SCHEMA = schema(
    pa.field("person", pa.string(), nullable=False),
    pa.field("onset", pa.date32(), nullable=False),
    pa.field("infector", pa.string()),
    pa.field("chain", pa.string(), nullable=False),
    pa.field("generation", pa.int64(), nullable=False),
    pa.field("chain_size", pa.int64(), nullable=False),
)

_CANDIDATES_SQL = """
WITH c AS (
    SELECT person, onset, window_start, window_end,
           CAST(onset AS TIMESTAMPTZ) - to_seconds({offset_s}) AS onset_at
    FROM cases
),
seen AS (                       -- every evidence row between two cases, both orientations
    SELECT e."case" AS x, e.contact AS y, e.source, e.start, e."end", r.risk
    FROM evidence e
    JOIN c ON c.person = e.contact
    LEFT JOIN contacts r ON r."case" = e."case" AND r.contact = e.contact
),
met AS (
    SELECT x AS infector, y AS infectee, source, start, "end", risk FROM seen
    UNION ALL
    SELECT y AS infector, x AS infectee, source, start, "end", risk FROM seen
),
clipped AS (
    SELECT m.infector, m.infectee, m.source, m.risk,
           greatest(m.start, a.window_start) AS s,
           least(m."end", a.window_end, b.onset_at) AS t
    FROM met m
    JOIN c a ON a.person = m.infector
    JOIN c b ON b.person = m.infectee
    WHERE m.infector <> m.infectee
),
links AS (
    SELECT infector, infectee,
           min(s) AS first_met,
           max(t) AS last_met,
           -- both traces may report the same meeting: take the larger view, never the sum
           max(epoch(t) - epoch(s)) / 60.0 AS longest_minutes,
           coalesce(max(risk), 0.0) AS risk,
           list_sort(list_distinct(list(source))) AS sources
    FROM clipped
    WHERE s < t
    GROUP BY infector, infectee
)
-- the order in which infectees choose (see the module's docstring); pairs are unique, so the order is total
SELECT l.infector, l.infectee, l.first_met, l.last_met, l.longest_minutes, l.risk, l.sources
FROM links l
JOIN c a ON a.person = l.infector
JOIN c b ON b.person = l.infectee
ORDER BY b.onset DESC, l.infectee, a.onset > b.onset, l.risk DESC, l.longest_minutes DESC, a.onset, l.infector
"""


def candidate_links(
    cases: pa.Table, contacts: pa.Table, evidence: pa.Table, utc_offset: dt.timedelta = UZBEKISTAN_UTC_OFFSET
) -> pa.Table:
    """Every (infector, infectee) pair that meets the rule, with the likely one per infectee marked."""
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("cases", cases.select(["person", "onset", "window_start", "window_end"]))
        con.register("contacts", contacts.select(["case", "contact", "risk"]))
        con.register("evidence", evidence.select(["case", "contact", "source", "start", "end"]))
        found = con.sql(_CANDIDATES_SQL.format(offset_s=int(utc_offset.total_seconds()))).to_arrow_table()
    finally:
        con.close()
    # latest onsets choose first, so a loop can only be closed by the less plausible (later-onset) infector
    parent: dict[str, str] = {}
    likely = np.zeros(found.num_rows, dtype=bool)
    for k, (infectee, infector) in enumerate(zip(values(found, "infectee"), values(found, "infector"), strict=True)):
        if infectee not in parent and not _is_ancestor(infectee, infector, parent):
            parent[infectee] = infector
            likely[k] = True
    columns = [found.column(f.name).cast(f.type) for f in CANDIDATES_SCHEMA if f.name != "likely"]
    return pa.Table.from_arrays([*columns, pa.array(likely)], schema=CANDIDATES_SCHEMA)


def _is_ancestor(ancestor: str, person: str, parent: dict[str, str]) -> bool:
    """Whether ``ancestor`` is ``person`` or lies on ``person``'s path to its chain's root."""
    seen: set[str] = set()
    while person not in seen:
        if person == ancestor:
            return True
        seen.add(person)
        if person not in parent:
            return False
        person = parent[person]
    return False


def chains(cases: pa.Table, candidates: pa.Table) -> pa.Table:
    """Every case with its likely infector, chain (the root case's pseudonym), generation and chain size."""
    likely = candidates.filter(candidates.column("likely"))
    parent: dict[str, str] = dict(zip(values(likely, "infectee"), values(likely, "infector"), strict=True))
    persons: list[str] = values(cases, "person")
    onsets = values(cases, "onset")
    roots: list[str] = []
    generations: list[int] = []
    for person in persons:
        generation, node = 0, person
        while node in parent:
            node = parent[node]
            generation += 1
        roots.append(node)
        generations.append(generation)
    size: dict[str, int] = {}
    for root in roots:
        size[root] = size.get(root, 0) + 1
    order = sorted(range(len(persons)), key=lambda i: (roots[i], generations[i], onsets[i], persons[i]))
    return pa.Table.from_pydict(
        {
            "person": [persons[i] for i in order],
            "onset": [onsets[i] for i in order],
            "infector": [parent.get(persons[i]) for i in order],
            "chain": [roots[i] for i in order],
            "generation": [generations[i] for i in order],
            "chain_size": [size[roots[i]] for i in order],
        },
        schema=CHAINS_SCHEMA,
    )
