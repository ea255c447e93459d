"""Every command that takes ``--store`` works on the data home's store (``IZQUVAR_HOME``) when it is not given."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))  # the shared small feeds
from feedkit import gps_rows, settings, write_kind, write_world

from izquvar.cli import main


def _env(home: Path) -> dict[str, str]:
    return {
        "IZQUVAR_HOME": str(home),
        "IZQUVAR_STORE": "",
        "IZQUVAR_PSEUDONYM_KEY": settings().pseudonym_key.get_secret_value(),
        "IZQUVAR_ENV": "development",
    }


def test_ingest_then_info_and_sql_without_store_use_the_data_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    feeds = tmp_path / "feeds"
    write_world(feeds)
    write_kind(feeds, "gps", gps_rows())
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", str(feeds)], env=_env(home))
    assert ingested.exit_code == 0, ingested.output
    assert (home / "store").is_dir()
    info = runner.invoke(main, ["store", "info", "--json"], env=_env(home))
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["counts"]["gps"] == len(gps_rows())
    counted = runner.invoke(main, ["sql", "SELECT count(*) AS n FROM gps", "--json"], env=_env(home))
    assert counted.exit_code == 0 and json.loads(counted.stdout) == [{"n": len(gps_rows())}]


def test_an_explicit_store_wins_over_the_data_home(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    write_world(feeds)
    store = tmp_path / "elsewhere"
    result = CliRunner().invoke(main, ["ingest", str(feeds), "--store", str(store)], env=_env(tmp_path / "home"))
    assert result.exit_code == 0, result.output
    assert store.is_dir() and not (tmp_path / "home" / "store").exists()
