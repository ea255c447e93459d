"""Fusion's vectorised rounding is Python's ``round``, value for value (results and JSON show these values)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from izquvar.trace.fuse import _rounded


def _reference(values: np.ndarray, digits: int) -> np.ndarray:
    return np.asarray([round(v, digits) if np.isfinite(v) else v for v in values.tolist()], dtype=np.float64)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(a, b, equal_nan=True))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-1e9, 1e9) | st.sampled_from([np.nan, np.inf, -np.inf]), max_size=50),
       st.sampled_from([1, 2]))  # fmt: skip
def test_rounded_is_round_on_any_float(values: list[float], digits: int) -> None:
    array = np.asarray(values, dtype=np.float64)
    assert _same(_rounded(array, digits), _reference(array, digits))


def test_rounded_is_round_on_halves_and_minutes() -> None:
    # decimal halves (2.675 is stored just below, 0.125 exactly: half to even), then sums of minutes as fusion
    # makes them (seconds / 60 accumulated over days)
    k = np.arange(0, 40_000)
    halves = np.concatenate([(k + 0.5) / 100.0, (k + 0.5) / 10.0, np.nextafter((k + 0.5) / 100.0, np.inf)])
    rng = np.random.default_rng(7)
    minutes = np.cumsum(rng.integers(1, 86_400, (8_000, 5)) / 60.0, axis=1).ravel()
    for values in (halves, minutes, rng.random(40_000) * 1_000.0):
        for digits in (1, 2):
            assert _same(_rounded(values, digits), _reference(values, digits))
