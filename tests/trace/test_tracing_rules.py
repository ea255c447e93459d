"""TracingRules: loading (defaults < settings file < --rules, per-disease tables), refusals, recording in every
result, and, for every rule, a hand-made case whose outcome moves when the rule crosses the value.

The world (tests/trace/world.py) is traced with one rule changed at a time; a few rules the world cannot show
(cell caps, the cell gap of places) get a purpose-built row or two added to an in-memory copy of it, and the
home-matching radius and the default venue capacity are pinned on the functions that apply them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import world
from pydantic import BaseModel

from izquvar import LocationStore
from izquvar.config import Settings
from izquvar.errors import InvalidInput
from izquvar.store.memory import MemoryStore
from izquvar.store.protocol import FeedReader
from izquvar.trace.disease import COVID19, DiseaseProfile
from izquvar.trace.result import Contact, TraceResult
from izquvar.trace.rules import DEFAULT_RULES, TracingRules, load_rules, rules_from_settings
from izquvar.trace.sources import default_sources
from izquvar.trace.sources.venues import zone_area_m2
from izquvar.trace.sources.visits import at_someones_home
from izquvar.trace.tracer import Tracer

# -- loading ------------------------------------------------------------------------------------------------


def test_defaults_are_the_values_the_sources_were_written_with() -> None:
    rules = TracingRules()
    assert rules.disease.profile() == COVID19
    assert rules.home_radius_m == 150.0
    assert rules.gps.query_m == 50.0 and rules.gps.min_minutes == 5.0 and rules.gps.close_p_near == 0.5
    assert rules.ble.thresholds_db == (55.0, 63.0, 73.0) and rules.ble.weights == (1.5, 1.0, 0.5, 0.0)
    assert rules.household.home_blocks == ((0, 7), (18, 24)) and rules.visits.max_radius_m == 60.0
    assert rules.card.same_queue_minutes == 5.0 and rules.cell.max_per_site == 200 and rules.cell.pad_s == 900
    assert rules.venues.dwell_minutes["choyxona"] == 90.0 and rules.places.certainty["cell"] == 0.2


def test_a_toml_file_overrides_exactly_the_keys_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('home_radius_m = 120\n[gps]\nquery_m = 30\n[diseases."Measles"]\ndisease = {close_minutes = 5}\n')
    loaded = TracingRules.load(path)
    defaults = DEFAULT_RULES.parameters()
    assert {k for k, v in loaded.parameters().items() if defaults[k] != v} == {"home_radius_m", "gps.query_m"}
    measles = TracingRules.load(path, disease="Measles")
    assert measles.disease.name == "Measles" and measles.disease.close_minutes == 5.0
    assert measles.gps.query_m == 30.0  # the file's own rules hold for every disease
    assert TracingRules.load(path, disease="COVID-19") == loaded  # the file's default disease needs no table


def test_json_files_load_too(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"card": {"same_queue_minutes": 2}}))
    assert TracingRules.load(path).card.same_queue_minutes == 2.0


def test_the_documented_example_file_loads_and_lists_every_rule() -> None:
    example = Path(__file__).resolve().parents[2] / "docs" / "tracing-rules.example.toml"
    loaded = TracingRules.load(example)
    assert loaded == DEFAULT_RULES  # it states the defaults
    text = example.read_text(encoding="utf-8")
    for section, fields in _rule_fields().items():
        for name in fields:
            assert f"{name} =" in text, f"{section}.{name} is not in the example rules file"
    measles = TracingRules.load(example, disease="Measles")
    assert measles.disease.days_before_onset == 4 and measles.disease.name == "Measles"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[gps]\nqery_m = 30\n", "gps.qery_m"),
        ("home_radius_m = -1\n", "home_radius_m"),
        ("[ble]\nthresholds_db = [70, 60, 80]\n", "ble"),
        ("[roster]\nhours = {school_class = [8, 13]}\n", "roster"),
        ("[venues]\ndwell_minutes = {shop = 10}\n", "venues"),
        ("[places]\ncertainty = {cell = 0.3}\n", "places"),
        ("[ble]\ngrades = ['close', 'near', 'casual', 'possible']\n", "ble.grades"),
        ("[gps\n", "cannot read"),
        ("diseases = 3\n", "diseases"),
    ],
)
def test_bad_files_are_refused_naming_file_and_field(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=named) as error:
        TracingRules.load(path)
    assert str(path) in str(error.value)


def test_unknown_disease_and_missing_file_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[diseases."Measles"]\ndisease = {close_minutes = 5}\n')
    with pytest.raises(InvalidInput, match=r"unknown disease 'Ebola'.*COVID-19, Measles"):
        TracingRules.load(path, disease="Ebola")
    with pytest.raises(InvalidInput, match="cannot read"):
        TracingRules.load(tmp_path / "absent.toml")
    with pytest.raises(InvalidInput, match="--disease needs --rules"):
        load_rules(None, "Measles")
    path.write_text('disease = 3\n[diseases."Measles"]\ndisease = {close_minutes = 5}\n')
    with pytest.raises(InvalidInput, match=r"rules.toml: disease: Input should be"):
        TracingRules.load(path, disease="Measles")
    path.write_text("[diseases]\nMeasles = 3\n")
    with pytest.raises(InvalidInput, match=r"diseases\.Measles: expected a table"):
        TracingRules.load(path, disease="Measles")


def test_settings_name_the_file_and_the_disease(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('[card]\nsame_queue_minutes = 1\n[diseases."Measles"]\ndisease = {days_before_onset = 4}\n')
    assert rules_from_settings(Settings()) == DEFAULT_RULES
    from_file = rules_from_settings(Settings(tracing_rules=path))
    assert from_file.card.same_queue_minutes == 1.0 and from_file.disease.days_before_onset == 2
    measles = rules_from_settings(Settings(tracing_rules=path, tracing_disease="Measles"))
    assert measles.disease.days_before_onset == 4 and measles.card.same_queue_minutes == 1.0
    with pytest.raises(InvalidInput, match="IZQUVAR_TRACING_DISEASE"):
        rules_from_settings(Settings(tracing_disease="Measles"))


def test_default_sources_get_their_sections() -> None:
    rules = TracingRules.from_overrides({"home_radius_m": 99, "gps": {"query_m": 7}, "cell": {"max_total": 3}})
    built = {type(s).__name__: s for s in default_sources(rules)}
    assert built["GpsSource"].rules == rules.gps and built["GpsSource"].home_radius_m == 99  # type: ignore[attr-defined]
    assert built["HouseholdSource"].home_radius_m == 99  # type: ignore[attr-defined]
    assert built["VisitSource"].home_radius_m == 99  # type: ignore[attr-defined]
    assert built["CellSource"].rules.max_total == 3  # type: ignore[attr-defined]


# -- recorded in every result ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> LocationStore:
    return world.build_store(tmp_path_factory.mktemp("world"))


def trace(feeds: FeedReader, case: str = world.CASE, isolation: bool = True, **overrides: Any) -> TraceResult:
    """The trace of ``case`` in the world under the default rules with ``overrides``."""
    rules = TracingRules.from_overrides(overrides)
    return Tracer(feeds, rules=rules).trace(case, world.ONSET, world.ISOLATION if isolation else None)


def test_a_result_records_every_rule_the_disease_and_the_generation(store: LocationStore) -> None:
    rules = TracingRules.from_overrides({"gps": {"min_minutes": 7}, "venues": {"dwell_minutes": {"other": 30}}})
    result = Tracer(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION)
    assert result.parameters == {"disease": "COVID-19", **rules.parameters(), "store_generation": store.generation()}
    assert result.parameters["gps.min_minutes"] == 7.0 and result.parameters["venues.dwell_minutes.other"] == 30.0
    assert result.parameters["ble.thresholds_db"] == "55.0,63.0,73.0"


def test_a_profile_given_in_code_is_the_disease_recorded(store: LocationStore) -> None:
    measles = DiseaseProfile(name="measles", days_before_onset=4)
    tracer = Tracer(store, profile=measles, rules=TracingRules.from_overrides({"card": {"p_near_factor": 0.25}}))
    assert tracer.profile == measles
    parameters = tracer.trace(world.CASE, world.ONSET, world.ISOLATION).parameters
    assert parameters["disease"] == "measles" and parameters["disease.days_before_onset"] == 4
    assert parameters["card.p_near_factor"] == 0.25


def test_a_store_traces_with_its_settings_rules(tmp_path: Path) -> None:
    from feedkit import settings  # type: ignore[import-not-found]

    path = tmp_path / "rules.toml"
    path.write_text("[gps]\nmin_minutes = 6\n")
    located = world.build_store(tmp_path / "world")
    configured = settings().model_copy(update={"tracing_rules": path})
    with_rules = LocationStore.open(located.root, create=False, settings=configured)
    assert with_rules.trace(world.CASE, world.ONSET).parameters["gps.min_minutes"] == 6.0
    assert located.trace(world.CASE, world.ONSET).parameters["gps.min_minutes"] == 5.0


def test_cli_trace_applies_and_records_the_rules_file(
    store: LocationStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from feedkit import settings

    from izquvar.cli import main

    monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", settings().pseudonym_key.get_secret_value())
    path = tmp_path / "rules.toml"
    path.write_text('[gps]\nmin_minutes = 6\n[diseases."Measles"]\ndisease = {close_minutes = 30}\n')
    args = ["trace", world.CASE, "--store", str(store.root), "--onset", world.ONSET.isoformat(), "--format", "json"]
    done = CliRunner().invoke(main, [*args, "--rules", str(path)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["parameters"]["gps.min_minutes"] == 6.0
    measles = CliRunner().invoke(main, [*args, "--rules", str(path), "--disease", "Measles"])
    assert measles.exit_code == 0, measles.output
    assert json.loads(measles.output)["parameters"]["disease"] == "Measles"
    assert json.loads(measles.output)["parameters"]["disease.close_minutes"] == 30.0
    refused = CliRunner().invoke(main, [*args, "--rules", str(tmp_path / "absent.toml")])
    assert refused.exit_code != 0 and "absent.toml" in refused.output


# -- each rule moves an outcome ---------------------------------------------------------------------------


def _contact(result: TraceResult, store: LocationStore, raw: str) -> Contact | None:
    found = [c for c in result.contacts if c.person == store.pseudonym(raw)]
    return found[0] if found else None


def klass(raw: str) -> Callable[[TraceResult, LocationStore], object]:
    """The class of contact ``raw`` (``None``: not a contact)."""
    return lambda result, store: getattr(_contact(result, store, raw), "klass", None)


def minutes(raw: str) -> Callable[[TraceResult, LocationStore], object]:
    return lambda result, store: getattr(_contact(result, store, raw), "minutes", None)


def risk(raw: str) -> Callable[[TraceResult, LocationStore], object]:
    return lambda result, store: round(getattr(_contact(result, store, raw), "risk", -1.0), 3)


def setting(raw: str) -> Callable[[TraceResult, LocationStore], object]:
    return lambda result, store: getattr(_contact(result, store, raw), "setting", None)


def evidence_rows(raw: str) -> Callable[[TraceResult, LocationStore], object]:
    return lambda result, store: len(getattr(_contact(result, store, raw), "evidence", []))


def places(result: TraceResult, _store: LocationStore) -> object:
    """The case's places as (setting, sources, minutes, certainty)."""
    return [(p.setting, tuple(p.sources), p.minutes, p.certainty) for p in result.places]


