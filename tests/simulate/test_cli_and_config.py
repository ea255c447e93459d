"""The ``izquvar simulate`` command and SimConfig validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from izquvar.cli import main
from izquvar.errors import InvalidInput
from izquvar.simulate import SimConfig


def test_cli_writes_chosen_sources_and_metadata(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "simulate",
        "--people",
        "400",
        "--days",
        "2",
        "--seed",
        "5",
        "--out",
        str(out),
        "--sources",
        "people,gps,card",
        "--gps-loss",
        "0.2",
        "--set",
        "checkout_share=0.25",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "400 people" in result.output
    meta = json.loads((out / "simulation.json").read_text())
    assert meta["seed"] == 5 and meta["start"] == "2026-03-02" and meta["format_version"] == 1
    assert meta["config"]["gps_loss"] == 0.2 and meta["config"]["checkout_share"] == 0.25
    assert meta["config"]["sources"] == ["people", "gps", "card"]
    assert (out / "gps").is_dir() and (out / "card").is_dir() and not (out / "cell").exists()
    assert (out / "truth" / "stays").is_dir()
    assert meta["rows"]["people"] == 400


def test_cli_refuses_non_empty_output_and_bad_options(tmp_path: Path) -> None:
    (tmp_path / "x").write_text("keep me")
    result = CliRunner().invoke(main, ["simulate", "--people", "100", "--days", "1", "--out", str(tmp_path)])
    assert result.exit_code == InvalidInput.exit_code
    assert "not empty" in result.output
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path / "n"), "--sources", "gps,teleport"])
    assert result.exit_code == InvalidInput.exit_code and "teleport" in result.output
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path / "n"), "--set", "nonsense=1"])
    assert result.exit_code == InvalidInput.exit_code
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path / "n"), "--start", "2026-13-01"])
    assert result.exit_code == InvalidInput.exit_code


@pytest.mark.parametrize(
    "changes",
    [
        {"people": 3},
        {"days": 0},
        {"gps_loss": 1.5},
        {"format": "xlsx"},
        {"onset_to_specimen_days": (0.5, 0.2)},
        {"cell_interval_min_min": 90.0},
        {"school_days": (7,)},
        {"ble_scan_interval_s": 100},
    ],
)
def test_config_rejects_nonsense(changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        SimConfig().replace(**changes)


def test_config_is_frozen_and_serialisable() -> None:
    config = SimConfig()
    with pytest.raises(AttributeError):
        config.people = 5  # type: ignore[misc]
    assert json.loads(json.dumps(config.to_json()))["start"] == "2026-03-02"
