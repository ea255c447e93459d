"""The simulator's registry (``registry/persons.csv``): what a real one holds, imported end to end, and joined
to the location store through the pseudonyms of the same city's feeds."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy.orm import Session

from izquvar import open_store
from izquvar.config import Settings
from izquvar.geo.transliterate import cyrillic_to_latin, latin_to_cyrillic
from izquvar.i18n import LANGS
from izquvar.ingest.pseudonym import Pseudonymizer
from izquvar.persons import service
from izquvar.persons.importer import COLUMNS, import_persons
from izquvar.simulate import SimConfig, simulate
from izquvar.simulate.sources import persons as registry_writer

CITY = SimConfig(people=600, days=2, seed=11, index_cases=5)
SETTINGS = Settings(pseudonym_key="registry-test-key-of-the-simulated-city")


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("city") / "out"
    simulate(CITY, out)
    return out


def _registry(city: Path) -> list[dict[str, str]]:
    with (city / "registry" / "persons.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == tuple(COLUMNS)
        return list(reader)


def test_the_registry_holds_everyone_of_the_people_feed_as_a_registry_would(city: Path) -> None:
    rows = _registry(city)
    people = pq.read_table(city / "people.parquet").to_pylist()
    assert [r["national_id"] for r in rows] == [p["person"] for p in people]
    for r, p in zip(rows, people, strict=True):
        assert dt.date.fromisoformat(r["birth_date"]).year == p["birth_year"]
        assert r["sex"] == p["sex"]
        digits = "".join(ch for ch in r["phones"] if ch.isdigit())
        assert digits == (p["phone"] or "")
        for name in (r["family_name"], r["given_name"], r["patronymic"]):
            assert name and cyrillic_to_latin(latin_to_cyrillic(name)) == name  # the Cyrillic form is derivable
        if r["sex"] == "F":
            assert r["family_name"].endswith("a") and r["patronymic"].endswith(("ovna", "yevna", " qizi"))
        else:
            assert r["patronymic"].endswith(("ovich", "yevich", " oʻgʻli"))
        assert r["region_id"] == "1726" and r["district_id"].startswith("1726")
        assert r["mahalla_id"] == "" or r["mahalla_id"].startswith(r["district_id"] + "-")
        assert r["preferred_language"] in LANGS
    households: dict[str, set[tuple[str, str, str]]] = {}
    for r, p in zip(rows, people, strict=True):
        households.setdefault(p["household"], set()).add((r["street"], r["house"], r["mahalla_id"]))
    assert all(len(addresses) == 1 for addresses in households.values())  # a household lives at one address
    assert len({r["family_name"].removesuffix("a") for r in rows}) > 20


def test_writing_the_registry_changes_no_other_output(
    city: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry_writer, "write_registry", lambda *args, **kwargs: 0)
    simulate(CITY, tmp_path / "without")
    written = {p.relative_to(city) for p in city.rglob("*") if p.is_file()}
    without = {p.relative_to(tmp_path / "without") for p in (tmp_path / "without").rglob("*") if p.is_file()}
    assert written - without == {Path("registry/persons.csv")}
    assert all((city / name).read_bytes() == (tmp_path / "without" / name).read_bytes() for name in without)


def test_the_simulated_registry_imports_and_joins_the_stores_pseudonyms(
    city: Path, tmp_path: Path, db_session: Session
) -> None:
    report = import_persons(city / "registry" / "persons.csv", db_session=db_session)
    assert report.stored, report.errors[:5]
    assert report.created == CITY.people
    db_session.commit()
    store = open_store(tmp_path / "store", settings=SETTINGS)
    store.ingest([city], now=dt.datetime(2026, 3, 10, tzinfo=dt.UTC))
    key = Pseudonymizer(SETTINGS.pseudonym_key_bytes())
    subscribers = sorted(set(store.table("cell", ["subscriber"]).column("subscriber").to_pylist()))[:25]
    app_users = sorted(set(store.table("gps", ["person"]).column("person").to_pylist()))[:25]
    assert len(subscribers) == 25 and len(app_users) == 25
    for pseudonym in subscribers:
        person = service.person_for_pseudonym(pseudonym, key, db_session=db_session, case_id=1, reason="test")
        assert person is not None, "every simulated subscriber is in the registry"
        assert pseudonym in {store.phone_pseudonym(p.msisdn) for p in person.phones}
        assert pseudonym in service.pseudonyms_of(person, key).phones.values()
    for pseudonym in app_users:
        person = service.person_for_pseudonym(pseudonym, key, db_session=db_session, case_id=1, reason="test")
        assert person is not None and store.pseudonym(person.national_id) == pseudonym
