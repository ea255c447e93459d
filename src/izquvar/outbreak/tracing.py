"""Tracing many cases into tables, in this process or on every core (forked workers share the loaded tracer).

Why processes and fork: a trace is Python and numpy glue around short numba kernels, so threads would
serialise on the interpreter lock. Forked after the tracer is loaded, each worker starts with the tracer's
tables and its memory-mapped stay index already in (shared, copy-on-write) memory: nothing is pickled or loaded
again. Cases go out in contiguous batches; each worker returns a batch's four tables (Arrow, pickled as IPC
buffers) and the parent appends them in case order, so the tables equal a serial run's row for row.

A shared counter, bumped by the workers after every case, drives the progress bar one case at a time. An error
in a worker is raised in the parent as the worker raised it (its traceback attached as the cause, a note naming
the case); a worker that dies outright (out of memory, killed) surfaces as ``BrokenProcessPool``.
"""

from __future__ import annotations

import gc
import itertools
import math
import multiprocessing
import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.sharedctypes import Synchronized

import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from izquvar.errors import InvalidInput, NotFound
from izquvar.i18n import Lang
from izquvar.outbreak.cases import ConfirmedCase
from izquvar.outbreak.protocol import CaseTracer, ColumnarTracer
from izquvar.outbreak.trace_tables import TraceTables

#: Most cases a worker traces before it hands its tables back (fewer when that would starve a worker).
MAX_BATCH = 64
#: Batches per worker at least, so that a slow batch (a case with thousands of contacts) does not leave the
#: other workers idle at the end.
BATCHES_PER_WORKER = 8
#: How often the parent refreshes the progress bar while it waits for the next batch, seconds.
POLL_S = 0.1


def trace_many(
    tracer: CaseTracer, cases: Sequence[ConfirmedCase], lang: Lang, workers: int, progress: Callable[[int], None]
) -> tuple[TraceTables, list[str]]:
    """Trace ``cases`` into tables, in ``workers`` processes; the persons the data does not know are listed.
    ``progress(n)`` hears how many cases are done. The tables are the same whatever the number of workers;
    where processes cannot be forked (Windows), the cases are traced in this process."""
    if workers < 1:
        raise InvalidInput(f"trace-all: workers must be at least 1, got {workers}.")
    if workers > 1 and len(cases) > 1 and "fork" in multiprocessing.get_all_start_methods():
        return trace_in_pool(tracer, cases, lang, min(workers, len(cases)), progress)
    tables = TraceTables()
    counter = itertools.count(1)
    missing = trace_into(tracer, cases, lang, tables, lambda: progress(next(counter)))
    return tables, missing


def trace_into(
    tracer: CaseTracer, cases: Sequence[ConfirmedCase], lang: Lang, tables: TraceTables, tick: Callable[[], None]
) -> list[str]:
    """Trace ``cases`` in this process into ``tables`` (as columns when the tracer offers them); ``tick()`` after
    each case. Returns the persons the data does not know; any other error names the case it stopped at."""
    missing: list[str] = []
    for case in cases:
        try:
            if isinstance(tracer, ColumnarTracer):
                tables.add_trace(tracer.trace_columns(case.person, case.onset, case.isolation, lang=lang))
            else:
                tables.add(tracer.trace(case.person, case.onset, case.isolation, lang=lang))
        except NotFound:
            missing.append(case.person)
        except Exception as error:
            error.add_note(f"while tracing case {case.person!r} (onset {case.onset})")
            raise
        tick()
    return missing


@contextmanager
def progress_bar(enabled: bool, total: int, what: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on the terminal (or nothing); what it yields takes how many steps are done so far."""
    if not enabled:
        yield lambda done: None
        return
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task(what, total=total)
        yield lambda done: progress.update(task, completed=done)


def default_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def batches(n: int, workers: int) -> list[tuple[int, int]]:
    """``[first, stop)`` case ranges covering ``0..n`` in order."""
    size = max(1, min(MAX_BATCH, math.ceil(n / (workers * BATCHES_PER_WORKER))))
    return [(first, min(first + size, n)) for first in range(0, n, size)]


@dataclass(frozen=True)
class _Worker:
    """What a worker process inherits from the parent at fork."""

    tracer: CaseTracer
    cases: Sequence[ConfirmedCase]
    lang: Lang
    done: Synchronized[int]

    def tick(self) -> None:
        with self.done.get_lock():
            self.done.value += 1


_WORKER: _Worker | None = None


def _start(worker: _Worker) -> None:
    global _WORKER
    _WORKER = worker


def _trace_batch(first: int, stop: int) -> tuple[dict[str, pa.Table], list[str]]:
    """In a worker: trace cases ``first..stop`` of the run; their tables and the persons the store lacks."""
    worker = _WORKER
    assert worker is not None, "a batch runs only in a worker started by trace_in_pool"
    tables = TraceTables()
    missing = trace_into(worker.tracer, worker.cases[first:stop], worker.lang, tables, worker.tick)
    return tables.tables(), missing


def trace_in_pool(
    tracer: CaseTracer,
    cases: Sequence[ConfirmedCase],
    lang: Lang,
    workers: int,
    progress: Callable[[int], None],
) -> tuple[TraceTables, list[str]]:
    """:func:`trace_many` in ``workers`` forked processes."""
    context = multiprocessing.get_context("fork")
    done: Synchronized[int] = context.Value("q", 0)
    tables = TraceTables()
    missing: list[str] = []
    with ProcessPoolExecutor(workers, context, _start, (_Worker(tracer, cases, lang, done),)) as pool:
        with _forking():  # with the fork start method, the first submit forks every worker
            futures = [pool.submit(_trace_batch, first, stop) for first, stop in batches(len(cases), workers)]
        try:
            for future in futures:
                batch_tables, batch_missing = _wait(future, lambda: progress(done.value))
                tables.add_tables(batch_tables)
                missing.extend(batch_missing)
                progress(done.value)
        except BrokenProcessPool as error:
            error.add_note("a tracing worker process died (out of memory or killed?); --workers 1 traces in one")
            raise
        finally:
            for future in futures:
                future.cancel()
    return tables, missing


def _wait(
    future: Future[tuple[dict[str, pa.Table], list[str]]], idle: Callable[[], None]
) -> tuple[dict[str, pa.Table], list[str]]:
    while True:
        try:
            return future.result(timeout=POLL_S)
        except TimeoutError:
            idle()


@contextmanager
def _forking() -> Iterator[None]:
    """While the workers are forked, every object alive is moved to the collector's permanent generation, so
    that collections in the workers do not touch (and so copy) the parent's pages; Python's warning that
    forking a process with threads may deadlock is not raised. Why that is safe here: the threads are those of
    native pools (Arrow, DuckDB) that the workers never use; numba kernels here are compiled without threads."""
    gc.freeze()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks", category=DeprecationWarning)
            yield
    finally:
        gc.unfreeze()
