"""``izquvar trace``: every format, languages, --out, exit codes; and one end-to-end trace on a simulated store."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
from click.testing import CliRunner, Result

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))  # the shared sample trace
from trace_samples import CASE, sample_trace

import izquvar.cli.trace as trace_cli
from izquvar.cli import main
from izquvar.errors import NotFound
from izquvar.i18n import Lang, catalog
from izquvar.trace.result import TraceResult

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "trace-schema.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def cli() -> click.Group:
    """The real command group, with ``trace`` registered if ``izquvar.cli`` does not do it yet."""
    if "trace" not in main.commands:
        trace_cli.register(main)
    return main


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the store and the tracer: the known case traces to the sample, anyone else is NotFound."""
    calls: list[dict[str, Any]] = []

    class FakeStore:
        """Stands in for a store so the command can be tested without tracing."""

        def trace(
            self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: Lang = "en"
        ) -> TraceResult:
            calls.append({"person": person, "onset": onset, "isolation": isolation, "lang": lang})
            if person != CASE:
                raise NotFound(f"person {person!r} is not in the store")
            return sample_trace(lang)

    monkeypatch.setattr(trace_cli, "open_store", lambda path, create=True: FakeStore())
    return calls


def _run(cli: click.Group, *args: str) -> Result:
    return CliRunner().invoke(cli, ["trace", *args])


def test_json_is_the_validated_contract(cli: click.Group, traced: list[dict[str, Any]]) -> None:
    result = _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--isolated", "2026-03-15", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    assert TraceResult.model_validate(document) == sample_trace("en")
    assert traced == [{"person": CASE, "onset": dt.date(2026, 3, 12), "isolation": dt.date(2026, 3, 15), "lang": "en"}]


def test_geojson_and_table_formats(cli: click.Group, traced: list[dict[str, Any]]) -> None:
    geo = _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--format", "geojson")
    assert geo.exit_code == 0 and json.loads(geo.output)["type"] == "FeatureCollection"
    table = _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--lang", "ru")
    assert table.exit_code == 0
    assert catalog("report", "ru")["section.contacts"] in table.output
    assert traced[-1]["lang"] == "ru"


@pytest.mark.parametrize("lang", ["uz-Latn", "uz-Cyrl", "ru", "en"])
def test_html_to_a_file_in_each_language(
    cli: click.Group, traced: list[dict[str, Any]], tmp_path: Path, lang: str
) -> None:
    out = tmp_path / "report.html"
    result = _run(
        cli, CASE, "--store", "s", "--onset", "2026-03-12", "--format", "html", "--lang", lang, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == str(out)
    document = out.read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in document and catalog("report", lang)["report.title"] in document  # type: ignore[arg-type]
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary file left behind


def test_language_variants_are_accepted(cli: click.Group, traced: list[dict[str, Any]]) -> None:
    assert (
        _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--format", "json", "--lang", "uz_cyrl").exit_code == 0
    )
    assert traced[-1]["lang"] == "uz-Cyrl"


def test_unknown_person_exits_3(cli: click.Group, traced: list[dict[str, Any]]) -> None:
    result = _run(cli, "nobody", "--store", "s", "--onset", "2026-03-12")
    assert result.exit_code == 3
    assert "nobody" in result.stderr


@pytest.mark.parametrize(
    ("option", "value"),
    [("--onset", "12.03.2026"), ("--onset", "2026-02-30"), ("--onset", "20260312"), ("--isolated", "tomorrow")],
)
def test_bad_dates_exit_2_with_a_clear_message(
    cli: click.Group, traced: list[dict[str, Any]], option: str, value: str
) -> None:
    args = [CASE, "--store", "s", "--onset", "2026-03-12", option, value]
    result = _run(cli, *args)
    assert result.exit_code == 2
    assert option in result.stderr and value in result.stderr
    assert traced == []  # refused before tracing


def test_bad_language_and_format_exit_2(cli: click.Group, traced: list[dict[str, Any]]) -> None:
    assert _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--lang", "de").exit_code == 2
    assert _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--format", "pdf").exit_code == 2


def test_out_into_a_missing_directory_exits_2(cli: click.Group, traced: list[dict[str, Any]], tmp_path: Path) -> None:
    out = tmp_path / "missing" / "r.html"
    result = _run(cli, CASE, "--store", "s", "--onset", "2026-03-12", "--format", "html", "--out", str(out))
    assert result.exit_code == 2 and "does not exist" in result.stderr


def test_missing_store_exits_3(cli: click.Group, tmp_path: Path) -> None:
    result = _run(cli, CASE, "--store", str(tmp_path / "none"), "--onset", "2026-03-12")
    assert result.exit_code == 3


# -- end to end on a small simulated outbreak -------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dt.date]:
    """A 400-person, 4-day simulated Tashkent, ingested; returns the store, a case and its onset."""
    import pyarrow.parquet as pq

    root = tmp_path_factory.mktemp("sim")
    runner = CliRunner()
    sim = runner.invoke(main, ["simulate", "--people", "400", "--days", "4", "--seed", "7", "--out", str(root / "sim"),
                               "--no-close-contacts"])  # fmt: skip
    assert sim.exit_code == 0, sim.output
    ingest = runner.invoke(main, ["ingest", "--store", str(root / "store"), str(root / "sim"), "--no-progress"])
    assert ingest.exit_code in (0, 1), ingest.output  # 1: some rows rejected, which the simulator injects
    cases = pq.read_table(root / "sim" / "truth" / "cases.parquet").to_pylist()
    case = next(c for c in cases if c["onset"] is not None)
    return root / "store", case["person"], dt.date(2026, 3, 4)


@pytest.mark.slow
def test_end_to_end_trace_of_a_simulated_case(
    cli: click.Group, simulated_store: tuple[Path, str, dt.date], tmp_path: Path
) -> None:
    store, person, onset = simulated_store
    as_json = _run(cli, person, "--store", str(store), "--onset", onset.isoformat(), "--format", "json")
    assert as_json.exit_code == 0, as_json.output + as_json.stderr
    document = json.loads(as_json.output)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    result = TraceResult.model_validate(document)
    assert result.case.person != person  # the raw id was pseudonymised
    assert result.places, "a simulated case has a path"
    report = tmp_path / "case.html"
    html = _run(cli, result.case.person, "--store", str(store), "--onset", onset.isoformat(), "--format", "html",
                "--lang", "uz-Latn", "--out", str(report))  # fmt: skip
    assert html.exit_code == 0, html.stderr
    document_html = report.read_text(encoding="utf-8")
    assert document_html.count("<tr data-class=") == len(result.contacts)
    unknown = _run(cli, "no-such-person", "--store", str(store), "--onset", onset.isoformat())
    assert unknown.exit_code == 3
