"""Fusion, the infectious window, explanations, identifiers and the JSON contract."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema  # type: ignore[import-untyped]
import numpy as np
import pandas as pd
import pytest
import world
from hypothesis import given, settings
from hypothesis import strategies as st

from izquvar.errors import InvalidInput, NotFound
from izquvar.i18n import LANGS, catalog
from izquvar.store import EmbeddedStore
from izquvar.trace.columnar import Columns
from izquvar.trace.disease import COVID19, DiseaseProfile
from izquvar.trace.evidence import TracedCase, frame
from izquvar.trace.explain import explanation
from izquvar.trace.fuse import split_days
from izquvar.trace.numeric import union_seconds
from izquvar.trace.result import TraceResult
from izquvar.trace.tracer import Tracer

UTC = dt.UTC


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return world.build_store(tmp_path_factory.mktemp("world"))


@pytest.fixture(scope="module")
def tracer(store: EmbeddedStore) -> Tracer:
    return Tracer(store)


# -- window -------------------------------------------------------------------------------------------------


def test_window_two_days_before_onset_to_isolation_in_local_time() -> None:
    start, end = COVID19.window(dt.date(2026, 3, 4), dt.date(2026, 3, 6))
    assert start == dt.datetime(2026, 3, 1, 19, tzinfo=UTC)  # 2 March 00:00 in Tashkent
    assert end == dt.datetime(2026, 3, 5, 19, tzinfo=UTC)  # 6 March 00:00 in Tashkent


def test_window_without_isolation_runs_ten_days_after_onset_or_to_the_data_end() -> None:
    onset = dt.date(2026, 3, 4)
    _, end = COVID19.window(onset)
    assert end == dt.datetime(2026, 3, 14, 19, tzinfo=UTC)  # through the 10th day after onset
    data_end = dt.datetime(2026, 3, 8, 12, tzinfo=UTC)
    assert COVID19.window(onset, None, data_end)[1] == data_end


def test_window_refuses_isolation_before_it_opens_and_follows_the_profile() -> None:
    with pytest.raises(InvalidInput):
        COVID19.window(dt.date(2026, 3, 4), dt.date(2026, 3, 1))
    measles = DiseaseProfile(name="measles", days_before_onset=4, utc_offset_hours=0)
    assert measles.window(dt.date(2026, 3, 10), dt.date(2026, 3, 12))[0] == dt.datetime(2026, 3, 6, tzinfo=UTC)


# -- fusion -------------------------------------------------------------------------------------------------


def _case(**overrides: object) -> TracedCase:
    start, end = COVID19.window(dt.date(2026, 3, 4), dt.date(2026, 3, 6))
    values: dict[str, object] = {
        "person": "case",
        "onset": dt.date(2026, 3, 4),
        "start_s": int(start.timestamp()),
        "end_s": int(end.timestamp()),
        "profile": COVID19,
        "phone": None,
        "home": None,
        "stays": Columns({}, 0),
    }
    values.update(overrides)
    return TracedCase(**values)  # type: ignore[arg-type]


def test_union_counts_each_second_once() -> None:
    group = np.array([0, 0, 0, 1, 1], dtype=np.int64)
    start = np.array([0, 50, 200, 10, 10], dtype=np.int64)
    end = np.array([100, 150, 260, 20, 30], dtype=np.int64)
    totals = union_seconds(group, start, end)
    assert totals.to_dict() == {0: 210, 1: 20}


def test_rows_are_split_at_local_midnight() -> None:
    midnight = int(COVID19.local_midnight(dt.date(2026, 3, 3)).timestamp())
    rows = frame(1, contact="x", source="gps", start_s=midnight - 600, end_s=midnight + 1200)
    split = split_days(rows, COVID19)
    assert list(split["end_s"] - split["start_s"]) == [600, 1200]
    assert split["day"].nunique() == 2


def _fused(tracer: Tracer, rows: pd.DataFrame) -> dict[str, tuple[str, float, float]]:
    from izquvar.trace.fuse import fuse

    contacts = fuse(rows, _case(), tracer.data, "en", tracer.areas)
    return {c.person: (c.klass, c.risk, c.minutes) for c in contacts}


def test_close_needs_15_close_grade_minutes_in_one_day_from_any_mix_of_sources(tracer: Tracer) -> None:
    day = int(COVID19.local_midnight(dt.date(2026, 3, 3)).timestamp()) + 10 * 3600
    next_day = day + 86_400
    rows = pd.concat(
        [
            # exactly 15 close-grade minutes: 8 by GPS then 7 by Bluetooth, the same day
            frame(1, contact="mixed", source="gps", start_s=day, end_s=day + 480, p_near=0.6, grade="close"),
            frame(1, contact="mixed", source="ble", start_s=day + 480, end_s=day + 900, p_near=0.7, grade="close"),
            # 14 minutes, overlapping sources counted once
            frame(1, contact="short", source="gps", start_s=day, end_s=day + 840, p_near=0.6, grade="close"),
            frame(1, contact="short", source="ble", start_s=day, end_s=day + 600, p_near=0.7, grade="close"),
            # 10 + 10 minutes but on two different days
            frame(1, contact="split", source="gps", start_s=day, end_s=day + 600, p_near=0.6, grade="close"),
            frame(1, contact="split", source="gps", start_s=next_day, end_s=next_day + 600, p_near=0.6, grade="close"),
            frame(1, contact="far", source="checkins", start_s=day, end_s=day + 3600, p_near=0.1, grade="casual"),
            frame(1, contact="cell", source="cell", start_s=day, end_s=day + 3600, p_near=0.001),
        ],
        ignore_index=True,
    )
    fused = _fused(tracer, rows)
    assert fused["mixed"][0] == "close" and fused["mixed"][2] == pytest.approx(15.0)
    assert fused["short"][0] == "casual" and fused["short"][2] == pytest.approx(14.0)
    assert fused["split"][0] == "casual" and fused["split"][2] == pytest.approx(20.0)
    assert fused["far"][0] == "casual"
    assert fused["cell"][0] == "possible"


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=600), st.integers(min_value=1, max_value=600),
       st.floats(min_value=0.01, max_value=1.0))  # fmt: skip
def test_risk_never_falls_when_minutes_grow(shared_tracer: Tracer, a: int, b: int, p: float) -> None:
    day = int(COVID19.local_midnight(dt.date(2026, 3, 3)).timestamp()) + 8 * 3600
    shorter, longer = sorted((a, b))
    rows = pd.concat(
        [
            frame(1, contact="s", source="gps", start_s=day, end_s=day + 60 * shorter, p_near=p, grade="casual"),
            frame(1, contact="l", source="gps", start_s=day, end_s=day + 60 * longer, p_near=p, grade="casual"),
        ],
        ignore_index=True,
    )
    fused = _fused(shared_tracer, rows)
    assert 0.0 <= fused["s"][1] <= fused["l"][1] <= 1.0


@pytest.fixture(scope="module")
def shared_tracer(tracer: Tracer) -> Tracer:
    return tracer


# -- identifiers, languages, JSON ---------------------------------------------------------------------------


def test_raw_identifier_and_pseudonym_give_the_same_trace(tracer: Tracer, store: EmbeddedStore) -> None:
    by_raw = tracer.trace(world.CASE, world.ONSET, world.ISOLATION)
    by_pseudonym = tracer.trace(store.pseudonym(world.CASE), world.ONSET, world.ISOLATION)
    assert by_raw.case.person == store.pseudonym(world.CASE)
    assert [c.person for c in by_raw.contacts] == [c.person for c in by_pseudonym.contacts]
    assert world.CASE not in by_raw.to_json()  # raw identifiers never leave the tracer


def test_unknown_person_is_not_found_and_bad_dates_are_invalid(tracer: Tracer) -> None:
    with pytest.raises(NotFound):
        tracer.trace("P-STRANGER", world.ONSET)
    with pytest.raises(InvalidInput):
        tracer.trace(world.CASE, "4 March")
    with pytest.raises(InvalidInput):
        tracer.trace(world.CASE, world.ONSET, lang="de")  # type: ignore[arg-type]


def test_every_language_has_every_message_and_explains_in_it(tracer: Tracer) -> None:
    keys = set(catalog("trace", "en"))
    lines = set()
    for lang in LANGS:
        assert set(catalog("trace", lang)) == keys, lang
        result = tracer.trace(world.CASE, world.ONSET, world.ISOLATION, lang=lang)
        lines.add(result.contacts[0].explanation)
    assert len(lines) == len(LANGS)
    assert explanation(lang="ru", klass="close", minutes=190, setting="school_class", venue=None,
                       sources=["roster", "gps"]) == "3 ч 10 мин в одном классе (список + GPS)"  # fmt: skip
    assert explanation(lang="en", klass="close", minutes=190, setting="school_class", venue=None,
                       sources=["roster", "gps"]) == "3 h 10 min in the same classroom (roster + GPS)"  # fmt: skip


def test_json_validates_against_the_contract_schema(tracer: Tracer) -> None:
    result = tracer.trace(world.CASE, world.ONSET, world.ISOLATION, lang="uz-Cyrl")
    document = json.loads(result.to_json())
    jsonschema.validate(document, TraceResult.model_json_schema(mode="serialization"))
    assert TraceResult.model_validate_json(result.to_json()) == result
    assert document["case"]["window_start"].startswith("2026-03-01T19:00:00")


def test_places_timeline_fuses_sources(tracer: Tracer) -> None:
    places = tracer.trace(world.CASE, world.ONSET, world.ISOLATION).places
    assert [p.start for p in places] == sorted(p.start for p in places)
    choyxona = [p for p in places if p.venue is not None and p.venue.venue_id == "v-choy"]
    assert len(choyxona) == 1  # the check-in and the payment are one visit
    assert choyxona[0].sources == ["checkins", "card"] and choyxona[0].certainty > 0.7
    park = [p for p in places if p.sources == ["gps"]]
    assert park and park[0].certainty > 0.9
    cell_only = [p for p in places if p.sources == ["cell"]]
    assert cell_only and all(p.certainty <= 0.2 and p.setting == "area" for p in cell_only)
    # the operator record during the choyxona visit adds no place of its own
    assert all(not (p.sources == ["cell"] and p.start.day == 3) for p in places)


def test_the_store_keeps_one_tracer_and_follows_new_batches(tmp_path: Path) -> None:
    located = world.build_store(tmp_path)
    store = located
    first = located.trace(world.CASE, world.ONSET, world.ISOLATION, lang="ru")
    tracer = located.tracer()
    second = located.trace(world.CASE, world.ONSET, world.ISOLATION, lang="ru")
    assert [c.person for c in first.contacts] == [c.person for c in second.contacts]
    assert second.summary.elapsed_ms < 1000
    late = tmp_path / "people.csv"
    late.write_text("person,household,birth_year,sex,phone,home_lat,home_lon\nP-LATE,H-LATE,1990,F,,41.3,69.25\n")
    located.ingest([late])
    assert located.tracer() is tracer and tracer.data.knows(store.pseudonym("P-LATE"))
    assert located.trace("P-LATE", world.ONSET).case.person == store.pseudonym("P-LATE")


def test_a_membership_block_cut_to_minutes_does_not_qualify() -> None:
    from izquvar.trace.evidence import EvidenceBatch, qualify_by_day

    night = int(COVID19.local_midnight(dt.date(2026, 3, 3)).timestamp())
    rows = EvidenceBatch.concat(
        [
            EvidenceBatch.of(1, contact="brief", source="household", start_s=night, end_s=night + 60, qualifies=True),
            EvidenceBatch.of(
                2,
                contact="split",
                source="household",
                start_s=[night, night + 18 * 3600],
                end_s=[night + 600, night + 18 * 3600 + 300],
                qualifies=True,
            ),
            EvidenceBatch.of(
                1, contact="night", source="household", start_s=night, end_s=night + 7 * 3600, qualifies=True
            ),
        ]
    )
    qualified = qualify_by_day(rows, _case())
    kept = pd.Series(qualified["qualifies"]).groupby(qualified["contact"]).all().to_dict()
    assert kept == {"brief": False, "split": True, "night": True}  # 10 + 5 minutes the same day make 15
