"""Tracing in worker processes gives the files a serial run gives, byte for byte; worker failures surface.

Why: ``trace-all`` traces on every core by default, and an investigator must get the same contacts, chains and
sites whatever the machine. Checked with the real tracer on a small simulation (second-degree tracing
included), and with a fake tracer for progress and failures.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import numpy as np
import pytest
from outbreak_builders import DAY0, CaseSpec, FakeTracer, Meeting, at

from izquvar import open_store
from izquvar.errors import InvalidInput
from izquvar.outbreak import ConfirmedCase, trace_all
from izquvar.outbreak.trace_all import trace_cases
from izquvar.outbreak.tracing import batches, trace_in_pool
from izquvar.simulate import SimConfig, simulate
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from feedkit import settings  # type: ignore[import-not-found]

#: What summary.json says about the run itself rather than its findings.
RUN_FIELDS = ("trace_seconds", "seconds", "cases_per_second", "out", "parameters")


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tracer, list[ConfirmedCase]]:
    root = tmp_path_factory.mktemp("sim")
    simulate(SimConfig(people=1_500, days=5, seed=11), root / "sim")
    store = open_store(root / "store", settings=settings())
    store.ingest(sorted(p for p in (root / "sim").iterdir() if p.name not in ("truth", "simulation.json")))
    persons = np.asarray(store.table("people", ["person"]).column("person").to_pylist(), dtype=object)
    first = dt.date.fromisoformat(json.loads((root / "sim" / "simulation.json").read_text())["start"][:10])
    rng = np.random.default_rng(11)
    cases = [ConfirmedCase(first + dt.timedelta(days=int(rng.integers(1, 5))), str(p)) for p in rng.choice(persons, 24)]
    unique = list({c.person: c for c in cases}.values())
    return Tracer(store), [*unique, ConfirmedCase(first, "nobody-known")]


def test_parallel_run_writes_the_serial_runs_files(
    simulated: tuple[Tracer, list[ConfirmedCase]], tmp_path: Path
) -> None:
    tracer, cases = simulated
    runs = {
        workers: trace_all(tracer, cases, tmp_path / str(workers), DAY0, with_second_degree=True, workers=workers)
        for workers in (1, 2, 3)
    }
    files = sorted(p.name for p in (tmp_path / "1").iterdir())
    assert "second_degree.parquet" in files and runs[1].traced == len(cases) - 1
    assert runs[1].not_found == ["nobody-known"] and runs[1].contacts["close"] > 0
    for workers in (2, 3):
        assert sorted(p.name for p in (tmp_path / str(workers)).iterdir()) == files
        for name in files:
            if name == "summary.json":
                continue
            serial, parallel = (tmp_path / "1" / name).read_bytes(), (tmp_path / str(workers) / name).read_bytes()
            assert serial == parallel, f"{name} differs with {workers} workers"
        summaries = [json.loads((tmp_path / str(w) / "summary.json").read_text()) for w in (1, workers)]
        for summary in summaries:
            for field in RUN_FIELDS:
                summary.pop(field)
        assert summaries[0] == summaries[1]
        assert runs[workers].parameters["workers"] == workers


class _Failing(FakeTracer):
    """A fake tracer that fails on one person: a bug (an exception) or a worker that dies outright."""

    def __init__(self, specs: list[CaseSpec], bad: str, how: str) -> None:
        super().__init__(specs)
        self.bad, self.how = bad, how

    def trace(self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: str = "en") -> TraceResult:
        if person == self.bad and self.how == "raise":
            raise ValueError("a bug in a source")
        if person == self.bad and self.how == "die":
            os._exit(3)
        return super().trace(person, onset, isolation, lang)


SPECS = [CaseSpec(p, 3, meetings=[Meeting(f"{p}-contact", at(2, 9), at(2, 10))]) for p in "ABCDEFGH"]
CASES = [ConfirmedCase(DAY0 + dt.timedelta(days=3), p) for p in "ABCDEFGH"]


def test_an_error_in_a_worker_is_raised_with_the_case_it_stopped_at() -> None:
    with pytest.raises(ValueError, match="a bug in a source") as caught:
        trace_cases(_Failing(SPECS, "F", "raise"), CASES, workers=2)
    assert any("'F'" in note for note in getattr(caught.value, "__notes__", []))
    assert "Traceback" in str(caught.value.__cause__)  # the worker's own traceback


def test_a_worker_that_dies_breaks_the_run_clearly() -> None:
    with pytest.raises(BrokenProcessPool) as caught:
        trace_cases(_Failing(SPECS, "C", "die"), CASES, workers=2)
    assert any("--workers 1" in note for note in getattr(caught.value, "__notes__", []))


def test_progress_counts_every_case_once_in_order() -> None:
    seen: list[int] = []
    tables, missing = trace_in_pool(FakeTracer(SPECS[:6]), CASES, "en", 3, seen.append)
    assert seen[-1] == len(CASES) and seen == sorted(seen)
    assert missing == ["G", "H"]
    assert tables.table("cases").column("person").to_pylist() == list("ABCDEF")
    assert tables.table("contacts").column("contact").to_pylist() == [f"{p}-contact" for p in "ABCDEF"]


def test_batches_cover_every_case_in_order() -> None:
    for n, workers in ((1, 2), (7, 2), (1000, 2), (10_000, 8)):
        ranges = batches(n, workers)
        assert ranges[0][0] == 0 and ranges[-1][1] == n
        assert all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        assert len(ranges) >= min(n, workers)  # no worker left without work
    with pytest.raises(InvalidInput, match="at least 1"):
        trace_cases(FakeTracer(SPECS), CASES, workers=0)
