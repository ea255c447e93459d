"""Shared fixtures: where ../shared is, and skipping cleanly where it is absent.

A test that needs the real data in ../shared takes the ``shared_dir`` fixture. On a user's clone without
../shared it skips; ``.ci/run`` sets ``IZQUVAR_REQUIRE_SHARED=1`` and then a missing ../shared is an error.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shared_root() -> Path:
    return Path(os.environ.get("IZQUVAR_SHARED", PROJECT_ROOT.parent / "shared"))


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the project root, or a skip (a failure when IZQUVAR_REQUIRE_SHARED=1)."""
    root = shared_root()
    if not (root / "data").is_dir():
        if os.environ.get("IZQUVAR_REQUIRE_SHARED") == "1":
            pytest.fail(f"IZQUVAR_REQUIRE_SHARED=1 but the shared data directory is absent ({root.name}/data)")
        pytest.skip("../shared is absent: real-data test skipped")
    return root


@pytest.fixture(scope="session")
def geolife_dir(shared_dir: Path) -> Path:
    return shared_dir / "data" / "geolife"
