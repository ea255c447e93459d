"""``izquvar ingest``: exit 0 when clean, 1 with rejects, 6 when the ingest failed; reports on the terminal."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from feedkit import DAY1, PHONE_A, gps_rows, iso, settings, write_csv, write_kind, write_world

from izquvar.cli import main

ENV = {"IZQUVAR_PSEUDONYM_KEY": settings().pseudonym_key.get_secret_value(), "IZQUVAR_ENV": "development"}


def _ingest(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["ingest", *args], env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_clean_ingest_exits_0_and_a_repeat_says_already_ingested(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    write_world(feeds)
    write_kind(feeds, "gps", [r for r in gps_rows() if r["time"] < iso(DAY1.replace(hour=12))])
    code, out, err = _ingest(str(feeds), "--store", str(tmp_path / "store"))
    assert code == 0, err
    assert "No rejects." in out and "gps.csv" in out
    code, out, _ = _ingest(str(feeds), "--store", str(tmp_path / "store"))
    assert code == 0
    assert "already ingested" in out


def test_rejects_exit_1_with_a_summary(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "gps.csv",
        ["person", "time", "lat", "lon", "accuracy_m"],
        [
            [PHONE_A, iso(DAY1), "41.3", "69.2", "5"],
            [PHONE_A, "later", "41.3", "69.2", "5"],
            [PHONE_A, iso(DAY1), "95", "69.2", "5"],
        ],
    )
    code, out, _ = _ingest(str(path), "--store", str(tmp_path / "store"))
    assert code == 1
    assert "First rejects" in out and "unparseable" in out and "out_of_range" in out
    assert "2 row(s) rejected" in out
    code, out, _ = _ingest(str(path), "--store", str(tmp_path / "store2"), "--json")
    assert code == 1
    body = json.loads(out)
    assert body["rejected_rows"] == 2 and body["stored"] == {"gps": 1}
    assert body["rejects_by_reason"] == {"out_of_range": 1, "unparseable": 1}
    assert {(r["row"], r["line"], r["field"]) for r in body["first_rejects"]} == {(2, 3, "time"), (3, 4, "lat")}


def test_failed_ingest_exits_6_and_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "gps.csv"
    bad.write_text("person,time\nx,2026-03-02T00:00:00Z\n")
    good = write_world(tmp_path / "w")
    code, _, err = _ingest(*map(str, good), str(bad), "--store", str(tmp_path / "store"))
    assert code == 6
    assert "required column(s) lat, lon, accuracy_m missing" in err
    code, _, err = _ingest(str(tmp_path / "absent.csv"), "--store", str(tmp_path / "store"))
    assert code == 6 and "no such file" in err
    info = CliRunner().invoke(main, ["store", "info", "--store", str(tmp_path / "store"), "--json"], env=ENV)
    assert json.loads(info.stdout)["counts"]["venues"] == 0


def test_kind_option_forces_the_kind(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "export-from-operator.csv", ["subscriber", "time", "cell_id"], [[PHONE_A, iso(DAY1), "c-1"]]
    )
    code, _, err = _ingest(str(path), "--store", str(tmp_path / "store"))
    assert code == 2 and "--kind" in err
    towers = write_world(tmp_path / "w")[1]
    code, _, err = _ingest(str(towers), str(path), "--kind", "cell", "--store", str(tmp_path / "store"))
    assert code == 6 and "subscriber" in err  # a towers file forced to be cell records lacks their columns
    assert _ingest(str(towers), "--store", str(tmp_path / "store"))[0] == 0
    code, _, err = _ingest(str(path), "--kind", "cell", "--store", str(tmp_path / "store"))
    assert code == 0, err
