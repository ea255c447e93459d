"""trace_all end to end on hand-made results, second-degree contacts, cases files and the CLI's shape."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from outbreak_builders import DAY0, CaseSpec, FakeTracer, Meeting, Visit, at

from izquvar.errors import InvalidInput, IzquvarError, NotFound
from izquvar.outbreak import ConfirmedCase, cases_from_lab, read_cases_file, trace_all
from izquvar.outbreak.second_degree import second_degree
from izquvar.outbreak.trace_tables import from_results
from izquvar.trace.disease import DiseaseProfile

SPECS = [
    CaseSpec("A", 3, visits=[Visit(at(2, 18), at(2, 21), "W1", "wedding_hall")],
             meetings=[Meeting("B", at(2, 18), at(2, 21), risk=0.9), Meeting("X", at(2, 18), at(2, 19))]),
    CaseSpec("B", 4, visits=[Visit(at(2, 18), at(2, 21), "W1", "wedding_hall")]),
    # X, a close contact of A, later met Y (close) and Z (casual)
    CaseSpec("X", 9, meetings=[Meeting("Y", at(3, 9), at(3, 10)), Meeting("Z", at(3, 9), at(3, 10), klass="casual"),
                               Meeting("Y", at(7, 9), at(7, 10))]),
]  # fmt: skip


def _day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def test_trace_all_writes_every_table_and_a_summary(tmp_path: Path) -> None:
    tracer = FakeTracer(SPECS)
    cases = [ConfirmedCase(_day(3), "A"), ConfirmedCase(_day(4), "B"), ConfirmedCase(_day(4), "NOBODY")]
    run = trace_all(tracer, cases, tmp_path / "run", as_of=_day(7), with_second_degree=True)
    names = {p.name for p in (tmp_path / "run").iterdir()}
    assert names == {
        "cases.parquet", "places.parquet", "contacts.parquet", "evidence.parquet", "chain_links.parquet",
        "chains.parquet", "clusters.parquet", "exposure_sites.parquet", "exposure_sites.json",
        "second_degree.parquet", "summary.json",
    }  # fmt: skip
    assert run.traced == 2 and run.not_found == ["NOBODY"]
    assert run.contacts == {"close": 2, "casual": 0, "possible": 0}
    assert (run.chain_links, run.chains, run.largest_chain, run.clusters) == (1, 1, 2, 1)
    assert run.exposure_sites == {"published": 1, "withheld": 0, "expired": 0}
    assert run.second_degree == 1  # Y; Z is casual, A and B are cases
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["traced"] == 2 and summary["schema_version"] == "izquvar.outbreak/1"
    assert summary["not_found"] == 1  # a count: the names given may be raw identifiers
    chains = pq.read_table(tmp_path / "run" / "chains.parquet").to_pylist()
    assert {r["person"]: r["infector"] for r in chains} == {"A": None, "B": "A"}
    public = json.loads((tmp_path / "run" / "exposure_sites.json").read_text())
    assert [s["venue_name"] for s in public["sites"]] == ["wedding_hall W1"]


def test_trace_all_refuses_a_used_directory_and_duplicate_cases(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("")
    with pytest.raises(InvalidInput, match="not empty"):
        trace_all(FakeTracer(SPECS), [ConfirmedCase(_day(3), "A")], tmp_path / "used", as_of=_day(7))
    with pytest.raises(InvalidInput, match="more than once"):
        trace_all(
            FakeTracer(SPECS),
            [ConfirmedCase(_day(3), "A"), ConfirmedCase(_day(4), "A")],
            tmp_path / "new",
            as_of=_day(7),
        )


def test_second_degree_traces_each_close_contact_from_exposure_to_quarantine() -> None:
    tracer = FakeTracer(SPECS)
    tables = from_results([tracer.trace("A", _day(3), None), tracer.trace("B", _day(4), None)])
    tracer.calls.clear()
    found = second_degree(tracer, tables["cases"], tables["contacts"])
    # X first met A on day 2; A has no isolation date, so X's quarantine starts the day after A's onset (day 4)
    assert tracer.calls == [("X", _day(2 + 2), _day(4))]
    assert found.to_pylist()[0]["second"] == "Y"
    assert set(found["klass"].to_pylist()) == {"close"}


def test_second_degree_opens_the_window_at_exposure_by_the_tracers_disease() -> None:
    tracer = FakeTracer(SPECS)
    tables = from_results([tracer.trace("A", _day(3), None), tracer.trace("B", _day(4), None)])
    tracer.calls.clear()
    tracer.profile = DiseaseProfile(name="measles", days_before_onset=4)
    second_degree(tracer, tables["cases"], tables["contacts"])
    assert tracer.calls == [("X", _day(2 + 4), _day(4))]  # onset 4 days after exposure: the window opens at it


class _Lab:
    def __init__(self, table: pa.Table) -> None:
        self.lab = table

    def table(self, kind: str, columns: Sequence[str] | None = None) -> pa.Table:
        assert kind == "lab"
        return self.lab.select(list(columns or self.lab.column_names))


def test_cases_from_lab_take_each_persons_first_positive_specimen() -> None:
    lab = pa.table(
        {
            "person": ["p1", "p1", "p2", "p3", "p1"],
            "specimen_date": [_day(5), _day(3), _day(4), _day(1), _day(1)],
            "result": ["positive", "positive", "positive", "negative", "inconclusive"],
        }
    )
    assert cases_from_lab(_Lab(lab)) == [ConfirmedCase(_day(3), "p1"), ConfirmedCase(_day(4), "p2")]
    assert cases_from_lab(_Lab(lab.slice(3, 2))) == []


def test_cases_file_rules(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    path.write_text("person,onset,isolation\nP1,2026-03-05,2026-03-07\nP2,2026-03-04,\nP1,2026-03-03,\n")
    assert read_cases_file(path) == [ConfirmedCase(_day(1), "P1"), ConfirmedCase(_day(2), "P2")]
    path.write_text("person,onset\nP1,05/03/2026\n")
    with pytest.raises(InvalidInput, match="line 2, field onset"):
        read_cases_file(path)
    path.write_text("person,onset,isolation\nP1,2026-03-05,2026-03-03\n")
    with pytest.raises(InvalidInput, match="line 2, field isolation"):
        read_cases_file(path)
    path.write_text("who,when\n")
    with pytest.raises(InvalidInput, match="missing person, onset"):
        read_cases_file(path)
    with pytest.raises(NotFound):
        read_cases_file(tmp_path / "absent.csv")


def _group() -> click.Group:
    from izquvar.cli import trace_all as command

    @click.group()
    def cli() -> None:
        pass

    command.register(cli)
    return cli


def test_cli_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from izquvar import open_store
    from izquvar.trace import tracer as tracer_module

    store = open_store(tmp_path / "store")
    (tmp_path / "lab.csv").write_text(
        "person,specimen_date,result_date,test,result\n"
        "AAA,2026-03-07,2026-03-08,PCR,positive\nAAA,2026-03-05,2026-03-06,PCR,positive\n"
        "BBB,2026-03-04,2026-03-05,antigen,negative\n"
    )
    store.ingest([tmp_path / "lab.csv"])
    pseudonym = store.pseudonym("AAA")
    fake = FakeTracer([CaseSpec(pseudonym, 3, visits=[Visit(at(2, 9), at(2, 10), "V1")])])
    monkeypatch.setattr(tracer_module, "Tracer", lambda feeds, **options: fake)
    runner = CliRunner()
    out = tmp_path / "run"
    result = runner.invoke(_group(), ["trace-all", "--store", str(tmp_path / "store"), "--out", str(out),
                                      "--as-of", "2026-03-10", "--workers", "3", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["traced"] == 1 and summary["exposure_sites"]["published"] == 1
    assert summary["parameters"]["workers"] == 3
    assert fake.calls == [(pseudonym, _day(3), None)]  # first positive specimen date as the onset
    bad = runner.invoke(_group(), ["trace-all", "--store", str(tmp_path / "store"), "--as-of", "10.03.2026"])
    assert isinstance(bad.exception, IzquvarError) and "--as-of" in str(bad.exception)
    no_workers = runner.invoke(_group(), ["trace-all", "--store", str(tmp_path / "store"), "--workers", "0"])
    assert no_workers.exit_code == 2 and "--workers" in no_workers.output
