"""Households and people of the synthetic city: sizes, ages, sex, homes, phones, app use, cards, jobs.

People are numbered household by household (members are contiguous), which keeps every later step a matter of
array slicing. Ages follow Uzbekistan's age pyramid; household sizes have mean ≈ 5 (docs/simulator.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.simulate.city import City
from izquvar.simulate.config import SimConfig
from izquvar.simulate.ids import days_since_epoch, msisdn, pinfl

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
StrArray = npt.NDArray[np.str_]

#: Share of the population in 5-year age groups 0–4 … 75–79, 80+ (rounded UN World Population Prospects 2022
#: estimates for Uzbekistan, 2021).
AGE_PYRAMID: tuple[float, ...] = (
    10.6,
    10.0,
    8.6,
    7.3,
    7.4,
    8.7,
    8.7,
    7.5,
    6.3,
    5.4,
    5.1,
    4.8,
    3.9,
    2.6,
    1.6,
    0.7,
    0.8,
)

#: Probability of household sizes 1, 2, …, 10 (mean ≈ 4.9; Uzbekistan's households average about 5).
HOUSEHOLD_SIZES: tuple[float, ...] = (0.05, 0.09, 0.13, 0.19, 0.19, 0.14, 0.09, 0.06, 0.04, 0.02)

#: Statutory pension ages in Uzbekistan (men, women): people above them are not employed in the model.
RETIREMENT_AGE_MEN = 60
RETIREMENT_AGE_WOMEN = 55
ADULT_AGE = 18
SCHOOL_AGES = (7, 17)


@dataclass(frozen=True)
class Population:
    """Everyone, as parallel arrays indexed by person number."""

    household: IntArray
    age: IntArray
    male: BoolArray
    birth_day: IntArray  # days since 1970-01-01
    person_id: StrArray
    phone: StrArray  # "" when the person has no phone
    has_phone: BoolArray
    app_user: BoolArray
    card_holder: BoolArray
    employed: BoolArray
    pupil: BoolArray
    #: 0 walks or drives, 1 metro, 2 bus (for commuters).
    commute_mode: IntArray
    household_id: StrArray  # per household
    household_start: IntArray  # first person of each household (length households + 1)
    home_x: FloatArray  # per household, metres
    home_y: FloatArray
    home_mahalla: IntArray  # per household
    #: Three households each household visits as guests (relatives and friends), per household.
    related: IntArray

    @property
    def size(self) -> int:
        return len(self.age)

    @property
    def households(self) -> int:
        return len(self.home_x)

    def household_size(self) -> IntArray:
        return np.diff(self.household_start)


def _household_sizes(n: int, rng: np.random.Generator) -> IntArray:
    probs = np.asarray(HOUSEHOLD_SIZES)
    sizes = rng.choice(np.arange(1, len(probs) + 1), size=n // 3 + 10, p=probs / probs.sum())
    cumulative = np.cumsum(sizes)
    count = int(np.searchsorted(cumulative, n)) + 1
    sizes = sizes[:count].copy()
    sizes[-1] -= int(cumulative[count - 1] - n)
    return sizes.astype(np.int64)


def _ages(n: int, rng: np.random.Generator) -> IntArray:
    shares = np.asarray(AGE_PYRAMID)
    group = rng.choice(len(shares), size=n, p=shares / shares.sum())
    width = np.where(group == len(shares) - 1, 15, 5)
    return (group * 5 + (rng.random(n) * width).astype(np.int64)).astype(np.int64)


def _adult_slots(sizes: IntArray, adults: int, rng: np.random.Generator) -> IntArray:
    """How many adults each household gets: a couple where there is room, matched to the adults drawn."""
    slots = np.minimum(sizes, 2)
    for _ in range(64):
        gap = adults - int(slots.sum())
        if gap == 0:
            break
        if gap > 0:  # more adults than couples: grown children and grandparents join larger households
            room = np.flatnonzero(slots < sizes)
            chosen = rng.choice(room, size=min(gap, len(room)), replace=False, p=None)
            slots[chosen] += 1
        else:  # fewer adults: single parents
            room = np.flatnonzero(slots > 1)
            chosen = rng.choice(room, size=min(-gap, len(room)), replace=False)
            slots[chosen] -= 1
    return slots


def build_population(config: SimConfig, city: City, rng: np.random.Generator) -> Population:
    """Draw the population: households, members, homes and everything the registry and feeds know of them."""
    n = config.people
    sizes = _household_sizes(n, rng)
    households = len(sizes)
    start = np.r_[0, np.cumsum(sizes)].astype(np.int64)
    household = np.repeat(np.arange(households, dtype=np.int64), sizes)

    drawn = _ages(n, rng)
    adults = np.flatnonzero(drawn >= ADULT_AGE)
    minors = np.flatnonzero(drawn < ADULT_AGE)
    adult_slots = _adult_slots(sizes, len(adults), rng)
    # within a household, the first ``adult_slots`` members are adults, the rest minors
    rank = np.arange(n) - start[household]
    is_adult_slot = rank < adult_slots[household]
    age = np.empty(n, dtype=np.int64)
    age[is_adult_slot] = rng.permutation(drawn[adults])
    age[~is_adult_slot] = rng.permutation(drawn[minors])
    male = rng.random(n) < 0.5
    couple = is_adult_slot & (rank < 2) & (adult_slots[household] >= 2)
    male[couple] = rank[couple] == 0

    start_day = days_since_epoch(config.start)
    birth_day = start_day - age * 365 - rng.integers(0, 365, size=n)

    home_x, home_y, home_mahalla = city.random_points(households, rng)
    district = city.mahalla_district[home_mahalla]
    district_code = np.array([int(d[-3:]) if d[-3:].isdigit() else 0 for d in city.district_ids], dtype=np.int64)[
        district
    ]
    person_id = pinfl(birth_day, male, district_code[household])

    has_phone = (age >= config.phone_owner_min_age) & (rng.random(n) < config.phone_owner_share)
    phone = np.full(n, "", dtype="<U12")
    phone[has_phone] = msisdn(int(has_phone.sum()), rng)
    app_user = has_phone & (rng.random(n) < config.app_user_share)
    card_holder = (age >= ADULT_AGE) & (rng.random(n) < config.card_holder_share)

    working_age = (age >= ADULT_AGE) & (age < np.where(male, RETIREMENT_AGE_MEN, RETIREMENT_AGE_WOMEN))
    employed = working_age & (rng.random(n) < config.employment_share)
    pupil = (age >= SCHOOL_AGES[0]) & (age <= SCHOOL_AGES[1])
    mode_draw = rng.random(n)
    commute_mode = np.where(
        mode_draw < config.metro_commute_share,
        1,
        np.where(mode_draw < config.metro_commute_share + config.bus_commute_share, 2, 0),
    ).astype(np.int64)
    commute_mode[~employed] = 0

    related = _related_households(home_mahalla, rng)
    household_id = np.char.add("HH", np.char.zfill(np.arange(1, households + 1).astype(str), 8))
    return Population(
        household=household,
        age=age,
        male=male,
        birth_day=birth_day.astype(np.int64),
        person_id=person_id,
        phone=phone,
        has_phone=has_phone,
        app_user=app_user,
        card_holder=card_holder,
        employed=employed,
        pupil=pupil,
        commute_mode=commute_mode,
        household_id=household_id,
        household_start=start,
        home_x=home_x,
        home_y=home_y,
        home_mahalla=home_mahalla,
        related=related,
    )


def _related_households(mahalla: IntArray, rng: np.random.Generator, k: int = 3) -> IntArray:
    """``k`` households each household visits: two in its own mahalla (neighbours, kin) and one anywhere."""
    households = len(mahalla)
    order = np.argsort(mahalla, kind="stable")
    sorted_mahalla = mahalla[order]
    first = np.searchsorted(sorted_mahalla, mahalla, side="left")
    last = np.searchsorted(sorted_mahalla, mahalla, side="right")
    related = np.empty((households, k), dtype=np.int64)
    for column in range(k - 1):
        pick = first + (rng.random(households) * (last - first)).astype(np.int64)
        related[:, column] = order[pick]
    related[:, k - 1] = rng.integers(0, households, size=households)
    return related
