"""``izquvar stays``: JSON and table output, GeoLife input and errors as one line with an exit code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from stay_pings import pings_frame

from izquvar.cli import main

HOME_THEN_WALK = [("ana", m, 3.0 * (m % 2), 0.0) for m in range(11)] + [
    ("ana", 11, 150, 0),
    ("ana", 12, 400, 0),
]


def _gps_csv(tmp_path: Path) -> Path:
    frame = pings_frame(HOME_THEN_WALK)
    path = tmp_path / "gps.csv"
    frame.assign(time=frame["time"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")).to_csv(path, index=False)
    return path


def test_json_output(tmp_path: Path) -> None:
    args = [
        "stays",
        "--input",
        str(_gps_csv(tmp_path)),
        "--dist-m",
        "100",
        "--time-min",
        "5",
        "--gap-min",
        "15",
    ]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    stays = json.loads(result.output)
    assert stays == [
        {
            "person": "ana",
            "start": "2026-03-02T08:00:00Z",
            "end": "2026-03-02T08:11:00Z",
            "lat": 0.0,
            "lon": pytest.approx(1.5 / 111_194.92664455873, abs=1e-12),
            "n_pings": 11,
        }
    ]


def test_table_output_ends_with_a_count(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["stays", "--input", str(_gps_csv(tmp_path)), "--time-min", "20"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 stays of 0 people")
    result = CliRunner().invoke(main, ["stays", "--input", str(_gps_csv(tmp_path))])
    assert result.output.strip().endswith("1 stays of 1 people")
    assert "ana" in result.output


def test_bad_input_is_one_line_and_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "gps.csv"
    pings_frame(HOME_THEN_WALK).drop(columns=["lat"]).to_csv(path, index=False)
    result = CliRunner().invoke(main, ["stays", "--input", str(path), "--json"])
    assert result.exit_code == 2
    assert "missing column 'lat'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.shared
def test_geolife_directory(geolife_dir: Path) -> None:
    result = CliRunner().invoke(main, ["stays", "--input", str(geolife_dir), "--json"])
    assert result.exit_code == 0, result.output
    stays = json.loads(result.output)
    assert len(stays) == 343  # trackintel finds the same 343 (tests/mobility/test_stays_trackintel.py)
    assert {s["person"] for s in stays} <= {f"{u:03d}" for u in range(11)}
    assert all(s["start"].endswith("Z") and s["end"] > s["start"] for s in stays)
