"""``izquvar import persons``: a registry file (CSV or XLSX) checked row by row, then stored whole or not at all.

Every row is validated (``PersonCreate``) and checked against the other rows and the registry (one row per
PINFL, a phone number registered to one person); any problem is reported with its row, column, value and
reason, and then nothing is stored. A person already registered (same PINFL) is updated, so importing the
same file twice stores nothing new. Writes are bulk statements, so 100,000 rows take seconds.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import ValidationError
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from izquvar.db import utcnow
from izquvar.errors import InvalidInput, NotFound
from izquvar.formats.registry import PERSON_COLUMNS as COLUMNS
from izquvar.formats.registry import PERSON_REQUIRED as REQUIRED
from izquvar.ingest.phone import canonical_msisdn
from izquvar.persons.models import FieldProblem, Person, PersonCreate, PersonPhone, search_keys, split_phones

#: The first data row's number: row 1 is the header, as a spreadsheet numbers them.
FIRST_ROW = 2
_CHUNK = 1_000
#: The person's own columns, stored as they are (the PINFL is the key, phones a table of their own).
_FIELDS = tuple(c for c in COLUMNS if c not in ("national_id", "phones"))

#: ``progress(what, done, total)``: called as rows are read, checked and written.
ProgressHook = Callable[[str, int, int], None]


@dataclass(frozen=True)
class RowError:
    """One problem of one row: where it is (spreadsheet row and column), the value and what is wrong."""

    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: rows read, persons created, updated and unchanged, or the problems that stopped it."""

    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """Whether the file was imported (it is, whole, exactly when no row has a problem)."""
        return not self.errors


@contextmanager
def read_rows(path: Path) -> Iterator[tuple[list[str], Iterator[Sequence[Any]]]]:
    """The header and the rows (lists of cells) of a CSV file or of an XLSX file's first sheet; the file is
    closed when the block ends."""
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with _csv_rows(path) as opened:
            yield opened
    elif suffix == ".xlsx":
        with _xlsx_rows(path) as opened:
            yield opened
    else:
        raise InvalidInput(f"{path}: expected a .csv or .xlsx file (got {suffix or 'no extension'!r})")


