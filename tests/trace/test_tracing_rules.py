"""TracingRules: loading, refusals, recording in a result, and each GPS threshold moving a decision."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import world

from izquvar.errors import InvalidInput
from izquvar.store import EmbeddedStore
from izquvar.trace.disease import COVID19
from izquvar.trace.rules import TracingRules
from izquvar.trace.tracer import Tracer


def test_defaults_are_todays_values() -> None:
    rules = TracingRules()
    assert rules.disease.profile() == COVID19
    assert rules.home_radius_m == 150.0
    assert rules.gps.query_m == 50.0 and rules.ble.thresholds_db == (55.0, 63.0, 73.0)


def test_a_toml_file_overrides_exactly_the_keys_it_gives(tmp_path: Path) -> None:
    path = tmp_path / "rules.toml"
    path.write_text('home_radius_m = 120\n[gps]\nquery_m = 30\n[diseases."Measles"]\ndisease = {close_minutes = 5}\n')
    loaded = TracingRules.load(path)
    defaults = TracingRules().parameters()
    changed = {k for k, v in loaded.parameters().items() if defaults[k] != v}
    assert changed == {"home_radius_m", "gps.query_m"}
    measles = TracingRules.load(path, disease="Measles")
    assert measles.disease.name == "Measles" and measles.disease.close_minutes == 5.0
    assert measles.gps.query_m == 30.0


def test_json_files_load_too(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"card": {"same_queue_minutes": 2}}))
    assert TracingRules.load(path).card.same_queue_minutes == 2.0


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[gps]\nqery_m = 30\n", "gps.qery_m"),
        ("home_radius_m = -1\n", "home_radius_m"),
        ("[ble]\nthresholds_db = [70, 60, 80]\n", "ble"),
        ("[gps\n", "cannot read"),
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
    path.write_text("")
    with pytest.raises(InvalidInput, match="unknown disease"):
        TracingRules.load(path, disease="Ebola")
    with pytest.raises(InvalidInput, match="cannot read"):
        TracingRules.load(tmp_path / "absent.toml")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    return world.build_store(tmp_path_factory.mktemp("world"))


def gps_class(store: EmbeddedStore, **gps: float) -> str | None:
    """The class of P-GPS's gps evidence under the given GPS rules, ``None`` when not a gps contact."""
    rules = TracingRules.from_overrides({"gps": gps})
    result = Tracer.from_store(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION)
    found = [c for c in result.contacts if c.person == store.pseudonym("P-GPS") and "gps" in c.sources]
    assert result.parameters["gps.query_m"] == rules.gps.query_m
    return found[0].klass if found else None


def test_parameters_of_a_trace_are_the_rules_it_ran_with(store: EmbeddedStore) -> None:
    rules = TracingRules.from_overrides({"gps": {"min_minutes": 7}})
    result = Tracer.from_store(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION)
    assert {k: result.parameters[k] for k in rules.parameters()} == rules.parameters()
    assert "store_generation" in result.parameters


def test_gps_thresholds_each_move_the_decision(store: EmbeddedStore) -> None:
    assert gps_class(store) == "close"
    assert gps_class(store, min_minutes=10_000) is None  # they never overlap that long
    assert gps_class(store, sigma_floor_m=50.0) == "casual"  # imprecise centroids: not resolved to 2 m


def classes(store: EmbeddedStore, raw: str, **overrides: object) -> set[str]:
    """The classes of one world person under the given rule overrides (empty when not a contact)."""
    rules = TracingRules.from_overrides(dict(overrides))
    result = Tracer.from_store(store, rules=rules).trace(world.CASE, world.ONSET, world.ISOLATION)
    return {c.klass for c in result.contacts if c.person == store.pseudonym(raw)}


def test_card_same_queue_minutes_moves_casual_to_possible(store: EmbeddedStore) -> None:
    queue = [raw for raw in ("P-CARD", "P-CARD2") if classes(store, raw) == {"casual"}]
    assert queue, "the world has a same-queue card payer"
    assert classes(store, queue[0], card={"same_queue_minutes": 0.0}) == {"possible"}


def test_ble_thresholds_move_close_contacts(store: EmbeddedStore) -> None:
    baseline = classes(store, "P-BLE1")
    assert baseline == {"close"}
    assert classes(store, "P-BLE1", ble={"thresholds_db": [1.0, 2.0, 3.0]}) != {"close"}


def test_cli_trace_records_the_rules_file(
    store: EmbeddedStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from feedkit import settings  # type: ignore[import-not-found]

    from izquvar.cli import main

    monkeypatch.setenv("IZQUVAR_PSEUDONYM_KEY", settings().pseudonym_key.get_secret_value())

    path = tmp_path / "rules.toml"
    path.write_text("[gps]\nmin_minutes = 6\n")
    args = ["trace", world.CASE, "--store", str(store.root), "--onset", world.ONSET.isoformat(), "--format", "json"]
    done = CliRunner().invoke(main, [*args, "--rules", str(path)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["parameters"]["gps.min_minutes"] == 6.0
    refused = CliRunner().invoke(main, [*args, "--rules", str(tmp_path / "absent.toml")])
    assert refused.exit_code != 0 and "absent.toml" in refused.output
