"""``izquvar sql``, ``izquvar store info`` and ``izquvar purge`` on a small store."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedkit import NOW, gps_rows, settings, write_kind, write_world

from izquvar import open_store
from izquvar.cli import main
from izquvar.cli.store import parse_duration, parse_utc
from izquvar.errors import InvalidInput
from izquvar.formats import ALL_TABLES

ENV = {"IZQUVAR_PSEUDONYM_KEY": settings().pseudonym_key.get_secret_value(), "IZQUVAR_ENV": "development"}


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    feeds = tmp_path / "feeds"
    open_store(root, settings=settings()).ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows())], now=NOW)
    return root


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_store_info_json_shape(filled: Path) -> None:
    code, out, _ = _run("store", "info", "--store", str(filled), "--json")
    assert code == 0
    info = json.loads(out)
    assert set(info["counts"]) == set(ALL_TABLES)
    assert info["counts"]["gps"] == len(gps_rows()) and info["counts"]["stays"] == 3
    assert info["counts"]["rejects"] == 0 and info["rejects"] == 0
    assert info["people"] == 2 and info["batches"] == 1 and info["retention_days"] == 14
    assert info["time_range"]["start"] == "2026-03-02T08:00:00Z"
    assert isinstance(info["size_bytes"], int)
    code, out, _ = _run("store", "info", "--store", str(filled))
    assert code == 0 and "people (distinct pseudonyms): 2" in out


def test_sql_as_table_json_and_csv(filled: Path) -> None:
    query = "SELECT venue_id, count(*) AS stays FROM stays GROUP BY venue_id ORDER BY venue_id"
    code, out, _ = _run("sql", "--store", str(filled), query, "--json")
    assert code == 0
    assert json.loads(out) == [{"venue_id": v, "stays": 1} for v in ("v-bazaar", "v-choyxona", "v-school")]
    code, out, _ = _run("sql", "--store", str(filled), "SELECT min(time) AS t FROM gps", "--csv")
    assert code == 0
    assert [row["t"][:19] for row in csv.DictReader(io.StringIO(out))] == ["2026-03-02 08:00:00"]
    code, out, _ = _run("sql", "--store", str(filled), query)
    assert code == 0 and "v-choyxona" in out and "3 row(s)" in out
    code, _, err = _run("sql", "--store", str(filled), "SELECT * FROM nowhere")
    assert code == 2 and "SQL failed" in err
    code, _, err = _run("sql", "--store", str(filled.parent / "absent"), "SELECT 1")
    assert code == 3


def test_purge_command(filled: Path) -> None:
    code, out, _ = _run(
        "purge", "--store", str(filled), "--older-than", "36h", "--now", "2026-03-04T12:00:00Z", "--json"
    )
    assert code == 0
    body = json.loads(out)
    assert body["cutoff"] == "2026-03-03T00:00:00Z"
    assert body["removed_rows"]["gps"] == sum(1 for r in gps_rows() if r["time"] < "2026-03-03")
    code, out, _ = _run("purge", "--store", str(filled), "--now", "2026-04-30T00:00:00Z")
    assert code == 0 and "removed" in out
    assert open_store(filled, create=False).table("gps").num_rows == 0
    code, _, err = _run("purge", "--store", str(filled), "--older-than", "2w")
    assert code == 2 and "14d" in err


def test_duration_and_time_parsing() -> None:
    assert parse_duration("14d").days == 14 and parse_duration(" 36h ").total_seconds() == 36 * 3600
    for bad in ("0d", "d", "1.5d", "-2d", "3m"):
        with pytest.raises(InvalidInput):
            parse_duration(bad)
    assert parse_utc("2026-03-20T05:00:00+05:00").isoformat() == "2026-03-20T00:00:00+00:00"
    with pytest.raises(InvalidInput, match="offset"):
        parse_utc("2026-03-20T00:00:00")
