"""The identity registry of the simulated city: ``registry/persons.csv``, in the format ``izquvar import
persons`` reads (docs/registry.md).

What a real registry holds and the location feeds do not: Uzbek names in Latin script (official ʻ and ʼ; the
Cyrillic form is the transliteration), the birth date and sex the PINFL encodes, the phone numbers the feeds
carry (written as people write them, so import canonicalises them to the numbers the store hashed), the
address with region, district and mahalla of the simulated home, and the preferred language.

Drawn from a generator of its own (``run._STREAMS["registry"]``), after everything else is built, so that
writing the registry changes no other output byte.

Naming, as commonly practised in Uzbekistan (assumptions of the model): a household shares the husband's
family name, in the women's form with -a (Karimov, Karimova); most wives take it, some keep their own. The
patronymic is the father's given name, in the Russian-style form (-ovich/-ovna, -yevich/-yevna after a vowel)
or the Uzbek one (oʻgʻli/qizi); children's father is the household's husband. Language shares are an assumption
for Tashkent city: Uzbek in Latin script 45 %, in Cyrillic 25 %, Russian 27 %, English 3 %.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from izquvar.formats.registry import PERSON_COLUMNS
from izquvar.geo.areas import TASHKENT_CITY_ID, AreaIndex
from izquvar.geo.transliterate import normalise_latin
from izquvar.simulate.city import City
from izquvar.simulate.population import Population

#: Where the registry is written in the simulation output, beside the feeds (ingest does not read it).
REGISTRY_FILE = Path("registry") / "persons.csv"
COLUMNS = tuple(PERSON_COLUMNS)
LANGUAGE_SHARES: tuple[tuple[str, float], ...] = (("uz-Latn", 0.45), ("uz-Cyrl", 0.25), ("ru", 0.27), ("en", 0.03))
#: Share of wives who keep their own family name.
OWN_NAME_WIFE_SHARE = 0.2
#: Share of patronymics written in the Uzbek form (oʻgʻli/qizi) rather than -ovich/-ovna.
UZBEK_PATRONYMIC_SHARE = 0.3
HOUSES_PER_STREET = 200
#: The youngest a household head may have been when a member was born, for him to be named their father.
FATHER_MIN_AGE = 16
_VOWELS = "aeiouAEIOU"
_SON = normalise_latin("o'g'li")

IntArray = npt.NDArray[np.int64]
StrArray = npt.NDArray[np.str_]


@cache
def names(kind: str) -> tuple[str, ...]:
    """One of the shipped name lists (``male-given``, ``female-given``, ``family``, ``streets``), official letters."""
    text = resources.files("izquvar.simulate").joinpath("data", "names", f"{kind}.txt").read_text(encoding="utf-8")
    return tuple(normalise_latin(line.strip()) for line in text.splitlines() if line.strip() and line[0] != "#")


def family_form(male_form: str, male: bool) -> str:
    """A family name in the holder's form: Karimov → Karimova for a woman."""
    return male_form if male else male_form + "a"


def patronymic(father: str, male: bool, uzbek_form: bool) -> str:
    """The patronymic from the father's given name: Alisherovich, Alisherovna, Alisher oʻgʻli, Alisher qizi."""
    if uzbek_form:
        return f"{father} {_SON if male else 'qizi'}"
    stem = father + ("yev" if father[-1] in _VOWELS else "ov")
    return stem + ("ich" if male else "na")


def write_registry(
    out: Path, pop: Population, city: City, rng: np.random.Generator, areas: AreaIndex | None = None
) -> int:
    """Write ``OUT/registry/persons.csv`` (one row per simulated person); returns the number of rows."""
    areas = areas or AreaIndex.default()
    n, households = pop.size, pop.households
    male_names, female_names, families = names("male-given"), names("female-given"), names("family")
    given = np.where(
        pop.male,
        np.asarray(male_names)[rng.integers(0, len(male_names), n)],
        np.asarray(female_names)[rng.integers(0, len(female_names), n)],
    )
    household_family = rng.integers(0, len(families), households)
    family = household_family[pop.household].copy()
    rank = np.arange(n) - pop.household_start[pop.household]
    wife_keeps = (rank == 1) & ~pop.male & (rng.random(n) < OWN_NAME_WIFE_SHARE)
    family[wife_keeps] = rng.integers(0, len(families), int(wife_keeps.sum()))
    father = _fathers(pop, given, rng, male_names)
    uzbek_form = rng.random(n) < UZBEK_PATRONYMIC_SHARE
    street_of = rng.integers(0, len(names("streets")), households)
    house_of = rng.integers(1, HOUSES_PER_STREET + 1, households)
    lang_codes = np.asarray([code for code, _ in LANGUAGE_SHARES])
    shares = np.asarray([share for _, share in LANGUAGE_SHARES])
    household_lang = lang_codes[rng.choice(len(lang_codes), households, p=shares / shares.sum())]
    home = pop.home_mahalla[pop.household]
    birth = (np.datetime64("1970-01-01") + pop.birth_day.astype("timedelta64[D]")).astype(str)
    mahalla_of = [m if m in areas and areas.get(m).level == "mahalla" else "" for m in city.mahalla_ids]

    path = out / REGISTRY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(n):
            male, hh = bool(pop.male[i]), int(pop.household[i])
            writer.writerow(
                (
                    pop.person_id[i],
                    family_form(families[family[i]], male),
                    given[i],
                    patronymic(str(father[i]), male, bool(uzbek_form[i])),
                    birth[i],
                    "M" if male else "F",
                    _written(pop.phone[i]) if pop.has_phone[i] else "",
                    TASHKENT_CITY_ID,
                    city.district_ids[city.mahalla_district[home[i]]],
                    mahalla_of[home[i]],
                    f"{names('streets')[street_of[hh]]} koʻchasi",
                    str(house_of[hh]),
                    household_lang[hh],
                )
            )
    return n


def _fathers(pop: Population, given: StrArray, rng: np.random.Generator, male_names: tuple[str, ...]) -> StrArray:
    """Each person's father's given name: the household head's (its first member, when a man) for the members
    young enough to be his children, a drawn name for everyone else (whose fathers the city does not hold)."""
    n = pop.size
    father = np.asarray(male_names)[rng.integers(0, len(male_names), n)]
    first = pop.household_start[:-1]
    husband = first[pop.male[first] & (pop.household_size() >= 2)]
    has_husband = np.zeros(pop.households, dtype=bool)
    has_husband[pop.household[husband]] = True
    husband_name = np.empty(pop.households, dtype=given.dtype)
    husband_name[pop.household[husband]] = given[husband]
    rank = np.arange(n) - pop.household_start[pop.household]
    head_age = pop.age[pop.household_start[pop.household]]
    child = (rank >= 1) & has_husband[pop.household] & (pop.age + FATHER_MIN_AGE <= head_age)
    father[child] = husband_name[pop.household[child]]
    return father


def _written(msisdn: str) -> str:
    """A phone number as a registry clerk writes it: ``+998 90 123-45-67`` for ``998901234567``."""
    return f"+{msisdn[:3]} {msisdn[3:5]} {msisdn[5:8]}-{msisdn[8:10]}-{msisdn[10:]}"
