"""Script-aware search on real names: the 2,865 official SOATO place names in Uzbek Cyrillic and Latin.

Used as family names, each Cyrillic form must find the person registered under its Latin form and each Latin
form the person registered under its Cyrillic form, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from personkit import pinfl, row, write_rows
from sqlalchemy.orm import Session

from izquvar.persons import service
from izquvar.persons.importer import import_persons

pytestmark = pytest.mark.shared


def _soato_pairs(shared_dir: Path) -> list[tuple[str, str]]:
    pairs = []
    for kind in ("regions", "districts", "villages"):
        path = shared_dir / "data" / "uzbekistan" / f"soato-{kind}.csv"
        with path.open(encoding="utf-8-sig", newline="") as f:
            pairs += [(r["name_oz"].strip(), r["name_uz"].strip()) for r in csv.DictReader(f)]
    return pairs


def test_every_soato_name_finds_its_other_script(shared_dir: Path, tmp_path: Path, db_session: Session) -> None:
    pairs = _soato_pairs(shared_dir)
    assert len(pairs) == 2865
    rows = []
    for i, (cyrillic, latin) in enumerate(pairs):
        for offset, name in ((0, latin), (5000, cyrillic)):
            serial = i + offset
            rows.append(
                row(
                    national_id=pinfl(serial=serial % 1000, district=serial // 1000),
                    family_name=name,
                    given_name="Test",
                    phones="",
                    mahalla_id="",
                    district_id="",
                    region_id="",
                )
            )
    report = import_persons(write_rows(tmp_path / "soato.csv", rows), db_session=db_session)
    assert report.stored and report.created == 2 * len(pairs), report.errors[:3]
    db_session.commit()
    missing = []
    for i, (cyrillic, latin) in enumerate(pairs):
        latin_id, cyrillic_id = rows[2 * i]["national_id"], rows[2 * i + 1]["national_id"]
        by_cyrillic = {p.national_id for p in service.search(cyrillic, db_session=db_session, limit=1000)}
        by_latin = {p.national_id for p in service.search(latin, db_session=db_session, limit=1000)}
        if latin_id not in by_cyrillic:
            missing.append(f"{cyrillic} did not find {latin}")
        if cyrillic_id not in by_latin:
            missing.append(f"{latin} did not find {cyrillic}")
    assert missing == []
