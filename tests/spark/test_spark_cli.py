"""``izquvar spark stays`` writes the stored stays as Parquet; ``izquvar spark contacts`` the cases' encounters
and contacts, the tracer's (the same session serves the commands: one Spark per process)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from click.testing import CliRunner

from izquvar.cli import main
from izquvar.trace.engine import GridEngine, contact_seconds, encounter_query
from izquvar.trace.tracer import Tracer
from sparkkit import City

KEY = [("person", "ascending"), ("start", "ascending")]


def _run(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(main, ["spark", *args, "--master", "local[2]", "--json"])
    assert result.exit_code == 0, result.output
    written: dict[str, Any] = json.loads(result.output)
    return written


def test_spark_stays_writes_the_stored_stays(spark: Any, spark_city: City, tmp_path: Path) -> None:
    written = _run("stays", "--store", str(spark_city.store_path), "--out", str(tmp_path))
    stored = spark_city.store.table("stays")
    assert written["stays"]["rows"] == stored.num_rows
    found = pq.read_table(tmp_path / "stays").sort_by(KEY).cast(stored.schema)
    assert found.equals(stored.sort_by(KEY))


def test_spark_contacts_of_a_cases_file_are_the_tracers(
    spark: Any, spark_city: City, spark_city_tracer: Tracer, tmp_path: Path
) -> None:
    tracer = spark_city_tracer
    index, rules = tracer.data.stays, tracer.rules.gps
    onset = dt.datetime.fromtimestamp(tracer.data.data_start_s, dt.UTC).date() + dt.timedelta(days=1)
    persons = index.persons.to_pylist()[::25]
    cases = tmp_path / "cases.csv"
    cases.write_text("person,onset\n" + "".join(f"{p},{onset}\n" for p in persons), encoding="utf-8")
    expected = {}
    for k, person in enumerate(persons):
        query = encounter_query(index, person, *tracer.window(onset), rules.query_m, rules.min_minutes)
        if query is not None:
            seconds = contact_seconds(index, GridEngine(index).encounters(query))
            expected.update({(k, index.persons[p].as_py()): s for p, s in seconds.items()})
    assert len(expected) > 10

    out = tmp_path / "out"
    written = _run("contacts", "--store", str(spark_city.store_path), "--cases", str(cases), "--out", str(out))
    assert written["cases"] == len(persons) and written["contacts"]["rows"] == len(expected)
    contacts = pq.read_table(out / "contacts").to_pylist()
    assert {(r["case_id"], r["contact"]): r["seconds"] for r in contacts} == expected
    assert pq.read_table(out / "encounters").num_rows == written["encounters"]["rows"] >= len(expected)


def test_a_missing_store_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["spark", "stays", "--store", str(tmp_path / "none"), "--out", str(tmp_path)])
    assert result.exit_code != 0 and "not an izquvar store" in result.output
