"""Small simulations shared by the simulator tests (2,000 people × 3 days run in a few seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from simkit import SMALL

from izquvar.simulate import SimSummary, simulate


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimSummary]:
    out = tmp_path_factory.mktemp("sim") / "out"
    return out, simulate(SMALL, out)


@pytest.fixture(scope="session")
def small_csv_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimSummary]:
    out = tmp_path_factory.mktemp("simcsv") / "out"
    return out, simulate(SMALL.replace(format="csv"), out)
