"""The interview as evidence: the hand-made world (tests/trace/world.py) plus what its case said when interviewed,
traced end to end through a real store."""

from __future__ import annotations

import csv

import pytest
import world

from izquvar import open_store
from izquvar.store import EmbeddedStore
from izquvar.trace.result import Contact, TraceResult
from izquvar.trace.rules import TracingRules
from izquvar.trace.sources import InterviewSource, default_sources
from izquvar.trace.tracer import Tracer

HEADER = [
    "case_person", "interview_date", "contact_no", "contact_person", "contact_phone", "contact_name", "relation",
    "first_met", "last_met", "setting",
]  # fmt: skip
UNREGISTERED = "+998901112233"
ROWS = [
    # the spouse, by national ID
    [world.CASE, "2026-03-07", "1", "P-SPOUSE", "", "", "household", "2026-03-02", "2026-03-05", "home"],
    # a friend by phone: the registry says whose phone it is
    [world.CASE, "2026-03-07", "2", "", "+998 90 000 00 11", "", "friend", "2026-03-03", "2026-03-03", "choyxona"],
    # a friend no feed knows, met on two days
    [world.CASE, "2026-03-07", "3", "P-FRIEND", "", "", "friend", "2026-03-03", "2026-03-04", "choyxona"],
    # someone only a phone number says anything about
    [world.CASE, "2026-03-07", "4", "", UNREGISTERED, "", "other", "2026-03-04", "2026-03-04", ""],
    # only a name: nobody can be told
    [world.CASE, "2026-03-07", "5", "", "", "Dilnoza", "friend", "2026-03-03", "2026-03-04", "restaurant"],
    # met before the window opened
    [world.CASE, "2026-03-07", "6", "P-OLD", "", "", "colleague", "2026-02-20", "2026-02-21", "workplace"],
    # someone else's interview names the case's colleague
    ["P-COL", "2026-03-07", "1", "P-OTHER", "", "", "friend", "2026-03-03", "2026-03-04", "gym"],
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    tmp = tmp_path_factory.mktemp("interviews")
    feeds = world.write_feeds(tmp / "feeds")
    with (feeds / "interviews.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    store = open_store(tmp / "store", settings=world.settings())
    report = store.ingest(sorted(feeds.iterdir()), now=world.NOW)
    assert report.rejected_rows == 0
    return store


@pytest.fixture(scope="module")
def tracer(store: EmbeddedStore) -> Tracer:
    return Tracer(store, rules=TracingRules())


@pytest.fixture(scope="module")
def result(tracer: Tracer) -> TraceResult:
    return tracer.trace(world.CASE, world.ONSET, world.ISOLATION)


def _without_interview(tracer: Tracer) -> Tracer:
    return tracer.with_sources([s for s in default_sources(tracer.rules) if s.name != "interview"])


def contact(result: TraceResult, person: str) -> Contact:
    found = [c for c in result.contacts if c.person == person]
    assert found, f"{person} not among the contacts"
    return found[0]


def test_the_store_keeps_pseudonyms_not_names_or_numbers(store: EmbeddedStore) -> None:
    table = store.table("interviews")
    assert table.num_rows == len(ROWS)
    values = {str(v) for name in ("case_person", "contact_person", "contact_phone", "contact_name")
              for v in table.column(name).to_pylist() if v is not None}  # fmt: skip
    assert not values & {world.CASE, "P-SPOUSE", "Dilnoza", UNREGISTERED, "+998900000011"}
    # the phone was canonicalised before it was hashed: the registered phone's pseudonym
    assert store.phone_pseudonym("+998900000011") in values


def test_a_named_household_member_keeps_the_households_minutes(
    result: TraceResult, tracer: Tracer, store: EmbeddedStore
) -> None:
    spouse = contact(result, store.pseudonym("P-SPOUSE"))
    before = contact(_without_interview(tracer).trace(world.CASE, world.ONSET, world.ISOLATION),
                     store.pseudonym("P-SPOUSE"))  # fmt: skip
    assert spouse.sources == ["household", "interview"]
    assert spouse.klass == "close" == before.klass
    assert spouse.minutes == before.minutes and spouse.max_daily_minutes == before.max_daily_minutes
    said = [e for e in spouse.evidence if e.source == "interview"]
    assert len(said) == 4 and all(e.minutes == 0 for e in said)  # 2-5 March, dates without minutes
    assert said[0].detail == "household;2026-03-02;2026-03-05;person"
    assert "named by the case (household)" in spouse.explanation


def test_a_phone_is_resolved_to_the_registered_person(result: TraceResult, store: EmbeddedStore) -> None:
    friend = contact(result, store.pseudonym("P-CELL"))
    assert "interview" in friend.sources and "cell" in friend.sources
    assert friend.klass == "casual"  # a friend met one day: casual; the operator alone said possible
    assert "friend" in friend.explanation


def test_a_friend_known_by_the_interview_alone_is_casual(result: TraceResult, store: EmbeddedStore) -> None:
    friend = contact(result, store.pseudonym("P-FRIEND"))
    assert friend.sources == ["interview"] and friend.klass == "casual"
    assert friend.minutes == 0 and friend.max_daily_minutes == 0
    assert friend.risk > 0
    assert friend.setting == "choyxona"
    assert friend.explanation.startswith("named by the case (friend), met 2026-03-03 to 2026-03-04")
    assert friend.first_seen.date().isoformat() == "2026-03-02"  # local 3 March begins at 19:00 UTC on the 2nd


def test_an_unregistered_phone_is_the_contact_and_other_is_possible(result: TraceResult, store: EmbeddedStore) -> None:
    other = contact(result, store.phone_pseudonym(UNREGISTERED))
    assert other.sources == ["interview"] and other.klass == "possible"


def test_name_only_outside_the_window_and_other_cases_statements_give_nothing(
    result: TraceResult, store: EmbeddedStore
) -> None:
    named = [c for c in result.contacts if "interview" in c.sources]
    assert len(named) == 4  # spouse, the phone friend, P-FRIEND, the unregistered phone
    people = {c.person for c in result.contacts}
    assert store.pseudonym("P-OLD") not in people and store.pseudonym("P-OTHER") not in people
    assert "interview" in result.summary.sources_used


def test_a_case_never_interviewed_traces_as_without_the_source(tracer: Tracer) -> None:
    with_source = tracer.trace("P-COL", world.ONSET, world.ISOLATION)
    without = _without_interview(tracer).trace("P-COL", world.ONSET, world.ISOLATION)
    drop = {"summary"}
    # P-COL's own interview names P-OTHER (friend, 2 days): that is the one difference
    other = [c for c in with_source.contacts if "interview" in c.sources]
    assert [c.klass for c in other] == ["casual"]
    kept = [c for c in with_source.contacts if "interview" not in c.sources]
    assert [c.model_dump() for c in kept] == [c.model_dump() for c in without.contacts]
    spouse = tracer.trace("P-SPOUSE", world.ONSET, world.ISOLATION)  # not interviewed
    spouse_without = _without_interview(tracer).trace("P-SPOUSE", world.ONSET, world.ISOLATION)
    assert spouse.model_dump(exclude=drop) == spouse_without.model_dump(exclude=drop)


def test_rules_decide_the_class(store: EmbeddedStore) -> None:
    strict = TracingRules.from_overrides({"interview": {"repeat_relations": ["friend"], "close_days": 3}})
    result = Tracer(store, rules=strict).trace(world.CASE, world.ONSET, world.ISOLATION)
    assert contact(result, store.pseudonym("P-FRIEND")).klass == "casual"  # two days are not three
    source = InterviewSource(strict.interview)
    assert source.rules.close_days == 3


@pytest.mark.parametrize(
    ("overrides", "person", "default", "moved"),
    [
        ({"close_relations": ["household", "other"]}, UNREGISTERED, "possible", "close"),
        ({"repeat_relations": ["friend"]}, "P-FRIEND", "casual", "close"),  # met on 3 and 4 March
        ({"grades": {**TracingRules().interview.grades, "other": "casual"}}, UNREGISTERED, "possible", "casual"),
    ],
)
def test_each_class_rule_moves_the_class(
    store: EmbeddedStore, result: TraceResult, overrides: dict[str, object], person: str, default: str, moved: str
) -> None:
    who = store.phone_pseudonym(person) if person.startswith("+") else store.pseudonym(person)
    assert contact(result, who).klass == default
    rules = TracingRules.from_overrides({"interview": overrides})
    assert contact(Tracer(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION), who).klass == moved


@pytest.mark.parametrize(("rule", "value"), [("minutes_per_day", 600.0), ("p_near", 1.0)])
def test_the_assumed_time_weighs_the_risk(store: EmbeddedStore, result: TraceResult, rule: str, value: float) -> None:
    who = store.pseudonym("P-FRIEND")
    table = {**getattr(TracingRules().interview, rule), "friend": value}
    rules = TracingRules.from_overrides({"interview": {rule: table}})
    moved = contact(Tracer(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION), who)
    assert moved.risk > contact(result, who).risk
    assert moved.minutes == 0  # the assumed time is never counted as minutes


def test_rules_refuse_a_missing_relation() -> None:
    from izquvar.errors import InvalidInput

    with pytest.raises(InvalidInput, match="grades"):
        TracingRules.from_overrides({"interview": {"grades": {"household": "close"}}})