def window_end(result: TraceResult, _store: LocationStore) -> object:
    return result.case.window_end


def _rules_of(overrides: dict[str, Any]) -> set[str]:
    """The rules (``section.name``) an override table sets."""
    return {f"{k}.{name}" for k, v in overrides.items() if isinstance(v, dict) for name in v} | {
        k for k, v in overrides.items() if not isinstance(v, dict)
    }


#: (rule overrides, the outcome read, its value under the defaults, its value under the overrides, and the
#: traced case and whether with its isolation date). Each threshold moved across the value the world puts
#: on it; the comment says what the world has there.
EFFECTS: list[tuple[dict[str, Any], Callable[[TraceResult, LocationStore], object], object, object, str, bool]] = [
    # P-AWAY's night far away (~9 km) contradicts the household night until "home" reaches that far
    ({"home_radius_m": 20_000}, minutes("P-AWAY"), 2340.0, 3120.0, world.CASE, True),
    # the meeting in the park (~3 km from home) becomes "home" once the radius takes it in
    ({"home_radius_m": 20_000}, setting("P-GPS"), "nearby", "home", world.CASE, True),
    # P-NEIGHBOUR at the case's home, 40 m from their own: their own home within 150 m, not within 30 m
    (
        {"home_radius_m": 30},
        lambda r, s: [p[0] for p in places(r, s) if p[2] == 65.0],
        ["home"],
        ["visit"],
        "P-NEIGHBOUR",
        True,
    ),
    ({"disease": {"close_minutes": 30}}, klass("P-BLE15"), "close", "casual", world.CASE, True),  # 15 minutes
    ({"disease": {"close_distance_m": 10}}, klass("P-BIG00"), "casual", "close", world.CASE, True),  # 41-seat room
    ({"disease": {"days_before_onset": 0}}, klass("P-BLE1"), "close", None, world.CASE, True),  # met 1 day before
    (
        {"disease": {"days_infectious_after_onset": 0}},
        window_end,
        dt.datetime(2026, 3, 5, 19, tzinfo=dt.UTC),  # the feeds' end (before the 10 days are over)
        dt.datetime(2026, 3, 4, 19, tzinfo=dt.UTC),  # the onset day's end, local
        world.CASE,
        False,
    ),
    ({"disease": {"infectiousness": [0.1]}}, risk("P-BLE1"), 0.526, 0.084, world.CASE, True),
    ({"disease": {"utc_offset_hours": 0}}, minutes("P-AWAY"), 2340.0, 2040.0, world.CASE, True),  # other nights
    ({"household": {"home_blocks": [[0, 2]]}}, minutes("P-SPOUSE"), 2760.0, 480.0, world.CASE, True),
    ({"household": {"p_near": 0.001}}, risk("P-SPOUSE"), 1.0, 0.106, world.CASE, True),
    ({"roster": {"hours": {"department": [9, 10]}}}, minutes("P-COL"), 1620.0, 240.0, world.CASE, True),
    ({"roster": {"weekdays": [5, 6]}}, klass("P-COL"), "close", None, world.CASE, True),  # Monday to Thursday
    ({"roster": {"close_probability": 0.01}}, klass("P-BIG00"), "casual", "close", world.CASE, True),
    ({"ble": {"thresholds_db": [45, 50, 75]}}, klass("P-BLE15"), "close", "casual", world.CASE, True),  # 60 dB
    ({"ble": {"weights": [1.5, 1.5, 0.5, 0]}}, klass("P-BLE14"), "casual", "close", world.CASE, True),  # 14 min
    ({"ble": {"p_near": [0.1, 0.1, 0.1, 0.1]}}, risk("P-BLE1"), 0.526, 0.076, world.CASE, True),
    (
        {"ble": {"grades": ["close", "close", "close", "possible"]}},
        klass("P-BLE2"),
        "casual",
        "close",
        world.CASE,
        True,
    ),
    # P-NEIGHBOUR at the case's home and P-NEXTDOOR at theirs, 25 m apart: apart at 2.5 σ, together at 10 σ
    ({"gps": {"together_sigmas": 10}}, minutes("P-NEXTDOOR"), 5.0, 70.0, "P-NEIGHBOUR", True),
    # ... and not even candidates within 20 m
    ({"gps": {"together_sigmas": 10, "query_m": 20}}, minutes("P-NEXTDOOR"), 5.0, None, "P-NEIGHBOUR", True),
    ({"gps": {"min_minutes": 100}}, klass("P-GPS"), "close", None, world.CASE, True),  # 40 minutes in the park
    ({"gps": {"sigma_floor_m": 50}}, klass("P-GPS"), "close", "casual", world.CASE, True),
    ({"gps": {"close_p_near": 0.99}}, klass("P-GPS"), "close", "casual", world.CASE, True),
    ({"visits": {"min_minutes": 200}}, klass("P-HOST"), "close", None, world.CASE, True),  # a two-hour visit
    ({"visits": {"home_size_m": 0, "sigmas": 0}}, klass("P-GUEST"), "close", None, world.CASE, True),
    ({"visits": {"m2_per_occupant": 100}}, klass("P-HOST"), "close", "casual", world.CASE, True),
    ({"checkins": {"min_visit_s": 100_000}}, klass("P-CHK2"), None, "casual", world.CASE, True),  # came 1 h later
    ({"card": {"same_queue_minutes": 0}}, klass("P-CARD"), "casual", "possible", world.CASE, True),  # 3 min apart
    ({"card": {"p_near_factor": 0}}, risk("P-CARD"), 0.379, 0.0, world.CASE, True),
    ({"cell": {"pad_s": 0}}, klass("P-CELL"), "possible", None, world.CASE, True),  # one record 20 min apart
    ({"cell": {"p_near": 0.9}}, risk("P-CELL"), 0.002, 0.88, world.CASE, True),
    # a 10-minute choyxona dwell: P-CARD2 paid 55 minutes after the case, no longer there together
    (
        {"venues": {"dwell_minutes": {"other": 60, "choyxona": 10}}},
        klass("P-CARD2"),
        "possible",
        None,
        world.CASE,
        True,
    ),
    (
        {"venues": {"m2_per_person": {"other": 3, "workplace": 0.5}}},
        klass("P-BIG00"),
        "casual",
        "close",
        world.CASE,
        True,
    ),
    # paying on arrival: the payment's visit no longer covers P-CELL's record, which the check-in still does
    ({"venues": {"share_before_payment": 0}}, evidence_rows("P-CELL"), 2, 1, world.CASE, True),
    ({"venues": {"min_zone_area_m2": 10_000}}, risk("P-CHK1"), 0.28, 0.001, world.CASE, True),
    ({"places": {"cell_pad_s": 0}}, lambda r, s: places(r, s)[-1][2], 30.0, 0.0, world.CASE, True),
    (
        {"places": {"certainty": {"checkins": 0.1, "checkins_assumed": 0.1, "card": 0.1, "cell": 0.9}}},
        lambda r, s: [p[3] for p in places(r, s) if p[0] in ("choyxona", "area")],
        [0.85, 0.2],
        [0.19, 0.9],
        world.CASE,
        True,
    ),
    ({"places": {"gps_certainty": 0.5}}, lambda r, s: places(r, s)[0][3], 0.904, 0.476, world.CASE, True),
    ({"places": {"gps_certainty_scale_m": 1}}, lambda r, s: places(r, s)[0][3], 0.904, 0.0, world.CASE, True),
]


