"""Real data: tracing among real GeoLife trajectories runs and its answers are sane (docs/evaluation.md).

GeoLife's users 000–009 were recorded in Beijing in October–November 2008. The stay index counts time from
2020, so the pings are moved forward by a whole number of weeks (weekdays and times of day kept) before ingest.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from izquvar import open_store
from izquvar.mobility.geolife import read_geolife
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer

pytestmark = pytest.mark.shared
USERS = [f"{i:03d}" for i in range(10)]
SHIFT = dt.timedelta(weeks=887)  # 2008-10-23 -> 2025-10-23, a Thursday both times
ONSET, ISOLATION = dt.date(2008, 10, 26) + SHIFT, dt.date(2008, 10, 31) + SHIFT
BEIJING = {"lat": (39.4, 41.1), "lon": (115.4, 117.6)}


@pytest.fixture(scope="module")
def traced(geolife_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, TraceResult], Tracer]:
    pings = read_geolife(geolife_dir, USERS)
    moved = pc.add(pings["time"], pa.scalar(SHIFT, pa.duration("us")))
    pings = pings.set_column(pings.schema.get_field_index("time"), "time", moved)
    root = tmp_path_factory.mktemp("geolife")
    pq.write_table(pings, root / "gps-geolife.parquet")
    store = open_store(root / "store")
    report = store.ingest([root / "gps-geolife.parquet"])
    assert report.reject_count == 0 and report.derived["stays"] > 100
    tracer = Tracer(store)
    return {u: tracer.trace(u, ONSET, ISOLATION) for u in USERS}, tracer


def test_places_are_a_time_ordered_path_inside_the_window_in_beijing(
    traced: tuple[dict[str, TraceResult], Tracer],
) -> None:
    results, _ = traced
    with_places = 0
    for result in results.values():
        places = result.places
        with_places += bool(places)
        for place in places:
            assert result.case.window_start <= place.start < place.end <= result.case.window_end
            assert place.minutes == pytest.approx((place.end - place.start).total_seconds() / 60, abs=0.02)
            assert (
                BEIJING["lat"][0] < place.lat < BEIJING["lat"][1] and BEIJING["lon"][0] < place.lon < BEIJING["lon"][1]
            )
            assert place.sources == ["gps"] and place.venue is None
            assert place.area.region_id is None  # Beijing lies in no Uzbek area
        assert all(a.end <= b.start for a, b in itertools.pairwise(places))
    assert with_places >= 8  # user 010 was recorded in 2007 and has nothing in the window


def test_contacts_are_other_users_symmetric_and_classed_by_the_rules(
    traced: tuple[dict[str, TraceResult], Tracer],
) -> None:
    results, tracer = traced
    by_pseudonym = {r.case.person: r for r in results.values()}
    pairs = 0
    for result in results.values():
        for contact in result.contacts:
            assert contact.person in by_pseudonym and contact.person != result.case.person
            assert contact.sources == ["gps"]
            assert contact.closest_m is not None and contact.closest_m <= float(tracer.parameters()["gps.query_m"])
            assert contact.max_daily_minutes <= contact.minutes <= 5 * 24 * 60
            if contact.klass == "close":
                assert contact.max_daily_minutes >= 15
            other = {c.person: c for c in by_pseudonym[contact.person].contacts}
            back = other[result.case.person]
            assert back.minutes == pytest.approx(contact.minutes, abs=0.02)
            pairs += 1
    # some GeoLife volunteers crossed paths in these days (users 003 and 005: about 9 minutes within ~5 m)
    assert pairs >= 2
