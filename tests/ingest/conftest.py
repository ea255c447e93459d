"""Fixtures for ingest tests: a fresh store with a test key, and a directory for hand-written feeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from feedkit import settings

from izquvar import open_store
from izquvar.store import EmbeddedStore


@pytest.fixture
def store(tmp_path: Path) -> EmbeddedStore:
    return open_store(tmp_path / "store", settings=settings())


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    directory = tmp_path / "feeds"
    directory.mkdir()
    return directory
