"""The service's tracing: the location store behind ``cases.jobs.CaseTracer``, and the worker that runs the jobs.

:class:`StoreTracer` opens the location store lazily (the first job opens it; a store that is not there yet
fails that attempt, and the job is retried) and keeps one tracer per infectious window: the store's own tracer
when the disease's window is the tracing rules' one, else a tracer with the disease's window.
:class:`TracingWorker` is a thread that the app's lifespan starts and stops: it claims due jobs from the
database, runs them, and sleeps ``poll_seconds`` when there are none (a new lab result wakes it at once). Any
number of service processes may run one each on the same database.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from collections.abc import Sequence
from pathlib import Path

from izquvar.cases.diseases import Disease, DiseaseRegistry
from izquvar.cases.jobs import DEFAULT_LEASE, SessionFactory, work_once
from izquvar.config import Settings
from izquvar.errors import NotFound, StoreError
from izquvar.i18n import parse_lang
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.locations import LocationStore
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer

log = logging.getLogger(__name__)


class StoreTracer:
    """``CaseTracer`` on the location store in ``path``."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = Path(path)
        self.settings = settings
        self._store: LocationStore | None = None
        self._by_window: dict[tuple[int, int, str], Tracer] = {}
        self._lock = threading.Lock()

    def pseudonymizer(self) -> Pseudonymizer:
        return Pseudonymizer(self.settings.pseudonym_key_bytes())

    def require_store(self) -> None:
        """Open the location store now: ``StoreError`` (503) when it is not there, so that a caller tracing many
        persons can tell a missing store from a person the store does not know (``NotFound``)."""
        with self._lock:
            if self._store is None:
                try:
                    self._store = LocationStore.open(self.path, create=False, settings=self.settings)
                except NotFound as exc:
                    raise StoreError(f"the location store is not available yet ({exc})") from None

    def trace(
        self, pseudonyms: Sequence[str], reference: dt.date, isolation: dt.date | None, disease: Disease, lang: str
    ) -> TraceResult:
        tracer = self._tracer(disease)
        language = parse_lang(lang)
        for pseudonym in pseudonyms:
            try:
                return tracer.trace(pseudonym, reference, isolation, language)
            except NotFound:
                continue
        raise NotFound(f"the case's person is not in the location store (under none of their {len(pseudonyms)} "
                       "pseudonyms: national ID and phones)")  # fmt: skip

    def _tracer(self, disease: Disease) -> Tracer:
        with self._lock:
            if self._store is None:
                self._store = LocationStore.open(self.path, create=False, settings=self.settings)
            base = self._store.tracer()
            rules = base.rules.disease
            if (rules.days_before_onset, rules.days_infectious_after_onset) == (
                disease.days_before_onset,
                disease.days_infectious_after_onset,
            ):
                return base
            key = (disease.days_before_onset, disease.days_infectious_after_onset, disease.code)
            tracer = self._by_window.get(key)
            if tracer is None:
                window = rules.model_copy(
                    update={
                        "name": disease.name,
                        "days_before_onset": disease.days_before_onset,
                        "days_infectious_after_onset": disease.days_infectious_after_onset,
                    }
                )
                tracer = Tracer(self._store.store, rules=base.rules.model_copy(update={"disease": window}))
                self._by_window[key] = tracer
            else:
                tracer.refresh()
            return tracer


class TracingWorker:
    """A thread running due tracing jobs until :meth:`stop`."""

    def __init__(
        self,
        session_factory: SessionFactory,
        tracer: StoreTracer,
        diseases: DiseaseRegistry,
        *,
        poll_seconds: float = 1.0,
        retry_delay: dt.timedelta = dt.timedelta(seconds=30),
        lease: dt.timedelta = DEFAULT_LEASE,
    ) -> None:
        self.session_factory = session_factory
        self.tracer = tracer
        self.diseases = diseases
        self.poll_seconds = poll_seconds
        self.retry_delay = retry_delay
        self.lease = lease
        self.name = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"[:64]
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="izquvar-tracing", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Look for due jobs now (a lab result has just queued one)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the job in hand (a job cut short by a kill is claimed again when its lease passes)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                status = work_once(self.session_factory, self.tracer, self.diseases, self.name, lease=self.lease,
                                   retry_delay=self.retry_delay)  # fmt: skip
            except Exception:  # the database went away: log, wait, try again
                log.exception("the tracing worker could not claim a job")
                status = None
            if status is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
