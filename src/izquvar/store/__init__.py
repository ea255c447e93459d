"""The location store: ``open_store(path)`` gives the embedded Parquet store (the only backend so far).

Every backend implements :class:`~izquvar.store.protocol.Store`; see docs/store.md for the layout.
"""

from __future__ import annotations

from pathlib import Path

from izquvar.config import Settings
from izquvar.ingest.reports import IngestReport, SourceReport
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.protocol import Store
from izquvar.store.reports import PurgeReport


def open_store(path: str | Path, create: bool = True, settings: Settings | None = None) -> EmbeddedStore:
    """Open the store in directory ``path`` (created when absent and ``create`` is true)."""
    return EmbeddedStore.open(path, create=create, settings=settings)


__all__ = ["EmbeddedStore", "IngestReport", "PurgeReport", "SourceReport", "Store", "open_store"]
