"""detect_stays against a plain one-ping-at-a-time reference of the same definition, on generated pings."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stay_pings import T0, east, reference_stays

from izquvar import detect_stays

# Few people, coarse times and a coarse grid of places: ties, duplicates and revisits happen often.
_ping = st.tuples(
    st.sampled_from(["ana", "bob", "dilnoza"]),
    st.integers(min_value=0, max_value=240),  # minutes
    st.integers(min_value=-6, max_value=6),  # 40 m grid steps east
    st.integers(min_value=-3, max_value=3),  # 40 m grid steps north
    st.sampled_from([5.0, 20.0]),  # accuracy
)


@st.composite
def _pings(draw: st.DrawFn) -> pd.DataFrame:
    rows = draw(st.lists(_ping, max_size=80))
    if rows and draw(st.booleans()):
        rows += draw(st.lists(st.sampled_from(rows), max_size=5))  # exact duplicates
    return pd.DataFrame(
        {
            "person": pd.Series([r[0] for r in rows], dtype="str"),
            "time": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us, UTC]"),
            "lat": [east(40.0 * r[3]) for r in rows],
            "lon": [69.25 + east(40.0 * r[2]) for r in rows],
            "accuracy_m": [r[4] for r in rows],
        }
    )


@settings(max_examples=300, deadline=None)
@given(
    pings=_pings(),
    dist_m=st.sampled_from([40.0, 80.0, 100.0, 150.0, 400.0]),
    time_min=st.sampled_from([0.0, 1.0, 5.0, 12.5]),
    gap_min=st.sampled_from([0.5, 3.0, 15.0, 60.0]),
    include_last=st.booleans(),
)
def test_matches_the_reference(
    pings: pd.DataFrame, dist_m: float, time_min: float, gap_min: float, include_last: bool
) -> None:
    got = detect_stays(pings, dist_m, time_min, gap_min, include_last=include_last)
    want = reference_stays(pings, dist_m, time_min, gap_min, include_last)
    assert len(got) == len(want)
    for row, expected in zip(got.itertuples(index=False, name=None), want, strict=True):
        assert row[:3] == expected[:3]
        assert row[5] == expected[5]
        assert row[3] == pytest.approx(expected[3], abs=1e-9)
        assert row[4] == pytest.approx(expected[4], abs=1e-9)
