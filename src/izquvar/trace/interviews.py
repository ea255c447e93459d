"""The case interviews as the tracer reads them: each named person resolved to whom the store knows, by case.

Who a named person is: the national ID's pseudonym when the tracer recorded one; else the person registered
with the phone (``people.phone``), else the phone's own pseudonym (a number one can call, as the operator
source names a subscriber); a person given only by name stays unidentified and is kept for the count only.
The table is small (a few dozen rows per interviewed case), so it is read again at every load.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.errors import IzquvarError
from izquvar.formats import KINDS

if TYPE_CHECKING:
    from izquvar.store.protocol import FeedReader
    from izquvar.trace.feed_tables import People, Vocabulary

_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class Statement:
    """What a case said about the people they named, as columns (one row per named person)."""

    #: Who the named person is (``None``: named only by a name, unidentified).
    contact: npt.NDArray[np.object_]
    relation: npt.NDArray[np.object_]
    setting: npt.NDArray[np.object_]
    #: Local days met, first and last, and the interview's day: days since 1970-01-01.
    first_met: npt.NDArray[np.int64]
    last_met: npt.NDArray[np.int64]
    interview_day: npt.NDArray[np.int64]
    #: How the person was identified: ``person``, ``phone`` (registered), ``phone_only``, ``name``.
    identified_by: npt.NDArray[np.object_]

    def __len__(self) -> int:
        return len(self.contact)


@dataclass(frozen=True)
class Interviews:
    """Named people by case pseudonym."""

    rows: dict[str, npt.NDArray[np.int64]]
    table: Statement

    @classmethod
    def none(cls) -> Interviews:
        empty_o, empty_i = np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
        return cls({}, Statement(empty_o, empty_o, empty_o, empty_i, empty_i, empty_i, empty_o))

    @classmethod
    def build(cls, feeds: FeedReader, persons: Vocabulary, people: People) -> Interviews:
        """The store's interviews (none when the store has no such table)."""
        try:
            table = feeds.table("interviews")
        except IzquvarError:
            return cls.none()
        if table.num_rows == 0:
            return cls.none()
        return cls.of(table, persons, people)

    @classmethod
    def of(cls, table: pa.Table, persons: Vocabulary, people: People) -> Interviews:
        """From an ``interviews`` table of pseudonyms."""
        col = {name: _objects(table.column(name)) for name in KINDS["interviews"].column_by_name}
        person, phone = col["contact_person"], col["contact_phone"]
        contact = np.full(table.num_rows, None, dtype=object)
        how = np.full(table.num_rows, "name", dtype=object)
        by_phone = _registered(phone, persons, people)
        has_phone = np.asarray([p is not None for p in phone], dtype=bool)
        contact[has_phone] = phone[has_phone]
        how[has_phone] = "phone_only"
        registered = np.asarray([p is not None for p in by_phone], dtype=bool)
        contact[registered] = by_phone[registered]
        how[registered] = "phone"
        has_person = np.asarray([p is not None for p in person], dtype=bool)
        contact[has_person] = person[has_person]
        how[has_person] = "person"
        statement = Statement(
            contact=contact,
            relation=col["relation"],
            setting=np.asarray(["" if s is None else s for s in col["setting"]], dtype=object),
            first_met=_days(table.column("first_met")),
            last_met=_days(table.column("last_met")),
            interview_day=_days(table.column("interview_date")),
            identified_by=how,
        )
        cases = col["case_person"]
        order = np.argsort(cases.astype(str), kind="stable")
        sorted_cases = cases[order]
        heads = np.flatnonzero(np.r_[True, sorted_cases[1:] != sorted_cases[:-1]])
        bounds = np.r_[heads, len(order)]
        rows = {str(sorted_cases[h]): order[h : bounds[k + 1]] for k, h in enumerate(heads.tolist())}
        return cls(rows, statement)

    def of_case(self, person: str) -> npt.NDArray[np.int64]:
        """Rows of the case's interviews (empty when never interviewed)."""
        return self.rows.get(person, np.empty(0, dtype=np.int64))


def _objects(column: pa.ChunkedArray[Any]) -> npt.NDArray[np.object_]:
    return np.asarray(column.combine_chunks().to_pylist(), dtype=object)


def _days(column: pa.ChunkedArray[Any]) -> npt.NDArray[np.int64]:
    values = column.combine_chunks().cast(pa.int32()).to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.int64)


def _registered(phone: npt.NDArray[np.object_], persons: Vocabulary, people: People) -> npt.NDArray[np.object_]:
    """The person registered with each phone pseudonym (the last registration of a phone wins), or ``None``."""
    out = np.full(len(phone), None, dtype=object)
    if not len(people.phones) or not len(phone):
        return out
    owner = np.full(len(people.phones), -1, dtype=np.int64)
    with_phone = np.flatnonzero(np.asarray(people.phone_code) >= 0)
    owner[np.asarray(people.phone_code)[with_phone]] = with_phone
    for k, value in enumerate(phone.tolist()):
        if value is None:
            continue
        code = people.phones.code(value)
        if code >= 0 and owner[code] >= 0:
            out[k] = persons.names[int(owner[code])]
    return out
