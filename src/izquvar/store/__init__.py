"""The location store's storage layer: the embedded Parquet store (``EmbeddedStore.open(path)``) behind the small
protocols of :mod:`izquvar.store.protocol`. Users open a store with ``izquvar.open_store(path)``, which adds
tracing on top (:mod:`izquvar.locations`). See docs/store.md for the layout.
"""

from __future__ import annotations

from izquvar.ingest.reports import IngestReport, SourceReport
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.protocol import BatchWriter, FeedReader, IndexCache, Pseudonyms, Store
from izquvar.store.reports import PurgeReport

__all__ = [
    "BatchWriter",
    "EmbeddedStore",
    "FeedReader",
    "IndexCache",
    "IngestReport",
    "Pseudonyms",
    "PurgeReport",
    "SourceReport",
    "Store",
]
