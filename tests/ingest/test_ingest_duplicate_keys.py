"""Duplicate detection keeps exactly the first row of each key, whether or not the feed is sorted."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from izquvar.formats import GPS, LAB
from izquvar.ingest.duplicates import first_of_each_key, first_of_each_key_if_sorted

_BASE = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _reference(people: list[str], minutes: list[int]) -> list[bool]:
    seen: set[tuple[str, int]] = set()
    keep = []
    for key in zip(people, minutes, strict=True):
        keep.append(key not in seen)
        seen.add(key)
    return keep


def _gps(people: list[str], minutes: list[int]) -> pa.Table:
    n = len(people)
    return pa.table(
        {
            "person": pa.array(people),
            "time": pa.array([_BASE + dt.timedelta(minutes=m) for m in minutes], pa.timestamp("us", tz="UTC")),
            "lat": [41.0] * n,
            "lon": [69.0] * n,
            "accuracy_m": [5.0] * n,
        }
    )


rows = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 4)), min_size=0, max_size=40)


@settings(max_examples=150, deadline=None)
@given(rows=rows, sort=st.booleans())
def test_first_of_each_key_matches_a_plain_loop(rows: list[tuple[str, int]], sort: bool) -> None:
    if sort:
        rows = sorted(rows)
    people, minutes = [r[0] for r in rows], [r[1] for r in rows]
    keep = first_of_each_key(_gps(people, minutes), GPS)
    assert keep.tolist() == _reference(people, minutes)


def test_sorted_fast_path_is_taken_for_grouped_rows_and_refused_otherwise() -> None:
    grouped = _gps(["b", "b", "b", "a"], [1, 1, 2, 0])
    assert first_of_each_key_if_sorted(grouped, GPS.key).tolist() == [True, False, True, True]
    assert first_of_each_key_if_sorted(_gps(["a", "b", "a"], [0, 0, 1]), GPS.key) is None
    assert first_of_each_key_if_sorted(_gps(["a", "a"], [3, 2]), GPS.key) is None


def test_date_keys() -> None:
    table = pa.table(
        {
            "person": ["p", "p", "p"],
            "specimen_date": pa.array([dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 2)]),
            "test": ["PCR", "PCR", "PCR"],
        }
    )
    assert first_of_each_key(table, LAB).tolist() == [True, False, True]
