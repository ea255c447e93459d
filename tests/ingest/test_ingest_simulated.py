"""End to end on the simulator's output: ~1,000 people for 2 days, every feed, ground truth skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest
from feedkit import settings

from izquvar import open_store
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
