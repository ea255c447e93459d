"""The realised imperfection rates on a small simulation match the configured defaults."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from simkit import SMALL, read_kind

from izquvar.simulate import SimConfig, SimSummary, simulate
from izquvar.simulate.sources.ble import attenuation_db


def _frame(out: Path, name: str) -> pd.DataFrame:
    return read_kind(out, name).to_pandas()


def test_phone_and_app_shares(small_run: tuple[Path, SimSummary]) -> None:
    out, summary = small_run
    people = _frame(out, "people")
    assert summary.diagnostics["phone_owner_share"] == pytest.approx(SMALL.phone_owner_share, abs=0.03)
    owners = set(people.person[people.phone.notna()])
    gps_users = set(_frame(out, "gps").person)
    assert gps_users <= owners
    # almost every app user is seen in three days; the share of owners among them is ~30 %
    assert len(gps_users) / len(owners) == pytest.approx(SMALL.app_user_share, abs=0.04)
    assert summary.diagnostics["app_user_share"] == pytest.approx(SMALL.app_user_share, abs=0.04)


def test_gps_loss_is_the_configured_share(tmp_path: Path) -> None:
    """Same world with and without loss: the ping count drops by the loss share."""
    base = SimConfig(people=800, days=1, seed=3, sources=("gps",), close_contacts=False)
    lossless = simulate(base.replace(gps_loss=0.0), tmp_path / "a").rows["gps"]
    lossy = simulate(base, tmp_path / "b").rows["gps"]
    assert 1.0 - lossy / lossless == pytest.approx(base.gps_loss, abs=0.01)


def test_gps_accuracy_indoor_and_outdoor(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    accuracy = _frame(out, "gps").accuracy_m
    indoor = accuracy[accuracy > 15]
    outdoor = accuracy[accuracy <= 15]
    assert indoor.median() == pytest.approx(SMALL.gps_sigma_indoor_m, rel=0.15)
    assert outdoor.median() == pytest.approx(SMALL.gps_sigma_outdoor_m, rel=0.15)


def test_gps_cadence(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    gps = _frame(out, "gps").sort_values(["person", "time"])
    gaps = gps.groupby("person").time.diff().dt.total_seconds().dropna()
    # the most common gaps are the moving (60 s) and still (300 s) intervals
    common = gaps.round(-1).value_counts().index[:2]
    assert set(common) == {60.0, 300.0}


def test_card_share(small_run: tuple[Path, SimSummary]) -> None:
    out, summary = small_run
    assert summary.diagnostics["card_payment_share"] == pytest.approx(SMALL.card_payment_share, abs=0.05)
    card = _frame(out, "card")
    merchants = _frame(out, "merchants")
    venues = _frame(out, "venues").set_index("venue_id")
    venue_of = merchants.set_index("merchant_id").venue_id
    assert venues.accepts_cards[venue_of[card.merchant_id]].all()


def test_checkin_compliance_and_checkout(small_run: tuple[Path, SimSummary]) -> None:
    out, summary = small_run
    assert summary.diagnostics["checkin_compliance"] == pytest.approx(SMALL.checkin_compliance, abs=0.05)
    checkins = _frame(out, "checkins")
    assert checkins.check_out.notna().mean() == pytest.approx(SMALL.checkout_share, abs=0.05)
    done = checkins.dropna(subset=["check_out"])
    assert (done.check_out >= done.check_in).all()


def test_cell_event_cadence(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    cell = _frame(out, "cell").sort_values(["subscriber", "time"])
    per_day = cell.groupby(["subscriber", cell.time.dt.floor("D")]).size()
    # periodic events every 30–60 min (~32 a day) plus arrivals
    assert 25 <= per_day.median() <= 45
    towers = _frame(out, "towers")
    assert towers.range_m.between(SMALL.tower_range_min_m, SMALL.tower_range_max_m).all()


def test_attenuation_noise() -> None:
    rng = np.random.default_rng(0)
    measured = attenuation_db(np.full(20_000, 2.0), SMALL, rng)
    expected = SMALL.ble_attenuation_1m_db + 10 * SMALL.ble_path_loss_exponent * np.log10(2.0)
    assert measured.mean() == pytest.approx(expected, abs=0.2)
    assert measured.std() == pytest.approx(SMALL.ble_noise_db, rel=0.05)


def test_ble_only_between_app_users_in_range(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    ble = _frame(out, "ble")
    gps_users = set(_frame(out, "gps").person)
    assert set(ble.person_a) | set(ble.person_b) <= gps_users
    assert (ble.person_a < ble.person_b).all()
    assert (ble.duration_s % SMALL.ble_scan_interval_s == 0).all()
    # single scans spread like the noise around the path-loss mean of distances up to the range
    single = ble.attenuation_db[ble.duration_s == SMALL.ble_scan_interval_s]
    far = SMALL.ble_attenuation_1m_db + 10 * SMALL.ble_path_loss_exponent * np.log10(SMALL.ble_range_m)
    assert single.mean() < far
    assert single.std() > SMALL.ble_noise_db * 0.8
