"""The location store as its users hold it: ``izquvar.open_store(path)``.

Why a layer of its own: storing (``store/``) and tracing (``trace/``) are separate layers, the tracer reading the
store only through :class:`~izquvar.store.protocol.FeedReader`; a person (the CLI, the demo, a notebook, the
service) wants both on one object. :class:`LocationStore` is that object: every method of the embedded store,
and :meth:`LocationStore.trace`, through one :class:`~izquvar.trace.tracer.Tracer` that follows the store as
batches land instead of being rebuilt for each.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from izquvar.config import Settings
from izquvar.i18n import parse_lang
from izquvar.ingest.reports import IngestReport
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.reports import PurgeReport
from izquvar.trace.result import TraceResult
from izquvar.trace.rules import rules_from_settings
from izquvar.trace.tracer import DateLike, Tracer


class LocationStore:
    """An embedded location store with tracing on it (see the module docstring)."""

    def __init__(self, store: EmbeddedStore) -> None:
        self.store = store
        self._tracer: Tracer | None = None
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: str | Path, create: bool = True, settings: Settings | None = None) -> LocationStore:
        """Open (or create) the store in directory ``path``."""
        return cls(EmbeddedStore.open(path, create=create, settings=settings))

    @property
    def root(self) -> Path:
        return self.store.root

    @property
    def settings(self) -> Settings:
        return self.store.settings

    # -- tracing ------------------------------------------------------------------------------------------

    def tracer(self) -> Tracer:
        """The store's tracer, brought up to date with the batches committed since it was last used."""
        with self._lock:
            if self._tracer is None:
                self._tracer = Tracer(self.store, rules=rules_from_settings(self.settings))
            else:
                self._tracer.refresh()
            return self._tracer

    def trace(self, person: str, onset: DateLike, isolation: DateLike | None = None, lang: str = "en") -> TraceResult:
        """Where ``person`` (raw identifier or pseudonym) was and who they met in the infectious window."""
        return self.tracer().trace(person, onset, isolation, parse_lang(lang))

    # -- the store's own methods (see izquvar.store.protocol) ------------------------------------------------

    def ingest(
        self,
        paths: Iterable[str | Path],
        kind: str | None = None,
        progress: bool = False,
        now: dt.datetime | None = None,
    ) -> IngestReport:
        return self.store.ingest(paths, kind=kind, progress=progress, now=now)

    def purge(self, older_than: dt.timedelta, now: dt.datetime | None = None) -> PurgeReport:
        with self._lock:
            self._tracer = None  # its indexes are deleted with the purged rows
        return self.store.purge(older_than, now=now)

    def generation(self) -> int:
        return self.store.generation()

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        return self.store.table(kind, columns=columns, days=days)

    def table_by_day(
        self, kind: str, columns: Sequence[str] | None = None
    ) -> Iterator[tuple[dt.date | None, pa.Table]]:
        return self.store.table_by_day(kind, columns=columns)

    def partitions(self, kind: str) -> Mapping[dt.date | None, str]:
        return self.store.partitions(kind)

    def index_dir(self, name: str) -> Path | None:
        return self.store.index_dir(name)

    def sql(self, query: str, *, allow_files: bool = False) -> pa.Table:
        return self.store.sql(query, allow_files=allow_files)

    def info(self) -> dict[str, Any]:
        return self.store.info()

    def pseudonym(self, raw_id: str) -> str:
        return self.store.pseudonym(raw_id)

    def pseudonyms(self, raw_ids: pa.Array[Any] | np.ndarray | Sequence[str | None]) -> pa.Array[Any]:
        return self.store.pseudonyms(raw_ids)

    def phone_pseudonym(self, number: str) -> str:
        return self.store.phone_pseudonym(number)


def open_store(path: str | Path, create: bool = True, settings: Settings | None = None) -> LocationStore:
    """Open (or create) the location store in directory ``path``, ready to ingest, query and trace."""
    return LocationStore.open(path, create=create, settings=settings)
