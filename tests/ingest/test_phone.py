"""Phone numbers are canonicalised before hashing: one phone written two ways is one person."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from feedkit import DAY1, NOW, iso, write_csv, write_world
from hypothesis import given
from hypothesis import strategies as st

from izquvar.errors import InvalidInput
from izquvar.ingest.phone import canonical_msisdn, canonical_one
from izquvar.ingest.problems import Reason
from izquvar.store import EmbeddedStore

SPELLINGS = [
    "998901234567",
    "+998901234567",
    "+998 90 123-45-67",
    "+998 (90) 123 45 67",
    "00998 90 123 45 67",
    "90 123 45 67",
    "901234567",
    "8 (90) 123-45-67",
    " 998.90.123.45.67 ",
]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_usual_spellings_of_an_uzbek_number_are_one_msisdn(spelling: str) -> None:
    assert canonical_one(spelling) == "998901234567"


@pytest.mark.parametrize("foreign", ["+7 916 123-45-67", "0049 30 1234567", "+1 (202) 555-0143"])
def test_foreign_numbers_keep_their_country_code(foreign: str) -> None:
    digits = "".join(ch for ch in foreign if ch.isdigit()).removeprefix("00")
    assert canonical_one(foreign) == digits


@pytest.mark.parametrize("bad", ["", "12345", "abc", "0901234567", "+998 90 123 45 67 ext 2", "1" * 16, "+"])
def test_what_is_not_a_phone_number_is_flagged(bad: str) -> None:
    assert canonical_one(bad) is None


def test_nulls_stay_null_and_are_not_problems() -> None:
    canonical, bad = canonical_msisdn(pa.chunked_array([["+998901234567", None], ["abc"]]))
    assert canonical.to_pylist() == ["998901234567", None, None]
    assert bad.tolist() == [False, False, True]


@given(st.from_regex(r"\A[1-9][0-9]{7,14}\Z"))
def test_canonical_form_is_a_fixed_point(msisdn: str) -> None:
    once = canonical_one(msisdn)
    assert once is not None
    assert canonical_one(once) == once
    assert canonical_one("+" + once) == once


def test_registry_and_operator_spellings_link_one_phone(store: EmbeddedStore, feeds: Path) -> None:
    people = write_csv(
        feeds / "people.csv",
        ["person", "household", "birth_year", "sex", "phone"],
        [["AB1234567", "h1", "1985", "F", "+998 (90) 123-45-67"], ["CD7654321", "h1", "1990", "M", "555"]],
    )
    cell = write_csv(
        feeds / "cell.csv",
        ["subscriber", "time", "cell_id"],
        [["998901234567", iso(DAY1), "c-1"], ["90-123-45-67", iso(DAY1), "c-2"]],
    )
    report = store.ingest([*write_world(feeds), people, cell], now=NOW)
    expected = store.phone_pseudonym("901234567")
    assert store.table("people")["phone"].to_pylist() == [expected]
    assert set(store.table("cell")["subscriber"].to_pylist()) == {expected}
    rejects = store.table("rejects").to_pylist()
    bad = [r for r in rejects if r["reason"] == Reason.NOT_A_PHONE_NUMBER]
    assert [(Path(r["file"]).name, r["row"], r["field"], r["value"]) for r in bad] == [("people.csv", 2, "phone", None)]
    assert report.reject_count == 1


def test_phone_pseudonym_refuses_what_is_not_a_phone(store: EmbeddedStore) -> None:
    with pytest.raises(InvalidInput, match="not a phone number"):
        store.phone_pseudonym("PINFL 32001652830006")
