"""PINFL checks: exactly the documented ones, each with its own message; the simulator's numbers pass them."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from personkit import pinfl

from izquvar.persons.national_id import check_pinfl
from izquvar.simulate.ids import pinfl as simulated_pinfl


def test_a_valid_pinfl_gives_birth_date_and_sex() -> None:
    facts = check_pinfl(pinfl(dt.date(2003, 1, 31), "F"))
    assert (facts.birth_date, facts.sex) == (dt.date(2003, 1, 31), "F")
    assert check_pinfl(pinfl(dt.date(1899, 12, 1), "M")).birth_date == dt.date(1899, 12, 1)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("3150885123001", "14 digits"),
        ("315088512300199", "14 digits"),
        ("31508851230O19", "14 digits"),
        ("71508851230019", "starts with 1 to 6"),
        ("33102851230019", "is no date"),  # 31 February
        ("31508851230018", "check digit"),
    ],
)
def test_each_check_refuses_with_its_reason(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        check_pinfl(value)


def test_every_simulated_person_identifier_is_a_valid_pinfl_of_their_birth_and_sex() -> None:
    rng = np.random.default_rng(3)
    birth = rng.integers(-20_000, 20_000, 2_000)
    male = rng.random(2_000) < 0.5
    for value, day, is_male in zip(
        simulated_pinfl(birth, male, rng.integers(0, 1000, 2_000)), birth, male, strict=True
    ):
        facts = check_pinfl(str(value))
        assert facts.birth_date == dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
        assert facts.sex == ("M" if is_male else "F")
