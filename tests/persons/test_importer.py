"""``izquvar import persons``: CSV and XLSX, every bad row reported and nothing stored, re-imports update."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from personkit import CHILONZOR_LIKE, MAHALLA, OTHER_MAHALLA, pinfl, row, write_rows
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from izquvar.cli import main
from izquvar.errors import InvalidInput, NotFound
from izquvar.persons import service
from izquvar.persons.importer import RowError, import_persons
from izquvar.persons.models import Person, PersonCreate, PersonPhone


def _count(db_session: Session) -> tuple[int, int]:
    persons = db_session.scalar(select(func.count()).select_from(Person))
    phones = db_session.scalar(select(func.count()).select_from(PersonPhone))
    return int(persons or 0), int(phones or 0)


def _two(tmp_path: Path, name: str = "persons.csv", **second: str) -> Path:
    return write_rows(
        tmp_path / name,
        [
            row(),
            row(
                national_id=pinfl(dt.date(1990, 2, 3), "F", 2),
                family_name="Karimova",
                given_name="Lola",
                patronymic="Anvar qizi",
                phones="93 765 43 21; +998 97 000 11 22",
            )
            | second,
        ],
    )


def test_a_file_is_imported_and_a_second_import_changes_nothing(tmp_path: Path, db_session: Session) -> None:
    path = _two(tmp_path)
    report = import_persons(path, db_session=db_session)
    db_session.commit()
    assert (report.rows, report.created, report.updated, report.unchanged, report.errors) == (2, 2, 0, 0, [])
    assert _count(db_session) == (2, 3)
    lola = service.get_by_national_id(pinfl(dt.date(1990, 2, 3), "F", 2), db_session=db_session)
    assert lola is not None and lola.sex == "F" and lola.birth_date == dt.date(1990, 2, 3)
    assert [p.msisdn for p in lola.phones] == ["998937654321", "998970001122"]
    first_update = lola.updated_at
    again = import_persons(path, db_session=db_session)
    db_session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _count(db_session) == (2, 3)
    db_session.refresh(lola)
    assert lola.updated_at == first_update


def test_a_changed_row_updates_its_person_and_a_phone_may_move_within_the_file(
    tmp_path: Path, db_session: Session
) -> None:
    import_persons(_two(tmp_path), db_session=db_session)
    db_session.commit()
    moved = write_rows(
        tmp_path / "moved.csv",
        [
            row(phones="+998 97 000 11 22", mahalla_id=OTHER_MAHALLA, district_id="1726264"),
            row(
                national_id=pinfl(dt.date(1990, 2, 3), "F", 2),
                family_name="Shodmonova",
                given_name="Lola",
                phones="93 765 43 21",
            ),
        ],
    )
    report = import_persons(moved, db_session=db_session)
    db_session.commit()
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 2, 0, [])
    assert _count(db_session) == (2, 2)
    alisher = service.get_by_national_id(pinfl(), db_session=db_session)
    assert alisher is not None and alisher.mahalla_id == OTHER_MAHALLA
    assert [p.msisdn for p in alisher.phones] == ["998970001122"]
    assert [p.family_name for p in service.search("Шодмонова", db_session=db_session)] == ["Shodmonova"]


def test_every_bad_row_is_reported_and_nothing_is_stored(tmp_path: Path, db_session: Session) -> None:
    olimov = PersonCreate(
        national_id=pinfl(serial=99), family_name="Olimov", given_name="Olim", phones=["998991112233"]
    )
    service.create(olimov, db_session=db_session)
    db_session.commit()
    rows = [
        row(),  # row 2: fine
        row(national_id="31508851230018"),  # 3
        row(national_id=pinfl(serial=3), sex="F"),  # 4
        row(national_id=pinfl(serial=4), birth_date="1985-08-16", phones=""),  # 5
        row(national_id=pinfl(serial=5), phones="", mahalla_id=OTHER_MAHALLA),  # 6
        row(national_id=pinfl(serial=6), phones="12345", preferred_language="de", family_name=""),  # 7
        row(phones=""),  # 8: the PINFL of row 2 again
        row(national_id=pinfl(serial=8)),  # 9: row 2's phone
        row(national_id=pinfl(serial=9), phones="99 111 22 33"),  # 10: registered to Olimov
        row(national_id=pinfl(serial=10), phones="", birth_date="15.08.1985"),  # 11
    ]
    path = write_rows(tmp_path / "bad.csv", rows)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"{pinfl(serial=11)},Karimov,Aziz,,,,,,,,,,,extra\n")  # 12: a stray separator
    report = import_persons(path, db_session=db_session)
    assert not report.stored and report.rows == 11
    found = {(e.row, e.column): e for e in report.errors}
    assert set(found) == {
        (3, "national_id"),
        (4, "sex"),
        (5, "birth_date"),
        (6, "mahalla_id"),
        (7, "phones"),
        (7, "preferred_language"),
        (7, "family_name"),
        (8, "national_id"),
        (9, "phones"),
        (10, "phones"),
        (11, "birth_date"),
        (12, ""),
    }
    assert found[(3, "national_id")] == RowError(
        3, "national_id", "31508851230018", "the check digit (the 14th) does not match: a digit is mistyped"
    )
    assert found[(6, "mahalla_id")].value == OTHER_MAHALLA and CHILONZOR_LIKE in found[(6, "mahalla_id")].reason
    assert "row 2" in found[(8, "national_id")].reason and "row 2" in found[(9, "phones")].reason
    assert found[(10, "phones")].value == "998991112233" and pinfl(serial=99) in found[(10, "phones")].reason
    assert "cells" in found[(12, "")].reason
    assert [e.row for e in report.errors] == sorted(e.row for e in report.errors)
    db_session.commit()
    assert _count(db_session) == (1, 1)


def test_xlsx_cells_as_spreadsheets_type_them(tmp_path: Path, db_session: Session) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        [
            "National_ID ",
            "family_name",
            "given_name",
            "birth_date",
            "phones",
            "region_id",
            "district_id",
            "mahalla_id",
            "preferred_language",
        ]
    )
    sheet.append(
        [
            int(pinfl()),
            "Шодмонов",
            "Алишер",
            dt.datetime(1985, 8, 15),
            998901234567,
            1726,
            int(CHILONZOR_LIKE),
            MAHALLA,
            "uz-Cyrl",
        ]
    )
    sheet.append([None] * 9)  # a blank row is no row
    path = tmp_path / "persons.xlsx"
    book.save(path)
    report = import_persons(path, db_session=db_session)
    assert report.stored and report.rows == 1 and report.created == 1, report.errors
    person = service.search("Shodmonov", db_session=db_session)[0]
    assert (person.family_name, person.region_id, person.district_id) == ("Шодмонов", "1726", CHILONZOR_LIKE)
    assert [p.msisdn for p in person.phones] == ["998901234567"]


def test_file_level_problems_stop_before_any_row(tmp_path: Path, db_session: Session) -> None:
    with pytest.raises(InvalidInput, match="unknown column"):
        import_persons(
            write_rows(tmp_path / "a.csv", [row()], ["national_id", "family_name", "given_name", "nmae"]),
            db_session=db_session,
        )
    with pytest.raises(InvalidInput, match="missing required column"):
        import_persons(write_rows(tmp_path / "b.csv", [row()], ["national_id", "family_name"]), db_session=db_session)
    with pytest.raises(InvalidInput, match=r"\.csv or \.xlsx"):
        import_persons(write_rows(tmp_path / "c.txt", [row()]), db_session=db_session)
    (tmp_path / "d.csv").write_text("", encoding="utf-8")
    with pytest.raises(InvalidInput, match="empty"):
        import_persons(tmp_path / "d.csv", db_session=db_session)
    (tmp_path / "e.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(InvalidInput, match="not a readable XLSX"):
        import_persons(tmp_path / "e.xlsx", db_session=db_session)
    with pytest.raises(NotFound):
        import_persons(tmp_path / "absent.csv", db_session=db_session)


def test_semicolon_separated_csv_as_spreadsheets_save_it(tmp_path: Path, db_session: Session) -> None:
    path = tmp_path / "excel.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["national_id", "family_name", "given_name", "phones"])
        writer.writerow([pinfl(), "Shodmonov", "Alisher", "+998 90 123-45-67, 93 765 43 21"])
    report = import_persons(path, db_session=db_session)
    assert report.created == 1, report.errors
    assert len(service.search("93 765 43 21", db_session=db_session)) == 1


def test_the_command_exits_0_then_2_with_a_report_and_honours_the_data_home(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    good = _two(tmp_path)
    result = runner.invoke(main, ["import", "persons", str(good), "--database", database_url, "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged" in result.stdout
    bad = write_rows(tmp_path / "bad.csv", [row(national_id="31508851230018")])
    report = tmp_path / "out" / "errors.csv"
    result = runner.invoke(main, ["import", "persons", str(bad), "--database", database_url, "--errors", str(report)])
    assert result.exit_code == InvalidInput.exit_code
    assert "nothing was imported" in result.stderr and "check digit" in result.stdout
    with report.open(encoding="utf-8", newline="") as handle:
        assert list(csv.DictReader(handle)) == [
            {
                "row": "2",
                "column": "national_id",
                "value": "31508851230018",
                "reason": "the check digit (the 14th) does not match: a digit is mistyped",
            }
        ]
    monkeypatch.setenv("IZQUVAR_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("IZQUVAR_DATABASE_URL", raising=False)
    result = runner.invoke(main, ["import", "persons", str(good)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "izquvar.db").is_file()
