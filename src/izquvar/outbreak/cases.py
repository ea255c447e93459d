"""Confirmed cases: who to trace, from when.

Two sources, one shape (:class:`ConfirmedCase`):

* the store's lab results: every person with a positive result is a confirmed case; their *first* positive
  specimen date stands in for the onset, because lab feeds carry no symptom onset (an investigator who learns
  the real onset from the interview passes a cases file instead). No isolation date is known from lab data.
* a cases CSV file ``person,onset[,isolation]`` (dates ``YYYY-MM-DD``): what the investigation established.
  ``person`` may be a raw identifier or the store's pseudonym; the caller pseudonymises as needed.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from izquvar.errors import InvalidInput, NotFound
from izquvar.outbreak._arrow import values, where


@dataclass(frozen=True, order=True)
class ConfirmedCase:
    """One confirmed case to trace: onset (or specimen date) and, when known, the first day of isolation."""

    onset: dt.date
    person: str
    isolation: dt.date | None = None


class LabSource(Protocol):
    """What :func:`cases_from_lab` needs from a store."""

    def table(self, kind: str, columns: Sequence[str] | None = None) -> pa.Table: ...


def cases_from_lab(store: LabSource) -> list[ConfirmedCase]:
    """Every person with a positive lab result, onset = first positive specimen date, earliest first."""
    lab = store.table("lab", columns=["person", "specimen_date", "result"])
    positive = where(lab, "result", "positive")
    if positive.num_rows == 0:
        return []
    first = positive.group_by("person").aggregate([("specimen_date", "min")])
    persons = values(first, "person")
    onsets = values(first, "specimen_date_min")
    return sorted(ConfirmedCase(onset=o, person=p) for p, o in zip(persons, onsets, strict=True))


def _date(text: str, path: Path, line: int, field: str, required: bool) -> dt.date | None:
    text = text.strip()
    if not text:
        if required:
            raise InvalidInput(f"{path}: line {line}, field {field}: required date is empty.")
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{path}: line {line}, field {field}: {text!r} is not a date YYYY-MM-DD.") from None


def read_cases_file(path: Path) -> list[ConfirmedCase]:
    """Cases from a CSV file with header ``person,onset[,isolation]``, earliest onset first.

    A person listed twice keeps the earliest onset; an isolation that leaves no infectious window (on or
    before onset minus 2 days) is refused.
    """
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such cases file.")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("person", "onset") if c not in header]
        if missing:
            raise InvalidInput(f"{path}: header must have person,onset[,isolation]; missing {', '.join(missing)}.")
        unknown = sorted(set(header) - {"person", "onset", "isolation"})
        if unknown:
            raise InvalidInput(f"{path}: unknown column(s) {', '.join(unknown)}; expected person,onset[,isolation].")
        chosen: dict[str, ConfirmedCase] = {}
        for number, raw in enumerate(reader, start=2):
            row = {k.strip(): (v or "") for k, v in raw.items() if k is not None}
            person = row["person"].strip()
            if not person:
                raise InvalidInput(f"{path}: line {number}, field person: required value is empty.")
            onset = _date(row["onset"], path, number, "onset", required=True)
            isolation = _date(row.get("isolation", ""), path, number, "isolation", required=False)
            assert onset is not None
            if isolation is not None and isolation <= onset - dt.timedelta(days=2):
                raise InvalidInput(
                    f"{path}: line {number}, field isolation: {isolation} leaves no infectious window "
                    f"(onset {onset} minus 2 days)."
                )
            case = ConfirmedCase(onset=onset, person=person, isolation=isolation)
            if person not in chosen or case.onset < chosen[person].onset:
                chosen[person] = case
    return sorted(chosen.values())