@pytest.mark.parametrize(
    ("overrides", "outcome", "default", "moved", "case", "isolated"),
    EFFECTS,
    ids=[",".join(sorted(_rules_of(effect[0]))) for effect in EFFECTS],
)
def test_each_rule_moves_its_outcome(
    store: LocationStore,
    overrides: dict[str, Any],
    outcome: Callable[[TraceResult, LocationStore], object],
    default: object,
    moved: object,
    case: str,
    isolated: bool,
) -> None:
    assert outcome(trace(store, case, isolated), store) == default
    assert outcome(trace(store, case, isolated, **overrides), store) == moved


@pytest.fixture(scope="module")
def crowded(store: LocationStore) -> MemoryStore:
    """The world in memory with two operator records more: a stranger's phone served by the choyxona's cell as
    P-CELL's was, and the case's phone again on the far cell 40 minutes after its record there."""
    memory = MemoryStore.copy_of(store, store.settings.pseudonym_key_bytes())
    cell = store.table("cell")
    p_cell, case = store.phone_pseudonym("+998900000011"), store.phone_pseudonym("+998900000001")
    rows = cell.to_pylist()
    stranger = [{**r, "subscriber": store.phone_pseudonym("+998900000099")} for r in rows if r["subscriber"] == p_cell]
    later = [
        {**r, "time": r["time"] + dt.timedelta(minutes=40)}
        for r in rows
        if r["subscriber"] == case and r["cell_id"] == "c2"
    ]
    assert len(stranger) == 1 and len(later) == 1
    memory.add("cell", pa.Table.from_pylist(stranger + later, schema=cell.schema))
    return memory


