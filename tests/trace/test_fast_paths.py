"""The tracer's fast paths give exactly what the pandas formulations they replace give.

Why: a trace must not change when it gets faster. Grouped float sums decide thresholds (15 close minutes) and
rank contacts, so they must agree bit for bit with pandas' (Kahan-compensated) grouped sum; trusted model
construction must produce models equal to validated ones.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from izquvar.trace.evidence import daily_sums
from izquvar.trace.fuse import trusted
from izquvar.trace.numeric import grouped_sum, union_seconds
from izquvar.trace.result import AreaRef, Evidence


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 3000), st.integers(1, 200))  # one group included
def test_grouped_sum_is_pandas_sum_bit_for_bit(seed: int, n: int, groups: int) -> None:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, groups, n)
    values = rng.random(n) * rng.choice([1e-3, 1.0, 1e3, 1e6], n)
    uniques, which = np.unique(labels, return_inverse=True)
    ours = grouped_sum(which.astype(np.int64), values, len(uniques))
    theirs = pd.Series(values).groupby(labels).sum().to_numpy()
    assert np.array_equal(ours, theirs)


def test_daily_sums_is_the_grouped_transform() -> None:
    rng = np.random.default_rng(3)
    contact = rng.choice(np.asarray(["a", "b", "c", "d"], dtype=object), 500)
    day = rng.integers(20_000, 20_014, 500)
    minutes = rng.random(500) * 60.0
    expected = pd.Series(minutes).groupby([contact, day]).transform("sum").to_numpy()
    assert np.array_equal(daily_sums(contact, day, minutes), expected)


def _union_reference(group: np.ndarray, start: np.ndarray, end: np.ndarray) -> dict[int, int]:
    """Each group's union length by brute force over its seconds."""
    out: dict[int, int] = {}
    for g in np.unique(group):
        covered: set[int] = set()
        for s, e in zip(start[group == g], end[group == g], strict=True):
            covered.update(range(int(s), int(e)))
        out[int(g)] = len(covered)
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 80))
def test_union_seconds_matches_brute_force(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 5, n).astype(np.int64)
    start = rng.integers(1_700_000_000, 1_700_000_600, n).astype(np.int64)
    end = start + rng.integers(1, 300, n)
    assert union_seconds(group, start, end).to_dict() == _union_reference(group, start, end)


def test_trusted_models_equal_validated_ones() -> None:
    fields = {
        "source": "gps",
        "start": dt.datetime(2026, 3, 3, 8, tzinfo=dt.UTC),
        "end": dt.datetime(2026, 3, 3, 9, tzinfo=dt.UTC),
        "minutes": 60.0,
        "venue": None,
        "area": AreaRef(region_id="1726"),
        "lat": 41.3,
        "lon": 69.2,
        "distance_m": 3.5,
        "attenuation_db": None,
        "detail": "±2.1",
    }
    made = trusted(Evidence, dict(fields))
    validated = Evidence.model_validate(fields)
    assert made == validated
    assert made.model_fields_set == validated.model_fields_set
    assert made.model_dump_json() == validated.model_dump_json()
    assert Evidence.model_validate_json(made.model_dump_json()) == made
    assert made.__pydantic_extra__ is None and made.__pydantic_private__ is None
    with pytest.raises(ValueError, match="frozen"):
        made.minutes = 1.0  # trusted models stay frozen


def test_the_collector_is_paused_only_during_a_trace() -> None:
    import gc

    from izquvar.trace.tracer import _collector_paused

    assert gc.isenabled()
    with _collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # a caller's choice to run without the collector is kept
    finally:
        gc.enable()
