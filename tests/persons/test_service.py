"""The registry's service on SQLite and PostgreSQL: create, get, update, script-aware search, the pseudonym join."""

from __future__ import annotations

import datetime as dt

import pytest
from personkit import CHILONZOR_LIKE, MAHALLA, OTHER_DISTRICT, OTHER_MAHALLA, TASHKENT, pinfl
from pydantic import ValidationError
from sqlalchemy.orm import Session

from izquvar.errors import InvalidInput, NotFound
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons import service
from izquvar.persons.models import Person, PersonCreate, PersonRead, PersonUpdate

KEY = Pseudonymizer(b"registry-test-key")


def _create(db_session: Session, **values: object) -> Person:
    fields: dict[str, object] = {"national_id": pinfl(), "family_name": "Shodmonov", "given_name": "Alisher"}
    return service.create(PersonCreate.model_validate(fields | values), db_session=db_session)


def test_create_fills_birth_and_sex_from_the_pinfl_and_reads_back(db_session: Session) -> None:
    person = _create(
        db_session,
        phones="+998 90 123-45-67; 93 765 43 21",
        region_id=TASHKENT,
        district_id=CHILONZOR_LIKE,
        mahalla_id=MAHALLA,
        preferred_language="uz",
    )
    db_session.commit()
    read = PersonRead.model_validate(service.get(person.id, db_session=db_session))
    assert read.birth_date == dt.date(1985, 8, 15) and read.sex == "M"
    assert read.phones == ["998901234567", "998937654321"]
    assert read.preferred_language == "uz-Latn"
    assert read.created_at.tzinfo is not None and read.updated_at.utcoffset() == dt.timedelta(0)
    assert service.get_by_national_id(pinfl(), db_session=db_session) is person
    assert service.get_by_national_id(pinfl(serial=2), db_session=db_session) is None
    with pytest.raises(NotFound):
        service.get(person.id + 1, db_session=db_session)


def test_the_same_pinfl_or_phone_cannot_be_registered_twice(db_session: Session) -> None:
    _create(db_session, phones=["998901234567"])
    with pytest.raises(InvalidInput, match="already registered"):
        _create(db_session, family_name="Other")
    with pytest.raises(InvalidInput, match="phone 998901234567 is already registered"):
        _create(db_session, national_id=pinfl(serial=2), phones=["+998 90 123 45 67"])


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"birth_date": "1985-08-16"}, "birth_date", "disagrees with the PINFL"),
        ({"sex": "F"}, "sex", "disagrees with the PINFL"),
        ({"phones": ["12"]}, "phones", "is not a phone number"),
        ({"region_id": "1726", "district_id": "1703202"}, "district_id", "is not in region"),
        ({"region_id": "1726", "district_id": CHILONZOR_LIKE, "mahalla_id": OTHER_MAHALLA}, "mahalla_id", "not in"),
        ({"mahalla_id": MAHALLA}, "mahalla_id", "without its district_id"),
        ({"region_id": CHILONZOR_LIKE}, "region_id", "is not a region"),
        ({"region_id": "9999"}, "region_id", "is not a region"),
        ({"preferred_language": "de"}, "preferred_language", "unknown language"),
        ({"national_id": "31508851230018"}, "national_id", "check digit"),
        ({"given_name": " "}, "given_name", "at least 1 character"),
    ],
)
def test_a_bad_person_is_refused_naming_the_field(values: dict[str, object], field: str, reason: str) -> None:
    fields: dict[str, object] = {"national_id": pinfl(), "family_name": "Shodmonov", "given_name": "Alisher"}
    with pytest.raises(ValidationError, match=reason) as caught:
        PersonCreate.model_validate(fields | values)
    error = caught.value.errors()[0]
    problem = (error.get("ctx") or {}).get("error")
    assert (getattr(problem, "field", None) or error["loc"][0]) == field


def test_update_changes_only_what_is_given_and_keeps_keys_in_step(db_session: Session) -> None:
    person = _create(
        db_session,
        patronymic="Rustamovich",
        phones=["998901234567"],
        region_id=TASHKENT,
        district_id=CHILONZOR_LIKE,
        mahalla_id=MAHALLA,
    )
    service.update(person, PersonUpdate(family_name="Karimov", patronymic=None), db_session=db_session)
    db_session.commit()
    assert (person.family_name, person.given_name, person.patronymic) == ("Karimov", "Alisher", None)
    assert [p.id for p in service.search("Каримов", db_session=db_session)] == [person.id]
    assert service.search("Shodmonov", db_session=db_session) == []
    assert [p.msisdn for p in person.phones] == ["998901234567"]
    service.update(
        person,
        PersonUpdate(phones=["93 765 43 21"], district_id=OTHER_DISTRICT, mahalla_id=OTHER_MAHALLA),
        db_session=db_session,
    )
    db_session.commit()
    assert [p.msisdn for p in person.phones] == ["998937654321"]
    assert service.search("90 123 45 67", db_session=db_session) == []
    with pytest.raises(InvalidInput, match="is not in district"):
        service.update(person, PersonUpdate(district_id=CHILONZOR_LIKE), db_session=db_session)
    with pytest.raises(InvalidInput, match="cannot be removed"):
        service.update(person, PersonUpdate(given_name=None), db_session=db_session)


