"""The pair search finds exactly the pairs a brute-force comparison finds."""

from __future__ import annotations

import numpy as np
import pytest

from izquvar.simulate.copresence import SlotRows, group_keys, pairs_within


def _rows(n: int, rng: np.random.Generator) -> SlotRows:
    side = rng.uniform(2.0, 30.0)
    return SlotRows(
        person=np.arange(n, dtype=np.int64),
        place=rng.integers(0, 3, n),
        zone=rng.integers(0, 2, n),
        slot=rng.integers(0, 3, n),
        x=rng.uniform(0.0, side, n),
        y=rng.uniform(0.0, side, n),
        stay=np.arange(n, dtype=np.int64),
        w=np.full(n, side),
        h=np.full(n, side),
    )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("radius", [1.0, 2.0, 5.0])
def test_pairs_match_brute_force(seed: int, radius: float) -> None:
    rng = np.random.default_rng(seed)
    rows = _rows(int(rng.integers(1, 400)), rng)
    order, key = group_keys(rows, radius)
    i, j, d = pairs_within(key, rows.x[order], rows.y[order], radius)
    found = {tuple(sorted((int(a), int(b)))) for a, b in zip(order[i], order[j], strict=True)}
    assert len(found) == len(i), "a pair was reported twice"
    same = (
        (rows.place[:, None] == rows.place[None, :])
        & (rows.zone[:, None] == rows.zone[None, :])
        & (rows.slot[:, None] == rows.slot[None, :])
    )
    dist = np.hypot(rows.x[:, None] - rows.x[None, :], rows.y[:, None] - rows.y[None, :])
    a, b = np.nonzero(np.triu(same & (dist <= radius), k=1))
    assert found == {(int(p), int(q)) for p, q in zip(a, b, strict=True)}
    assert np.allclose(d, np.hypot(rows.x[order][i] - rows.x[order][j], rows.y[order][i] - rows.y[order][j]))
