"""Diseases as configuration: the shipped COVID-19, a deployment's file adding and overriding diseases, and the
errors a bad file gives (naming the disease and field)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from izquvar.cases.diseases import COVID19, DiseaseRegistry
from izquvar.errors import InvalidInput, NotFound


def test_covid19_window_and_tests() -> None:
    onset = dt.date(2026, 3, 10)
    assert COVID19.window(onset) == (dt.date(2026, 3, 8), dt.date(2026, 3, 20))
    assert COVID19.window(onset, isolation=dt.date(2026, 3, 12)) == (dt.date(2026, 3, 8), dt.date(2026, 3, 11))
    assert COVID19.confirms("pcr") and COVID19.confirms("Antigen") and not COVID19.confirms("IgG")
    registry = DiseaseRegistry.default()
    assert registry.get("covid-19") is COVID19 and registry.codes() == ["COVID-19"]
    with pytest.raises(NotFound, match="known: COVID-19"):
        registry.get("measles")


def test_a_file_adds_a_disease_and_overrides_fields_of_a_shipped_one(tmp_path: Path) -> None:
    path = tmp_path / "diseases.toml"
    path.write_text(
        '[diseases."measles"]\nname = "Measles"\ndays_before_onset = 4\ndays_infectious_after_onset = 4\n'
        'follow_up_days = 21\ntests = ["IgM"]\n\n[diseases."covid-19"]\nfollow_up_days = 10\n',
        encoding="utf-8",
    )
    registry = DiseaseRegistry.from_file(path)
    assert registry.codes() == ["COVID-19", "measles"]
    measles = registry.get("Measles")
    assert (measles.name, measles.follow_up_days, measles.window(dt.date(2026, 3, 10))) == (
        "Measles", 21, (dt.date(2026, 3, 6), dt.date(2026, 3, 14)),
    )  # fmt: skip
    covid = registry.get("COVID-19")
    assert covid.follow_up_days == 10 and covid.days_before_onset == COVID19.days_before_onset
    assert DiseaseRegistry.default().get("COVID-19").follow_up_days == 14  # the shipped one is unchanged


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[diseases."x"]\ndays_before_onset = -1\n', "diseases.x.days_before_onset"),
        ('[diseases."x"]\nname = "X"\n', "diseases.x.days_before_onset"),
        ("[other]\n", "expected"),
        ("not toml at all [", "cannot read"),
    ],
)
def test_a_bad_file_names_the_disease_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "diseases.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        DiseaseRegistry.from_file(path)