def _cell_contacts(result: TraceResult) -> int:
    return sum(1 for c in result.contacts if c.sources == ["cell"])


@pytest.mark.parametrize("cap", ["max_per_site", "max_total"])
def test_cell_caps_keep_the_most_seen_subscribers(crowded: MemoryStore, cap: str) -> None:
    assert _cell_contacts(trace(crowded)) == 2
    assert _cell_contacts(trace(crowded, cell={cap: 1})) == 1


def test_places_cell_gap_joins_records_of_one_cell(crowded: MemoryStore) -> None:
    def areas(result: TraceResult) -> list[float]:
        return [p.minutes for p in result.places if p.setting == "area"]

    assert areas(trace(crowded)) == [70.0]  # 14:00 and 14:40, 40 minutes apart: one run, ±15 minutes
    assert areas(trace(crowded, places={"cell_gap_s": 30 * 60})) == [30.0, 30.0]


def test_home_matching_radius_follows_home_size_sigmas_and_its_cap(store: LocationStore) -> None:
    """A stay 20 m north of the registered home of H20: not at it with 15 m + 2.5 σ for σ = 0, at it with a home
    of 25 m; at it with σ = 4 (25 m), not with 1 σ (19 m); at it with σ = 10 (40 m), not with a 10 m cap."""
    data = Tracer(store).data
    lat = np.asarray([world.VISITED[0] + 20.0 / 111_195.0])
    lon = np.asarray([world.VISITED[1]])

    def at_home(sigma: float, **visits: float) -> bool:
        rules = TracingRules.from_overrides({"visits": visits}).visits
        return bool(at_someones_home(data, lat, lon, np.asarray([sigma]), rules)[0])

    assert not at_home(0.0) and at_home(0.0, home_size_m=25)
    assert at_home(4.0) and not at_home(4.0, sigmas=1)
    assert at_home(10.0) and not at_home(10.0, max_radius_m=10)