@contextmanager
def _csv_rows(path: Path) -> Iterator[tuple[list[str], Iterator[Sequence[Any]]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first_line = handle.readline()
        handle.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(first_line, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(handle, dialect)
        header = next(reader, None)
        if header is None:
            raise InvalidInput(f"{path}: the file is empty; the first row must name the columns")
        yield header, reader


@contextmanager
def _xlsx_rows(path: Path) -> Iterator[tuple[list[str], Iterator[Sequence[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors for damaged files
        raise InvalidInput(f"{path}: not a readable XLSX workbook ({exc})") from None
    try:
        values = book.worksheets[0].iter_rows(values_only=True)
        first = next(values, None)
        if first is None:
            raise InvalidInput(f"{path}: the first sheet is empty; its first row must name the columns")
        yield ["" if cell is None else str(cell) for cell in first], values
    finally:
        book.close()


def _check_header(path: Path, header: Sequence[str]) -> list[str]:
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h and h not in COLUMNS]
    if unknown:
        raise InvalidInput(
            f"{path}: unknown column(s) {', '.join(unknown)}; a persons file has {', '.join(COLUMNS)} "
            "(docs/registry.md)"
        )
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise InvalidInput(f"{path}: missing required column(s) {', '.join(missing)}")
    repeated = sorted({h for h in names if h and names.count(h) > 1})
    if repeated:
        raise InvalidInput(f"{path}: column(s) {', '.join(repeated)} appear more than once")
    return names


def _cell(value: Any) -> Any:
    """A spreadsheet cell as the schema reads it: numbers as their digits, date cells as dates, text stripped."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    text = str(value).strip()
    return text or None


def _shown(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _row_errors(row: int, raw: dict[str, Any], exc: ValidationError) -> list[RowError]:
    out = []
    for error in exc.errors():
        problem = (error.get("ctx") or {}).get("error")
        if isinstance(problem, FieldProblem):
            column = problem.field
        elif error["loc"]:
            column = str(error["loc"][0])
        else:
            column = ""
        reason = error["msg"].removeprefix("Value error, ")
        out.append(RowError(row, column, _shown(raw.get(column)), reason))
    return out


def validate_file(
    path: Path, progress: ProgressHook | None = None
) -> tuple[list[tuple[int, PersonCreate]], ImportReport]:
    """Every row of ``path`` checked on its own and against the other rows: the valid persons with their row
    numbers, and a report holding the problems found."""
    path = Path(path)
    with read_rows(path) as (header, rows):
        return _validate_rows(path, header, rows, progress)


def _validate_rows(
    path: Path, header: Sequence[str], rows: Iterator[Sequence[Any]], progress: ProgressHook | None
) -> tuple[list[tuple[int, PersonCreate]], ImportReport]:
    names = _check_header(path, header)
    report = ImportReport(file=str(path))
    valid: list[tuple[int, PersonCreate]] = []
    first_row_of: dict[str, int] = {}
    phone_row: dict[str, int] = {}
    for chunk in _chunks(_raw_rows(names, rows, report)):
        canonical = _canonical_phones(chunk)
        for row, raw in chunk:
            try:
                person = PersonCreate.model_validate(
                    {k: v for k, v in raw.items() if v is not None}, context={"canonical_phones": canonical}
                )
            except ValidationError as exc:
                report.errors.extend(_row_errors(row, raw, exc))
                continue
            earlier = first_row_of.setdefault(person.national_id, row)
            if earlier != row:
                report.errors.append(
                    RowError(row, "national_id", person.national_id, f"the same PINFL is in row {earlier}")
                )
                continue
            clash = False
            for msisdn in person.phones:
                owner_row = phone_row.setdefault(msisdn, row)
                if owner_row != row:
                    message = f"the same phone is given to row {owner_row}"
                    report.errors.append(RowError(row, "phones", msisdn, message))
                    clash = True
            if not clash:
                valid.append((row, person))
        if progress is not None:
            progress("checking rows", report.rows, 0)
    if progress is not None:
        progress("checking rows", report.rows, report.rows)
    return valid, report


def _raw_rows(
    names: Sequence[str], rows: Iterator[Sequence[Any]], report: ImportReport
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each non-blank row as column → cell, with its spreadsheet row number; rows with stray cells are
    reported here (their columns cannot be trusted)."""
    for row, cells in enumerate(rows, start=FIRST_ROW):
        values = [_cell(value) for value in cells]
        if all(v is None for v in values):
            continue
        report.rows += 1
        if any(v is not None for v in values[len(names) :]):
            message = f"{len(values)} cells but {len(names)} columns: a separator inside a value?"
            report.errors.append(RowError(row, "", "", message))
            continue
        yield row, {name: value for name, value in zip(names, values, strict=False) if name}


def _canonical_phones(chunk: Sequence[tuple[int, dict[str, Any]]]) -> dict[str, str | None]:
    """The canonical form of every number written in these rows, computed in one vectorised pass."""
    written = sorted({n for _, raw in chunk if isinstance(raw.get("phones"), str) for n in split_phones(raw["phones"])})
    if not written:
        return {}
    canonical, _bad = canonical_msisdn(pa.array(written, pa.string()))
    return dict(zip(written, canonical.to_pylist(), strict=True))


def import_persons(path: Path, *, db_session: Session, progress: ProgressHook | None = None) -> ImportReport:
    """Import a registry file into the session's database (whole, or nothing when any row has a problem).

    The caller commits (``izquvar.db.session_scope``); nothing is written to the session when the report
    holds errors. Rows are written by bulk statements, so ``Person`` objects the session already holds are
    not refreshed: import in a session of its own (as the command does)."""
    valid, report = validate_file(path, progress)
    existing = _existing(sorted(p.national_id for _, p in valid), db_session=db_session)
    report.errors.extend(_phone_conflicts(valid, existing, db_session=db_session))
    if report.errors:
        report.errors.sort(key=lambda e: (e.row, e.column))
        return report
    now = utcnow()
    new = [p for _, p in valid if p.national_id not in existing]
    changed = [(existing[p.national_id], p) for _, p in valid if p.national_id in existing]
    changed = [(old, p) for old, p in changed if old.differs_from(p)]
    report.created, report.updated = len(new), len(changed)
    report.unchanged = len(valid) - len(new) - len(changed)
    total = len(new) + len(changed)
    moved = [old.id for old, p in changed if old.phones != p.phones]
    for chunk in _chunks(moved):
        db_session.execute(delete(PersonPhone).where(PersonPhone.person_id.in_(chunk)))
    phones: list[dict[str, Any]] = []
    done = 0
    for chunk in _chunks(new):
        # a plain executemany, then the ids read back by PINFL: RETURNING would make SQLite insert row by row
        # (to keep the order) and psycopg parse one statement of 17,000 placeholders per chunk
        db_session.execute(
            insert(Person),
            [_person_values(p) | {"national_id": p.national_id, "created_at": now, "updated_at": now} for p in chunk],
        )
        stored = select(Person.national_id, Person.id).where(Person.national_id.in_([p.national_id for p in chunk]))
        ids: dict[str, int] = dict(db_session.execute(stored).all())
        phones += [{"person_id": ids[p.national_id], "msisdn": m} for p in chunk for m in p.phones]
        done += len(chunk)
        if progress is not None:
            progress("storing persons", done, total)
    for chunk in _chunks(changed):
        db_session.execute(update(Person), [_person_values(p) | {"id": old.id, "updated_at": now} for old, p in chunk])
        phones += [{"person_id": old.id, "msisdn": m} for old, p in chunk if old.phones != p.phones for m in p.phones]
        done += len(chunk)
        if progress is not None:
            progress("storing persons", done, total)
    for chunk in _chunks(phones):
        db_session.execute(insert(PersonPhone), chunk)
    db_session.flush()
    return report


@dataclass(frozen=True)
class _Stored:
    """A registered person as far as an import compares them."""

    id: int
    values: tuple[Any, ...]
    phones: list[str]

    def differs_from(self, person: PersonCreate) -> bool:
        return self.values != tuple(getattr(person, f) for f in _FIELDS) or self.phones != person.phones


def _existing(national_ids: Sequence[str], *, db_session: Session) -> dict[str, _Stored]:
    """The registered persons among ``national_ids``, by PINFL."""
    found: dict[str, _Stored] = {}
    columns = [getattr(Person, f) for f in _FIELDS]
    for chunk in _chunks(national_ids):
        rows = db_session.execute(select(Person.id, Person.national_id, *columns).where(Person.national_id.in_(chunk)))
        by_id = {row[0]: (row[1], tuple(row[2:])) for row in rows}
        phones: dict[int, list[str]] = {i: [] for i in by_id}
        if by_id:
            for person_id, msisdn in db_session.execute(
                select(PersonPhone.person_id, PersonPhone.msisdn)
                .where(PersonPhone.person_id.in_(list(by_id)))
                .order_by(PersonPhone.id)
            ):
                phones[person_id].append(msisdn)
        for person_id, (national_id, values) in by_id.items():
            found[national_id] = _Stored(person_id, values, phones[person_id])
    return found


def _phone_conflicts(
    valid: Sequence[tuple[int, PersonCreate]], existing: dict[str, _Stored], *, db_session: Session
) -> list[RowError]:
    """Rows giving a phone that stays registered to another person: one not in the file (a person in the file
    gets the file's phones, so a number may move between two persons of the same file)."""
    in_file = {p.national_id for _, p in valid}
    wanted = {m: (row, p.national_id) for row, p in valid for m in p.phones}
    errors = []
    for chunk in _chunks(sorted(wanted)):
        owners = db_session.execute(
            select(PersonPhone.msisdn, Person.national_id).join(Person).where(PersonPhone.msisdn.in_(chunk))
        )
        for msisdn, owner in owners:
            row, national_id = wanted[msisdn]
            if owner != national_id and owner not in in_file:
                errors.append(RowError(row, "phones", msisdn, f"registered to another person (national_id {owner})"))
    return errors


def _person_values(person: PersonCreate) -> dict[str, Any]:
    family_key, given_key, full_key = search_keys(person.family_name, person.given_name, person.patronymic)
    values = {f: getattr(person, f) for f in _FIELDS}
    return values | {"family_key": family_key, "given_key": given_key, "full_key": full_key}


def _chunks(items: Sequence[Any] | Iterable[Any], size: int = _CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_error_report(errors: Iterable[RowError], path: Path) -> None:
    """The problems as a CSV (row, column, value, reason) the user can open beside the file and fix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "value", "reason"])
        for error in errors:
            writer.writerow([error.row, error.column, error.value, error.reason])
