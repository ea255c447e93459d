"""Evaluation metrics on hand-made truth: window by local day, close recall/precision, per source, infectors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "outbreak"))
from outbreak_builders import DAY0, CaseSpec, FakeTracer, Meeting, at, from_specs

from izquvar.evaluate.metrics import score_close, score_infectors, true_close_contacts
from izquvar.evaluate.truth import SimTruth
from izquvar.outbreak.chains import candidate_links
from izquvar.simulate.truth import build
from izquvar.trace.rules import TracingRules

OFFSET = dt.timedelta(hours=5)


def _day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def _truth(rows: list[tuple[str, str, int]]) -> pa.Table:
    return build(
        "close_contacts",
        {
            "person_a": pa.array([r[0] for r in rows]),
            "person_b": pa.array([r[1] for r in rows]),
            "day": pa.array([_day(r[2]) for r in rows], pa.date32()),
            "minutes": pa.array([30] * len(rows), pa.int64()),
        },
    )


# Case A: onset day 4, isolated day 6 -> window [day 2 00:00 local, day 6 00:00 local)
CASE_A = CaseSpec(
    "A",
    4,
    isolation_day=6,
    meetings=[
        Meeting("H", at(2, 20), at(3, 7), source="household"),  # true, household
        Meeting("C", at(3, 9), at(3, 10), source="ble"),  # true, Bluetooth
        Meeting("F", at(4, 9), at(4, 10), source="cell"),  # false positive, operator
        Meeting("K", at(4, 12), at(4, 13), klass="casual", source="gps"),  # true but only casual
    ],
)
TRUTH_ROWS = [
    ("A", "H", 2),
    ("C", "A", 3),  # A appears as person_b
    ("A", "K", 4),
    ("A", "M", 5),  # missed entirely
    ("A", "Z", 1),  # before the window (day 1): not a true contact of this trace
    ("A", "Y", 6),  # isolation day: after the window
    ("B", "C", 3),  # does not involve A
]


def test_true_contacts_are_pairs_with_the_case_on_days_inside_its_window() -> None:
    t = from_specs([CASE_A])
    pairs = true_close_contacts(t["cases"], _truth(TRUTH_ROWS), OFFSET)
    assert sorted(pairs["contact"].to_pylist()) == ["C", "H", "K", "M"]
    assert set(pairs["case"].to_pylist()) == {"A"}


def test_close_recall_precision_and_each_source_alone() -> None:
    t = from_specs([CASE_A])
    pairs = true_close_contacts(t["cases"], _truth(TRUTH_ROWS), OFFSET)
    overall, any_class, per_source = score_close(t["contacts"], pairs)
    # close: H, C, F -> 2 true of 3 predicted; truth: C, H, K, M
    assert (overall.predicted, overall.true_positive, overall.truth) == (3, 2, 4)
    assert overall.recall == pytest.approx(0.5) and overall.precision == pytest.approx(2 / 3)
    assert any_class.recall == pytest.approx(0.75)  # K found, but as casual
    assert per_source["Bluetooth"].recall == pytest.approx(0.25) and per_source["Bluetooth"].precision == 1.0
    assert per_source["operator"].precision == 0.0 and per_source["operator"].predicted == 1
    assert per_source["registry"].true_positive == 1 and per_source["  household"].true_positive == 1
    assert per_source["GPS"].predicted == 0 and per_source["GPS"].precision is None


def test_true_infectors_found_by_tracing_and_by_chains() -> None:
    a = CaseSpec("A", 3, meetings=[Meeting("B", at(2, 10), at(2, 12))])
    b = CaseSpec("B", 6)
    c = CaseSpec("C", 6)  # infected by D, who is not a case and whom C's trace never saw
    t = from_specs([a, b, c])
    infections = build(
        "infections",
        {
            "infector": pa.array([None, "A", "D"], pa.string()),
            "infectee": pa.array(["A", "B", "C"]),
            "time": pa.array([at(0, 0), at(2, 11), at(2, 11)]),
            "venue": pa.array([None, None, None], pa.string()),
            "zone": pa.array([None, None, None], pa.int64()),
            "setting": pa.array([None, None, None], pa.string()),
        },
    )
    links = candidate_links(t["cases"], t["contacts"], t["evidence"])
    score = score_infectors(t["cases"], t["contacts"], links, infections).to_json()
    assert score["cases_with_known_infector"] == 2
    assert score["linked_by_tracing"] == 1 and score["share_linked_by_tracing"] == 0.5
    assert score["infector_is_traced_case"] == 1 and score["share_likely_in_chains"] == 1.0


def _write_sim(root: Path, raw_cases: list[str]) -> None:
    """A minimal simulator output: simulation.json and the truth tables."""
    (root / "truth" / "close_contacts" / "day=2026-03-04").mkdir(parents=True)
    meta = {"config": {"format": "parquet", "utc_offset_hours": 5}, "people": 10, "days": 7, "start": "2026-03-02"}
    (root / "simulation.json").write_text(json.dumps(meta))
    pq.write_table(
        _truth([(raw_cases[0], "X1", 2)]), root / "truth" / "close_contacts" / "day=2026-03-04" / "p.parquet"
    )
    n = len(raw_cases)
    cases = build(
        "cases",
        {
            "person": pa.array(raw_cases),
            "infection_time": pa.array([at(0, 0)] * n),
            "onset": pa.array([at(3, 9)] + [None] * (n - 1), pa.timestamp("us", tz="UTC")),
            "asymptomatic": pa.array([False] + [True] * (n - 1)),
            "specimen_date": pa.array([_day(4)] * n, pa.date32()),
            "isolation": pa.array([_day(5)] + [None] * (n - 1), pa.date32()),
        },
    )
    pq.write_table(cases, root / "truth" / "cases.parquet")
    none = pa.array([None] * n, pa.string())
    infections = build(
        "infections",
        {"infector": none, "infectee": pa.array(raw_cases), "time": pa.array([at(0, 0)] * n), "venue": none,
         "zone": pa.array([None] * n, pa.int64()), "setting": none},
    )  # fmt: skip
    pq.write_table(infections, root / "truth" / "infections.parquet")


def test_truth_reader_keeps_the_day_column_and_gives_interview_dates(tmp_path: Path) -> None:
    _write_sim(tmp_path, ["R1", "R2"])
    truth = SimTruth.load(tmp_path)
    assert truth.close_contacts.column_names == ["person_a", "person_b", "day", "minutes"]
    assert truth.close_contacts["day"].to_pylist() == [_day(2)]
    assert truth.onsets() == {"R1": (_day(3), _day(4), _day(5)), "R2": (None, _day(4), None)}


class _NarrowingTracer(FakeTracer):
    """A fake that, like the real tracer, can be narrowed to some sources (then keeps only their meetings)."""

    rules = TracingRules()

    def __init__(self, specs: Sequence[CaseSpec]) -> None:
        super().__init__(specs)
        self.narrowed_to: list[str] = []

    def with_sources(self, sources: Sequence[Any]) -> FakeTracer:
        names = [s.name for s in sources]
        self.narrowed_to = names
        return FakeTracer(
            [replace(s, meetings=[m for m in s.meetings if m.source in names]) for s in self.specs.values()]
        )


def test_evaluate_cli_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from izquvar import open_store
    from izquvar.cli import evaluate as command
    from izquvar.trace import tracer as tracer_module

    _write_sim(tmp_path / "sim", ["R1"])
    store = open_store(tmp_path / "store")
    (tmp_path / "lab.csv").write_text(
        "person,specimen_date,result_date,test,result\nR1,2026-03-06,2026-03-06,PCR,positive\n"
    )
    store.ingest([tmp_path / "lab.csv"])
    p1 = store.pseudonym("R1")
    meetings = [
        Meeting(store.pseudonym("X1"), at(2, 9), at(2, 10)),
        # the interview names a person no truth pair has (and not X1, the true close contact)
        Meeting(store.pseudonym("X2"), at(2, 0), at(3, 0), source="interview"),
    ]
    fake = _NarrowingTracer([CaseSpec(p1, 3, meetings=meetings)])
    monkeypatch.setattr(tracer_module, "Tracer", lambda feeds, **options: fake)

    @click.group()
    def cli() -> None:
        pass

    command.register(cli)
    result = CliRunner().invoke(cli, ["evaluate", "--sim", str(tmp_path / "sim"), "--store", str(tmp_path / "store"),
                                      "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    # traced with the interview's onset (day 3) and isolation (day 5), not the specimen date
    assert fake.calls == [(p1, _day(3), _day(5))]
    assert scores["close"] == {"predicted": 2, "true_positive": 1, "truth": 1, "recall": 1.0, "precision": 0.5}
    assert set(scores["per_source"]) == {"GPS", "operator", "card", "QR", "Bluetooth", "registry", "household",
                                         "roster", "interview"}  # fmt: skip
    # the interview alone: traced again with only that source, scored the same way
    assert fake.narrowed_to == ["interview"]
    assert scores["interview_only"] == {"predicted": 1, "true_positive": 0, "truth": 1, "recall": 0.0,
                                        "precision": 0.0}  # fmt: skip
    assert scores["per_source"]["interview"]["predicted"] == 1
    table = CliRunner().invoke(cli, ["evaluate", "--sim", str(tmp_path / "sim"), "--store", str(tmp_path / "store")])
    assert table.exit_code == 0 and "Bluetooth" in table.output and "recall" in table.output
