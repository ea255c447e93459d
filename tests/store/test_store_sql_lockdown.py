"""``store.sql`` and ``izquvar sql`` run one read-only statement and read no file but the store's own: each way
a new user would try to leave the store (COPY TO a file, read_csv_auto of any file, ATTACH, SET, INSTALL/LOAD,
several statements) is refused with a message saying what and why; ``--allow-files`` gives the data owner COPY.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from feedkit import NOW, gps_rows, settings, write_kind, write_world

from izquvar import open_store
from izquvar.cli import main
from izquvar.errors import Forbidden, InvalidInput
from izquvar.formats import ALL_TABLES
from izquvar.simulate import SimConfig, simulate
from izquvar.store import EmbeddedStore

ENV = {"IZQUVAR_PSEUDONYM_KEY": settings().pseudonym_key.get_secret_value(), "IZQUVAR_ENV": "development"}


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """A small simulated city: every feed kind has rows."""
    root = tmp_path_factory.mktemp("simstore")
    simulate(SimConfig(people=300, days=2, seed=5, background_test_rate=0.02), root / "sim")
    store = open_store(root / "store", settings=settings())
    store.ingest(sorted(p for p in (root / "sim").iterdir() if p.name not in ("truth", "simulation.json")))
    return store


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    root = tmp_path / "store"
    feeds = tmp_path / "feeds"
    open_store(root, settings=settings()).ingest([*write_world(feeds), write_kind(feeds, "gps", gps_rows())], now=NOW)
    return root


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.csv"
    path.parent.mkdir()
    path.write_text("pinfl,name\n32001652830006,Shadmanov\n")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=ENV)
    return result.exit_code, result.stdout, result.stderr


def test_every_view_answers_normal_queries(simulated: EmbeddedStore) -> None:
    # the simulator writes no area boundaries and no bad rows: those two views answer empty (the other path)
    for name in ALL_TABLES:
        rows = simulated.table(name).num_rows
        if name not in ("rejects", "areas"):
            assert rows > 0, f"the simulated store has no {name} rows, so this test would check nothing for it"
        assert simulated.sql(f"SELECT count(*) AS n FROM {name}").column("n")[0].as_py() == rows
        assert simulated.sql(f"DESCRIBE {name}").num_rows == len(simulated.table(name).column_names)
    by_district = simulated.sql(
        "WITH s AS (SELECT district_id, person FROM stays) "
        "SELECT district_id, count(DISTINCT person) AS people FROM s GROUP BY 1 ORDER BY 2 DESC LIMIT 3"
    )
    assert by_district.num_rows > 0
    assert simulated.sql("FROM gps LIMIT 1").num_rows == 1
    assert simulated.sql("SUMMARIZE lab").num_rows > 0


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("COPY (SELECT * FROM gps) TO '{out}'", "COPY"),
        ("COPY gps TO '{out}' (FORMAT parquet)", "COPY"),
        ("ATTACH '{out}' AS other", "ATTACH"),
        ("SET enable_external_access = true", "SET"),
        ("SET lock_configuration = false", "SET"),
        ("RESET allowed_paths", "SET"),
        ("PRAGMA enable_external_access", "PRAGMA"),
        ("INSTALL httpfs", "LOAD"),
        ("LOAD httpfs", "LOAD"),
        ("CREATE TABLE copied AS SELECT * FROM gps", "CREATE"),
        ("EXPORT DATABASE '{dir}'", "EXPORT"),
        ("CALL glob('{dir}/*')", "CALL"),
        ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}'", "EXPLAIN"),
    ],
)
def test_statements_other_than_select_are_refused(filled: Path, tmp_path: Path, query: str, refused: str) -> None:
    out = tmp_path / "leak.csv"
    store = open_store(filled, create=False)
    with pytest.raises(Forbidden, match=f"refused the {refused} statement") as error:
        store.sql(query.format(out=out, dir=tmp_path / "export"))
    assert "read-only" in str(error.value)
    assert not out.exists() and not (tmp_path / "export").exists()


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM read_csv_auto('{secret}')",
        "SELECT * FROM read_csv('{secret}', header = true)",
        "SELECT content FROM read_text('{secret}')",
        "SELECT * FROM read_blob('{secret}')",
        "SELECT * FROM glob('{dir}/*')",
        "SELECT * FROM '{secret}'",
        "SELECT * FROM read_parquet('{manifest}')",
        "SELECT * FROM read_json_auto('{store_json}')",
        "SELECT * FROM read_parquet('https://example.org/feeds.parquet')",
        "WITH x AS (SELECT * FROM read_csv_auto('{secret}')) SELECT * FROM x",
    ],
)
def test_reading_files_outside_the_store_is_refused(filled: Path, secret: Path, query: str) -> None:
    store = open_store(filled, create=False)
    text = query.format(
        secret=secret, dir=secret.parent, manifest=filled / "manifest.json", store_json=filled / "store.json"
    )
    with pytest.raises(Forbidden, match="reaches outside the store") as error:
        store.sql(text)
    assert "--allow-files" in str(error.value)


def test_one_statement_only(filled: Path, tmp_path: Path) -> None:
    store = open_store(filled, create=False)
    out = tmp_path / "leak.csv"
    with pytest.raises(InvalidInput, match="one statement at a time and this query has 2"):
        store.sql(f"SELECT 1; COPY (SELECT * FROM gps) TO '{out}'")
    with pytest.raises(InvalidInput, match="one statement at a time"):
        store.sql(f"SELECT 1; COPY (SELECT * FROM gps) TO '{out}'", allow_files=True)
    assert not out.exists()
    with pytest.raises(InvalidInput, match="empty"):
        store.sql(" ; -- nothing")
    with pytest.raises(InvalidInput, match="SQL failed: Parser Error"):
        store.sql("SELEC 1")


def test_query_table_function_cannot_smuggle_a_statement(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "leak.csv"
    store = open_store(filled, create=False)
    with pytest.raises(InvalidInput, match="SQL failed"):
        store.sql(f"SELECT * FROM query('COPY (SELECT * FROM gps) TO ''{out}''')")
    assert not out.exists()


def test_allow_files_gives_the_owner_copy_and_file_functions(filled: Path, secret: Path, tmp_path: Path) -> None:
    store = open_store(filled, create=False)
    out = tmp_path / "gps.csv"
    store.sql(f"COPY (SELECT person, time FROM gps ORDER BY time) TO '{out}' (HEADER)", allow_files=True)
    lines = out.read_text().splitlines()
    assert lines[0] == "person,time" and len(lines) == len(gps_rows()) + 1
    read = store.sql(f"SELECT name FROM read_csv_auto('{secret}')", allow_files=True)
    assert read.to_pylist() == [{"name": "Shadmanov"}]
    # still one read-only statement or a COPY: no ATTACH, SET or extension
    with pytest.raises(Forbidden, match="refused the ATTACH statement"):
        store.sql(f"ATTACH '{tmp_path / 'x.db'}'", allow_files=True)
    with pytest.raises(Forbidden, match="refused the SET statement"):
        store.sql("SET autoinstall_known_extensions = true", allow_files=True)
    with pytest.raises(Forbidden, match="refused the LOAD statement"):
        store.sql("INSTALL httpfs", allow_files=True)


def test_cli_refuses_with_exit_4_and_allow_files_copies(filled: Path, secret: Path, tmp_path: Path) -> None:
    out = tmp_path / "leak.csv"
    code, _, err = _run("sql", "--store", str(filled), f"COPY (SELECT * FROM gps) TO '{out}'")
    assert code == 4 and "refused the COPY statement" in err and "--allow-files" in err and "Traceback" not in err
    assert not out.exists()
    code, _, err = _run("sql", "--store", str(filled), f"SELECT * FROM read_csv_auto('{secret}')")
    assert code == 4 and "reaches outside the store" in err and "Shadmanov" not in err
    code, _, err = _run("sql", "--store", str(filled), "SELECT 1; SELECT 2")
    assert code == 2 and "one statement" in err
    code, out_text, _ = _run("sql", "--store", str(filled), "SELECT count(*) AS n FROM gps", "--json")
    assert code == 0 and json.loads(out_text) == [{"n": len(gps_rows())}]
    code, _, err = _run("sql", "--store", str(filled), "--allow-files", f"COPY (SELECT * FROM gps) TO '{out}'")
    assert code == 0, err
    assert len(out.read_text().splitlines()) == len(gps_rows()) + 1


def test_the_lock_does_not_outlive_the_query(filled: Path, tmp_path: Path) -> None:
    """Each query gets its own connection: a refused one leaves the next (and info) working."""
    store = open_store(filled, create=False)
    with pytest.raises(Forbidden):
        store.sql("SELECT * FROM read_text('/etc/hostname')")
    assert store.sql("SELECT count(*) AS n FROM stays").column("n")[0].as_py() == 3
    assert store.info()["people"] == 2
    out = tmp_path / "after.csv"
    store.sql(f"COPY (SELECT 1 AS one) TO '{out}'", allow_files=True)
    assert out.read_text().splitlines() == ["one", "1"]
