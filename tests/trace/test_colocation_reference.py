"""colocated() against two independent answers on random stays: brute force over every pair (NumPy), and
DuckDB SQL (a plain range join, and DuckdbEngine, the benchmark's grid-cell equi-join)."""

from __future__ import annotations

import datetime as dt
import math
from datetime import timedelta

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stay_builders import T0, at, stays_table

from izquvar.trace import StayIndex, colocated
from izquvar.trace.engine import contact_seconds, encounter_query
from izquvar.trace.engines.duckdb import DuckdbEngine
from izquvar.trace.index import EPOCH

Answer = dict[str, tuple[int, int]]  # contact -> (union seconds, encounters)


def brute_force(index: StayIndex, person: str, w0: int, w1: int, d: float, min_s: int) -> Answer:
    """Every (case stay, other stay) pair checked directly, union of overlaps by sorting per contact."""
    pid = index.person_id(person)
    if pid is None:
        return {}
    case = np.flatnonzero(index.person == pid)
    cs = np.maximum(index.start_s[case].astype(np.int64), w0)[:, None]
    ce = np.minimum(index.end_s[case].astype(np.int64), w1)[:, None]
    os_ = np.maximum(index.start_s.astype(np.int64)[None, :], cs)
    oe = np.minimum(index.end_s.astype(np.int64)[None, :], ce)
    dx = index.x_dm.astype(np.int64)[None, :] - index.x_dm[case].astype(np.int64)[:, None]
    dy = index.y_dm.astype(np.int64)[None, :] - index.y_dm[case].astype(np.int64)[:, None]
    hit = (os_ < oe) & (dx * dx + dy * dy <= (d * 10) ** 2) & (index.person[None, :] != pid) & (cs < ce)
    rows, cols = np.nonzero(hit)
    intervals: dict[int, list[tuple[int, int]]] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        intervals.setdefault(int(index.person[c]), []).append((int(os_[r, c]), int(oe[r, c])))
    answer: Answer = {}
    for other, spans in intervals.items():
        covered: set[int] = set()
        for a, b in spans:
            covered.update(range(a, b))
        if len(covered) >= min_s:
            answer[index.persons[other].as_py()] = (len(covered), len(spans))
    return answer


def izquvar_answer(index: StayIndex, person: str, w0: int, w1: int, d: float, min_s: int) -> Answer:
    start, end = (EPOCH + timedelta(seconds=w) for w in (w0, w1))
    table = colocated(index, person, start, end, d, min_s / 60)
    return {row["person"]: (round(row["minutes"] * 60), row["n_encounters"]) for row in table.to_pylist()}


# Small integer worlds: positions on a 0.5 m grid, times on whole minutes, so exact ties (distance = D,
# touching intervals, equal starts) happen often.
stay_strategy = st.tuples(
    st.sampled_from(["a", "b", "c", "d", "e", "f"]),
    st.integers(-40, 40).map(lambda v: v / 2),
    st.integers(-40, 40).map(lambda v: v / 2),
    st.integers(0, 120),
    st.integers(0, 60),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stays=st.lists(stay_strategy, min_size=1, max_size=40),
    d=st.sampled_from([1.0, 2.0, 5.0, 10.0, 12.5, 30.0]),
    window=st.tuples(st.integers(0, 90), st.integers(0, 120)),
    min_minutes=st.integers(0, 20),
)
def test_matches_brute_force_on_small_worlds(
    stays: list[tuple[str, float, float, int, int]], d: float, window: tuple[int, int], min_minutes: int
) -> None:
    table = stays_table([(p, x, y, s, s + length) for p, x, y, s, length in stays])
    index = StayIndex.build(table, cell_m=5.0)
    first = int((T0 - EPOCH).total_seconds())
    w0, w1 = first + 60 * min(window), first + 60 * max(window)
    for person in ("a", "b"):
        expected = brute_force(index, person, w0, w1, d, min_minutes * 60)
        assert izquvar_answer(index, person, w0, w1, d, min_minutes * 60) == expected


def integer_stays(index: StayIndex) -> pa.Table:
    """The index's own integers, for the plain SQL reference."""
    return pa.table({"pid": index.person, "x": index.x_dm, "y": index.y_dm, "s": index.start_s, "e": index.end_s})


PLAIN_SQL = """
WITH c AS (SELECT x, y, greatest(s, $w0) AS s, least(e, $w1) AS e FROM stays WHERE pid = $pid),
pairs AS (
    SELECT o.pid, greatest(c.s, o.s) AS a, least(c.e, o.e) AS b
    FROM c JOIN stays o ON o.s < c.e AND o.e > c.s
    WHERE o.pid <> $pid AND c.s < c.e AND (o.x - c.x) * (o.x - c.x) + (o.y - c.y) * (o.y - c.y) <= $max_d2
),
seconds AS (SELECT DISTINCT pid, unnest(range(a, b)) AS second FROM pairs)
SELECT pid, count(*) FROM seconds GROUP BY pid HAVING count(*) >= $min_s
"""


@pytest.mark.parametrize("d", [2.0, 10.0, 25.0])
def test_matches_duckdb_sql_on_a_few_thousand_random_stays(d: float) -> None:
    """Denser than reality (3,000 stays of 40 people within 120 m over two days) so every query has work."""
    rng = np.random.default_rng(11)
    n = 3000
    people = rng.integers(0, 40, n)
    xs, ys = rng.normal(0, 40, n).round(1), rng.normal(0, 40, n).round(1)
    starts, lengths = rng.integers(0, 2 * 24 * 60, n), rng.integers(1, 240, n)
    table = stays_table(
        [
            (f"p{int(p):02d}", float(x), float(y), float(s), float(s + length))
            for p, x, y, s, length in zip(people, xs, ys, starts, lengths, strict=True)
        ]
    )
    index = StayIndex.build(table)
    grid = DuckdbEngine(index)
    plain = duckdb.connect()
    plain.register("stays", integer_stays(index))
    first = int((T0 - EPOCH).total_seconds())
    w0, w1 = first + 3600 * 6, first + 3600 * 40
    window = (EPOCH + dt.timedelta(seconds=w0), EPOCH + dt.timedelta(seconds=w1))
    compared = 0
    for person in index.persons.to_pylist()[:12]:
        pid = index.person_id(person)
        query = encounter_query(index, person, *window, d, 15.0)
        assert query is not None
        answer = contact_seconds(index, grid.encounters(query))
        expected = {index.persons[p].as_py(): s for p, s in answer.items()}
        params = {"pid": pid, "w0": w0, "w1": w1, "max_d2": (d * 10) ** 2, "min_s": 900}
        plain_answer = {index.persons[p].as_py(): s for p, s in plain.execute(PLAIN_SQL, params).fetchall()}
        ours = {p: s for p, (s, _n) in izquvar_answer(index, person, w0, w1, d, 900).items()}
        assert ours == expected == plain_answer
        compared += len(ours)
    grid.close()
    assert compared > 0, "the random world produced no contacts: the comparison would prove nothing"


def test_window_and_timestamps_round_trip() -> None:
    index = StayIndex.build(stays_table([("a", 0, 0, 0, 30), ("b", 0, 1, 10, 40)]))
    table = colocated(index, "a", at(0), at(60), 2.0)
    row = table.to_pylist()[0]
    assert (row["first_seen"], row["last_seen"], row["minutes"]) == (at(10), at(30), 20.0)
    assert math.isclose(row["closest_m"], 1.0)
    assert table.schema.field("first_seen").type == pa.timestamp("us", tz="UTC")
