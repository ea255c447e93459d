"""Fixtures for store tests; the hand-written feeds live in tests/ingest/feedkit.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

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
