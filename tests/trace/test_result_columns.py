"""A trace's columns (FusedContacts, CaseTrace) say exactly what its pydantic result says.

Why: bulk runs read the columns and never build the models, single traces build the models from the columns;
the two must not drift apart. Checked on every contact of real traces of a small simulation.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from izquvar import open_store
from izquvar.outbreak.trace_tables import SCHEMAS, TraceTables
from izquvar.simulate import SimConfig, simulate
from izquvar.trace.fuse import SOURCE_ORDER
from izquvar.trace.result import Contact, TraceResult
from izquvar.trace.tracer import Tracer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from feedkit import settings  # type: ignore[import-not-found]

Cases = list[tuple[str, dt.date]]


@pytest.fixture(scope="module")
def traced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Tracer, Cases]:
    root = tmp_path_factory.mktemp("sim")
    simulate(SimConfig(people=1_500, days=5, seed=5), root / "sim")
    store = open_store(root / "store", settings=settings())
    store.ingest(sorted(p for p in (root / "sim").iterdir() if p.name not in ("truth", "simulation.json")))
    persons = store.table("people", ["person"]).column("person").to_pylist()
    first = dt.date.fromisoformat(json.loads((root / "sim" / "simulation.json").read_text())["start"][:10])
    rng = np.random.default_rng(5)
    chosen = rng.choice(np.asarray(persons, dtype=object), 30, replace=False)
    return Tracer(store), [(str(p), first + dt.timedelta(days=int(rng.integers(1, 5)))) for p in chosen]


def _json(result: TraceResult) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.to_json(indent=None))
    data["summary"].pop("elapsed_ms")
    return data


def test_columns_build_the_result_trace_returns(traced: tuple[Tracer, Cases]) -> None:
    tracer, cases = traced
    contacts = 0
    for person, onset in cases:
        columns = tracer.trace_columns(person, onset)
        assert _json(columns.result()) == _json(tracer.trace(person, onset))
        fused = columns.contacts
        contacts += len(fused)
        assert fused.offsets[0] == 0 and fused.offsets[-1] == len(fused.evidence["source"])
        assert np.all(np.diff(fused.offsets) >= 1)  # every contact has evidence
        assert set(fused.evidence["venue_id"][fused.evidence["venue_id"] != None]) <= set(fused.venues)  # noqa: E711
    assert contacts >= 100  # the traces found something to compare


def test_models_built_without_validation_validate(traced: tuple[Tracer, Cases]) -> None:
    tracer, cases = traced
    for person, onset in cases[:10]:
        for contact in tracer.trace(person, onset).contacts:
            assert Contact.model_validate(contact.model_dump()) == contact
            assert contact.sources == [s for s in SOURCE_ORDER if s in contact.sources]  # listed in source order


def test_tables_from_columns_equal_tables_from_results(traced: tuple[Tracer, Cases]) -> None:
    tracer, cases = traced
    from_columns, from_results = TraceTables(flush_rows=500), TraceTables()
    for person, onset in cases:
        columns = tracer.trace_columns(person, onset)
        from_columns.add_trace(columns)
        from_results.add(columns.result())
    for name in SCHEMAS:
        assert from_columns.table(name).equals(from_results.table(name)), name
    assert from_columns.table("evidence").num_rows > 1_000
