"""Each source's rule on a hand-made world (tests/trace/world.py), traced end to end through a real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import world

from izquvar.store import EmbeddedStore
from izquvar.trace.result import Contact, TraceResult
from izquvar.trace.tracer import Tracer


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return world.build_store(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def tracer(store: EmbeddedStore) -> Tracer:
    return Tracer(store)


@pytest.fixture(scope="module")
def result(tracer: Tracer) -> TraceResult:
    return tracer.trace(world.CASE, world.ONSET, world.ISOLATION)


def contact(result: TraceResult, store: EmbeddedStore, raw: str) -> Contact:
    pseudonym = store.pseudonym(raw)
    found = [c for c in result.contacts if c.person == pseudonym]
    assert found, f"{raw} not among the contacts"
    return found[0]


def absent(result: TraceResult, store: EmbeddedStore, raw: str) -> bool:
    return all(c.person != store.pseudonym(raw) for c in result.contacts)


def test_household_members_are_close_every_night(result: TraceResult, store: EmbeddedStore) -> None:
    spouse = contact(result, store, "P-SPOUSE")
    assert spouse.klass == "close" and spouse.sources == ["household"] and spouse.setting == "home"
    # four local days, 7 h of night + 6 h of evening each, but the evening of 2 March the case's GPS has it
    # visiting another household
    assert spouse.minutes == pytest.approx(4 * 13 * 60 - 6 * 60)
    assert spouse.max_daily_minutes == pytest.approx(13 * 60)


def test_household_time_gps_contradicts_is_listed_but_not_counted(result: TraceResult, store: EmbeddedStore) -> None:
    away = contact(result, store, "P-AWAY")
    spouse = contact(result, store, "P-SPOUSE")
    contradicted = [e for e in away.evidence if e.detail == "gps_not_home"]
    assert len(contradicted) == 2  # the case's visit and P-AWAY's own night away
    assert away.minutes == pytest.approx(4 * 13 * 60 - sum(e.minutes for e in contradicted))
    assert spouse.minutes - away.minutes == pytest.approx(7 * 60)
    assert "GPS" in away.explanation and "2" in away.explanation


def test_small_roster_group_is_close_large_one_casual(result: TraceResult, store: EmbeddedStore) -> None:
    colleague = contact(result, store, "P-COL")
    assert colleague.klass == "close" and colleague.setting == "department"
    # weekdays 2-5 March, 09:00-18:00 local, except 4 March when the case's GPS puts it in a park at 13:00
    assert colleague.minutes == pytest.approx(3 * 9 * 60)
    assert {e.detail.split(";")[1] for e in colleague.evidence} == {"schedule"}
    big = contact(result, store, "P-BIG07")
    assert big.klass == "casual"
    assert "department" in big.explanation


def test_ble_attenuation_buckets_and_the_15_minute_boundary(result: TraceResult, store: EmbeddedStore) -> None:
    immediate = contact(result, store, "P-BLE1")  # 20 min at 50 dB: 30 weighted minutes
    assert immediate.klass == "close" and immediate.strongest_attenuation_db == 50.0
    assert contact(result, store, "P-BLE15").klass == "close"  # exactly 15 min near
    assert contact(result, store, "P-BLE14").klass == "casual"  # 14 min near
    assert contact(result, store, "P-BLE2").klass == "casual"  # medium bucket never makes close


def test_checkin_without_checkout_assumes_the_categorys_dwell(result: TraceResult, store: EmbeddedStore) -> None:
    visitor = contact(result, store, "P-CHK1")
    assert visitor.klass == "casual" and visitor.sources == ["checkins"]
    assert visitor.minutes == pytest.approx(30.0)  # 10:30 (90-min dwell assumed) vs the case's 10:00-11:00
    assert visitor.evidence[0].detail == "assumed_dwell"
    assert visitor.evidence[0].venue is not None and visitor.evidence[0].venue.name == "Choyxona Navro'z"
    assert absent(result, store, "P-CHK2")  # came after the case left


def test_card_payments_same_queue_casual_later_possible(result: TraceResult, store: EmbeddedStore) -> None:
    assert contact(result, store, "P-CARD").klass == "casual"
    later = contact(result, store, "P-CARD2")
    assert later.klass == "possible" and later.explanation.startswith("Possible")


def test_cell_near_an_exposure_site_is_possible_and_mapped_to_the_person(
    result: TraceResult, store: EmbeddedStore
) -> None:
    cell = contact(result, store, "P-CELL")  # found through the registry's phone number
    assert cell.klass == "possible" and cell.sources == ["cell"]
    assert "Choyxona Navro'z" in cell.explanation


def test_gps_precise_long_colocation_is_close(result: TraceResult, store: EmbeddedStore) -> None:
    near = contact(result, store, "P-GPS")
    assert near.klass == "close" and near.sources == ["gps"]
    assert near.closest_m is not None and near.closest_m < 2.0


def test_home_visits_found_both_ways(result: TraceResult, store: EmbeddedStore) -> None:
    for host in ("P-HOST", "P-HOST2"):  # the case spent two hours at their registered home
        visited = contact(result, store, host)
        assert visited.klass == "close" and visited.setting == "visit" and visited.sources == ["gps"]
    guest = contact(result, store, "P-GUEST")  # 90 minutes at the case's home, the case's GPS silent then
    assert guest.setting == "visit" and guest.minutes == pytest.approx(95.0, abs=5.0)
    assert "home visit" in guest.explanation


def test_a_visiting_neighbour_is_a_guest_one_at_home_is_not(result: TraceResult, store: EmbeddedStore) -> None:
    # both registered homes are within GPS reach of the case's: the stay counts for the home it is nearer to
    neighbour = contact(result, store, "P-NEIGHBOUR")
    assert neighbour.setting == "visit" and neighbour.minutes == pytest.approx(65.0, abs=5.0)
    assert absent(result, store, "P-NEXTDOOR")


def test_people_with_no_evidence_are_absent_and_ranking_is_by_class_then_risk(
    result: TraceResult, store: EmbeddedStore
) -> None:
    assert absent(result, store, "P-NOBODY")
    rank = {"close": 0, "casual": 1, "possible": 2}
    keys = [(rank[c.klass], -c.risk) for c in result.contacts]
    assert keys == sorted(keys)
    assert result.summary.contacts["close"] == sum(c.klass == "close" for c in result.contacts)


def test_each_source_alone(store: EmbeddedStore, tracer: Tracer) -> None:
    for source in tracer.sources:
        if source.name == "interview":
            continue  # this world has no interviews: tests/trace/test_interview_source.py adds them
        single = tracer.with_sources((source,))
        found = single.trace(world.CASE, world.ONSET, world.ISOLATION)
        assert found.contacts, f"{source.name} alone found nobody"
        assert all(c.sources == [source.name] for c in found.contacts)


def test_the_persisted_stay_index_is_kept_per_day_and_reused(store: EmbeddedStore, tmp_path: Path) -> None:
    Tracer(store)
    kept = sorted((store.root / "index" / "stays").glob("*/meta.json"))
    merged = [p for p in kept if p.parent.name.startswith("all-")]
    assert len(merged) == 1 and len(kept) == 1 + len(store.partitions("stays"))
    mtimes = {p: p.stat().st_mtime_ns for p in kept}
    Tracer(store)
    assert {p: p.stat().st_mtime_ns for p in kept} == mtimes


def test_assumed_presence_is_never_put_before_the_data_begin(tracer: Tracer, store: EmbeddedStore) -> None:
    # window from 28 February local, but the feeds begin on 2 March local (1 March 19:00 UTC)
    early = tracer.trace(world.CASE, dt.date(2026, 3, 2), dt.date(2026, 3, 3))
    assert early.case.window_start == dt.datetime(2026, 2, 27, 19, tzinfo=dt.UTC)
    spouse = contact(early, store, "P-SPOUSE")
    assert min(e.start for e in spouse.evidence) >= dt.datetime(2026, 3, 1, 19, tzinfo=dt.UTC)
    assert spouse.minutes == pytest.approx(7 * 60)  # the night of 2 March; the evening the case was visiting
