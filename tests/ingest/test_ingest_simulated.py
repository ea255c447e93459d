"""End to end on the simulator's output: ~1,000 people for 2 days, every feed, ground truth skipped."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner
from feedkit import settings

from izquvar import detect_stays, open_store
from izquvar.cli import main
from izquvar.formats import ALL_TABLES
from izquvar.simulate import SimConfig, simulate


@pytest.mark.slow
def test_simulated_city_ingests_with_stays_areas_and_no_truth(tmp_path: Path) -> None:
    sim = tmp_path / "sim"
    simulate(SimConfig(people=1000, days=2, seed=3), sim)
    store = open_store(tmp_path / "store", settings=settings())
    report = store.ingest([sim], now=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))

    assert not any("truth" in Path(s.file).parts or s.file.endswith("simulation.json") for s in report.sources)
    kinds = {s.kind for s in report.sources}
    assert {"gps", "cell", "venues", "towers", "people"} <= kinds
    # The simulator writes feeds exactly in the documented formats: every row is valid, every reference resolves.
    assert report.reject_count == 0, report.rejects_by_reason()
    info = store.info()
    assert set(info["counts"]) == set(ALL_TABLES)
    assert info["counts"]["gps"] > 10_000 and info["counts"]["stays"] > 500
    assert info["counts"]["gps"] == sum(s.rows for s in report.sources if s.kind == "gps")
    stays = store.table("stays")
    assert pc.mean(pc.is_valid(stays["district_id"]).cast("int8")).as_py() > 0.9
    assert pc.mean(pc.is_valid(stays["venue_id"]).cast("int8")).as_py() > 0.2
    cell = store.table("cell", ["region_id"])
    assert pc.all(pc.is_valid(cell["region_id"])).as_py()
    assert store.ingest([sim]).batch is None  # the same files again: already ingested


def _core(stays: pa.Table) -> list[tuple[object, ...]]:
    """Stays as sorted (person, start, end, lat, lon, n_pings) tuples, times in microseconds."""
    columns = [
        stays[name].cast(pa.timestamp("us", tz="UTC")) if name in ("start", "end") else stays[name]
        for name in ("person", "start", "end", "lat", "lon", "n_pings")
    ]
    return sorted(zip(*(c.to_pylist() for c in columns), strict=True))


@pytest.mark.slow
def test_stored_stays_and_the_stays_command_follow_the_one_stay_definition(tmp_path: Path) -> None:
    """Ingest's stored stays and ``izquvar stays`` without options are ``detect_stays`` with its defaults."""
    sim = tmp_path / "sim"
    simulate(SimConfig(people=300, days=2, seed=5, sources=("gps",)), sim)
    store = open_store(tmp_path / "store", settings=settings())
    store.ingest([sim], now=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    stored = store.table("stays")
    assert stored.num_rows > 100
    assert _core(stored) == _core(detect_stays(store.table("gps")))

    result = CliRunner().invoke(main, ["stays", "--input", str(sim / "gps"), "--json"])
    assert result.exit_code == 0, result.output
    expected = detect_stays(sim / "gps")
    assert len(json.loads(result.output)) == expected.num_rows == stored.num_rows