def test_a_venue_without_capacity_is_sized_by_the_default_capacity() -> None:
    venues = pd.DataFrame(
        {"category": ["shop"], "zones": [2], "capacity": [np.nan]}, index=pd.Index(["v"], name="venue_id")
    )
    assert zone_area_m2(venues, ["v"])[0] == 50.0 / 2 * 3.0
    small = TracingRules.from_overrides({"venues": {"default_capacity": 2}}).venues
    assert zone_area_m2(venues, ["v"], small)[0] == 4.0  # 2 / 2 × 3 m², up to the smallest zone


def _rule_fields() -> dict[str, list[str]]:
    """Every rule by section ("" for the top level)."""
    fields: dict[str, list[str]] = {"": []}
    for name, info in TracingRules.model_fields.items():
        section = info.annotation
        if isinstance(section, type) and issubclass(section, BaseModel):
            fields[name] = list(section.model_fields)
        else:
            fields[""].append(name)
    return fields


#: Rules pinned outside :data:`EFFECTS`, by the tests after it.
PINNED_ELSEWHERE = {
    "cell.max_per_site",
    "cell.max_total",
    "places.cell_gap_s",
    "visits.home_size_m",
    "visits.sigmas",
    "visits.max_radius_m",
    "venues.default_capacity",
    # what a result records, not a threshold (test_a_toml_file..., test_cli_trace...)
    "disease.name",
    # tests/trace/test_interview_source.py (this world has no interviews)
    "interview.close_relations",
    "interview.repeat_relations",
    "interview.close_days",
    "interview.grades",
    "interview.minutes_per_day",
    "interview.p_near",
}


def test_every_rule_has_a_case_that_moves_with_it() -> None:
    pinned = PINNED_ELSEWHERE.union(*(_rules_of(effect[0]) for effect in EFFECTS))
    every = {f"{s}.{n}" if s else n for s, names in _rule_fields().items() for n in names}
    assert every - pinned == set()