@pytest.mark.parametrize(
    "query",
    [
        "Шодмонов",
        "шод",
        "SHODMONOV",
        "Shod",
        "alisher",
        "Алишер",
        "Shodmonov Alisher",
        "Шодмонов Алишер Рус",
        "Ўткир",
        "O'tkir",
        "Otkir",
        "oʻtkir",
        "O‘tkir",
        "o`tkir",
        "ЎТКИР",
    ],
)
def test_search_finds_a_name_in_either_script_and_any_apostrophe(db_session: Session, query: str) -> None:
    wanted = _create(db_session, patronymic="Rustamovich")
    other = _create(
        db_session, national_id=pinfl(serial=2), family_name="Oʻtkirov", given_name="Oʻtkir", patronymic="Oʻtkirovich"
    )
    _create(db_session, national_id=pinfl(serial=3), family_name="Karimova", given_name="Lola", sex="M")
    found = {p.id for p in service.search(query, db_session=db_session)}
    expected = other.id if "tkir" in query.lower() or "ткир" in query.lower() else wanted.id
    assert found == {expected}


def test_search_by_pinfl_and_phone_is_exact_and_names_are_prefixes(db_session: Session) -> None:
    person = _create(db_session, phones=["998901234567"])
    assert [p.id for p in service.search(pinfl(), db_session=db_session)] == [person.id]
    assert service.search(pinfl()[:10], db_session=db_session) == []
    for written in ("998901234567", "+998 (90) 123-45-67", "901234567"):
        assert [p.id for p in service.search(written, db_session=db_session)] == [person.id]
    assert service.search("1234567", db_session=db_session) == []
    assert service.search("hodmonov", db_session=db_session) == []  # a prefix, not a substring
    assert service.search("  ", db_session=db_session) == []
    assert service.search("%", db_session=db_session) == []


def test_search_orders_and_pages(db_session: Session) -> None:
    names = ["Karimova", "Karimov", "Karim", "Karimjonov"]
    for serial, family in enumerate(names, start=1):
        _create(
            db_session, national_id=pinfl(serial=serial, sex="F" if family.endswith("a") else "M"), family_name=family
        )
    found = [p.family_name for p in service.search("karim", db_session=db_session)]
    assert found == sorted(names, key=str.lower)
    page = [p.family_name for p in service.search("karim", db_session=db_session, limit=2, offset=1)]
    assert page == found[1:3]
    with pytest.raises(InvalidInput, match="limit"):
        service.search("karim", db_session=db_session, limit=0)


def test_pseudonyms_are_the_stores_and_join_back_to_the_person(db_session: Session) -> None:
    person = _create(db_session, phones=["+998 90 123-45-67", "93 765 43 21"])
    nobody = _create(db_session, national_id=pinfl(serial=2), family_name="Karimov")
    db_session.commit()
    ids = service.pseudonyms_of(person, KEY)
    assert ids.national_id == KEY.one(pinfl())
    assert ids.phones == {"998901234567": KEY.one("998901234567"), "998937654321": KEY.one("998937654321")}
    for pseudonym in ids.all():
        found = service.person_for_pseudonym(pseudonym, KEY, db_session=db_session, case_id=7, reason="contact")
        assert found is person
    assert service.pseudonyms_of(nobody, KEY).all() == [KEY.one(nobody.national_id)]
    stranger = KEY.one("998991112233")  # an unidentified subscriber: in the feeds, not in the registry
    assert service.person_for_pseudonym(stranger, KEY, db_session=db_session, case_id=7, reason="contact") is None
    other_key = Pseudonymizer(b"another key")
    assert (
        service.person_for_pseudonym(ids.national_id, other_key, db_session=db_session, case_id=7, reason="contact")
        is None
    )
    both = service.persons_for_pseudonyms(
        [*ids.all(), stranger], KEY, db_session=db_session, case_id=7, reason="contacts of case 7"
    )
    assert set(both) == set(ids.all()) and {p.id for p in both.values()} == {person.id}


@pytest.mark.parametrize(("case_id", "reason"), [(0, "x"), (True, "x"), (3, ""), (3, "  ")])
def test_re_identification_needs_a_case_and_a_reason(db_session: Session, case_id: int, reason: str) -> None:
    with pytest.raises(InvalidInput, match="re-identification needs"):
        service.person_for_pseudonym("ab" * 16, KEY, db_session=db_session, case_id=case_id, reason=reason)
