"""Grouped arithmetic on numpy columns that tracing shares: interval unions and pandas-exact grouped sums.

Why a module of its own: sources (per-day qualification) and fusion (minutes, doses) need the same kernels,
and their results must match what pandas would give bit for bit so that thresholds decide the same way.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from numba import njit


def union_seconds(group: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]) -> pd.Series:
    """Length of the union of intervals per group (seconds), vectorised: sort, running max, new runs."""
    keys, totals = union_arrays(group, start, end)
    return pd.Series(totals, index=keys)


def union_arrays(
    group: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """:func:`union_seconds` as arrays: the groups (ascending) and their union lengths."""
    if not len(group):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    new_group = np.r_[True, g[1:] != g[:-1]]
    # running max of the ends within each group: one accumulate over (group rank, end) packed into an int64
    rank = np.cumsum(new_group) - 1
    base = int(min(s.min(), e.min()))
    span = int(max(s.max(), e.max())) - base + 1
    reach = np.maximum.accumulate(rank * span + (e - base)) - rank * span + base
    prev_reach = np.r_[np.int64(-1), reach[:-1]]
    new_run = new_group | (s > prev_reach)
    run_heads = np.flatnonzero(new_run)
    run_end = np.maximum.reduceat(reach, run_heads)  # reach only grows within a run: its last value
    lengths = run_end - s[run_heads]
    group_heads = np.flatnonzero(new_group[run_heads])
    return g[run_heads][group_heads], np.add.reduceat(lengths, group_heads).astype(np.int64)


def grouped_sum(labels: npt.NDArray[np.int64], values: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """Per-label sums (labels ``0..n-1``) bit for bit as ``pd.Series(values).groupby(labels).sum()`` gives them:
    pandas sums several groups with Kahan compensation in row order, which the kernel repeats; a single group
    takes another path in pandas, so that case is left to pandas itself."""
    if n == 1:
        one = pd.Series(values).groupby(labels).sum().to_numpy(np.float64)
        return np.asarray(one, dtype=np.float64)
    sums: npt.NDArray[np.float64] = _kahan_sums(labels, values, n)
    return sums


@njit(cache=True, nogil=True)
def _kahan_sums(labels: npt.NDArray[np.int64], values: npt.NDArray[np.float64], n: int) -> npt.NDArray[np.float64]:
    """Per-label sums with Kahan compensation, in row order (pandas' grouped sum of several groups)."""
    total = np.zeros(n)
    compensation = np.zeros(n)
    for i in range(len(labels)):
        lab = labels[i]
        y = values[i] - compensation[lab]
        t = total[lab] + y
        compensation[lab] = t - total[lab] - y
        if compensation[lab] != compensation[lab]:
            compensation[lab] = 0.0
        total[lab] = t
    return total
