"""The store's person-keyed feeds as grouped numpy tables with integer codes, built once at load.

Why: per case, a source needs "this person's check-ins", "everyone's check-ins at these venues", "this
household's members". Each is one CSR slice of a :class:`~izquvar.trace.columnar.Grouped` table keyed by an
integer code (person, venue, household, roster group), with the rows in the order the rules have always read
them (by key, then time, ties in load order). Strings are encoded once here with Arrow (C++), not per case.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.trace.cell_events import seconds
from izquvar.trace.columnar import Grouped, Names, narrow_codes

if TYPE_CHECKING:
    import pandas as pd

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
ArrowColumn: TypeAlias = "pa.ChunkedArray[Any] | pa.Array[Any]"


@dataclass(frozen=True)
class Vocabulary:
    """Distinct string ids and their integer codes (``-1``: unknown or missing), found by binary search over
    the names in sorted order (no dictionary of millions of Python strings to build at every load)."""

    names: Names
    #: Codes in name order (``None``: the codes already are, as for a vocabulary without ``first`` ids).
    order: npt.NDArray[np.integer[Any]] | None = None

    @classmethod
    def of(cls, columns: Sequence[ArrowColumn], first: Sequence[str] = ()) -> Vocabulary:
        """The ids of ``first`` (in that order, codes ``0..``), then every other id of ``columns``, sorted."""
        seen = pa.chunked_array([c for col in columns for c in _chunks(col)], type=pa.string())
        distinct = pc.unique(seen.drop_null()) if len(seen) else pa.array([], pa.string())
        head = pa.array(list(first), pa.string())
        rest = distinct.filter(pc.invert(pc.is_in(distinct, value_set=head))) if len(head) else distinct
        rest = rest.take(pc.sort_indices(rest))
        names = Names.of(pa.chunked_array([head, rest], type=pa.string()))
        order = np.argsort(names.raw, kind="stable").astype(np.int64) if len(head) else None
        return cls(names, order)

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        arrays: dict[str, npt.NDArray[Any]] = {f"{prefix}.names": self.names.raw}
        if self.order is not None:
            arrays[f"{prefix}.order"] = self.order  # int64: ``searchsorted`` would copy another dtype per call
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> Vocabulary:
        return cls(Names(arrays[f"{prefix}.names"]), arrays.get(f"{prefix}.order"))

    def __len__(self) -> int:
        return len(self.names)

    def __contains__(self, name: object) -> bool:
        return self.code(name) >= 0

    def code(self, name: object) -> int:
        if not isinstance(name, str) or not len(self.names):
            return -1
        key = name.encode("utf-8")
        slot = int(np.searchsorted(self.names.raw, key, sorter=self.order))
        if slot == len(self.names):
            return -1
        code = slot if self.order is None else int(self.order[slot])
        return code if self.names.raw[code] == key and b"\0" not in key else -1

    def encode(self, column: ArrowColumn) -> I64:
        """Codes of a whole column (vectorised in Arrow)."""
        if not len(self.names):
            return np.full(len(column), -1, dtype=np.int64)
        found = pc.index_in(column, value_set=self.names.arrow())
        return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)

    def encode_values(self, values: npt.ArrayLike) -> I64:
        """Codes of a few ids (a binary search each): for per-case arrays of tens of ids."""
        items = np.asarray(values, dtype=object).tolist()
        return np.asarray([self.code(v) for v in items], dtype=np.int64)


@dataclass(frozen=True)
class People:
    """The registry by person code (first registration of a person wins), and households' members."""

    #: Each person's household code (-1: not registered); int32 when persisted, as is :attr:`phone_code`.
    household: npt.NDArray[np.integer[Any]]
    #: Each person's registered phone as a code of :attr:`phones` (-1: none).
    phone_code: npt.NDArray[np.integer[Any]]
    phones: Vocabulary
    home_lat: F64
    home_lon: F64
    #: Registered people by household code, in registry order: ``person``, ``home_lat``, ``home_lon``.
    members: Grouped
    households: Vocabulary

    @classmethod
    def build(cls, table: pa.Table, persons: Vocabulary) -> People:
        households = Vocabulary.of([table.column("household")])
        phones = Vocabulary.of([table.column("phone")])
        person = persons.encode(table.column("person"))
        household = households.encode(table.column("household"))
        phone = phones.encode(table.column("phone"))
        lat = _floats(table.column("home_lat"))
        lon = _floats(table.column("home_lon"))
        n = len(persons)
        _, first = np.unique(person, return_index=True)
        first = first[person[first] >= 0]
        by_person = person[first]
        out_household = np.full(n, -1, dtype=np.int64)
        out_phone = np.full(n, -1, dtype=np.int64)
        out_lat = np.full(n, np.nan)
        out_lon = np.full(n, np.nan)
        out_household[by_person] = household[first]
        out_phone[by_person] = phone[first]
        out_lat[by_person] = lat[first]
        out_lon[by_person] = lon[first]
        members = Grouped.build({"person": person, "home_lat": lat, "home_lon": lon}, household, len(households))
        return cls(out_household, out_phone, phones, out_lat, out_lon, members, households)

    def phone(self, code: int) -> str | None:
        """The registered phone of a person code (``None``: none, or not a registered person)."""
        phone = int(self.phone_code[code]) if 0 <= code < len(self.phone_code) else -1
        return self.phones.names[phone] if phone >= 0 else None

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        return {
            f"{prefix}.household": narrow_codes(self.household),
            f"{prefix}.phone_code": narrow_codes(self.phone_code),
            f"{prefix}.home_lat": self.home_lat,
            f"{prefix}.home_lon": self.home_lon,
            **self.phones.to_arrays(f"{prefix}.phones"),
            **self.members.to_arrays(f"{prefix}.members"),
            **self.households.to_arrays(f"{prefix}.households"),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> People:
        return cls(
            household=arrays[f"{prefix}.household"],
            phone_code=arrays[f"{prefix}.phone_code"],
            phones=Vocabulary.from_arrays(arrays, f"{prefix}.phones"),
            home_lat=arrays[f"{prefix}.home_lat"],
            home_lon=arrays[f"{prefix}.home_lon"],
            members=Grouped.from_arrays(arrays, f"{prefix}.members"),
            households=Vocabulary.from_arrays(arrays, f"{prefix}.households"),
        )


@dataclass(frozen=True)
class Homes:
    """Registered homes on a metric grid (the national projection), for "whose home is this?" lookups."""

    cell_m: float
    keys: I64
    x: F64
    y: F64
    #: Household code (:attr:`People.households`) of each home (int32 when persisted).
    household: npt.NDArray[np.integer[Any]]

    @classmethod
    def build(cls, people: pd.DataFrame, households: Vocabulary, cell_m: float = 100.0) -> Homes:
        from izquvar.geo.distance import to_metres
        from izquvar.trace.index import cell_key

        known = people[people["home_lat"].notna() & people["home_lon"].notna()]
        homes = known.drop_duplicates("household")
        x, y = to_metres(homes["home_lat"].to_numpy(np.float64), homes["home_lon"].to_numpy(np.float64))
        keys = cell_key(np.floor_divide(x, cell_m).astype(np.int64), np.floor_divide(y, cell_m).astype(np.int64))
        order = np.argsort(keys, kind="stable")
        household = households.encode_values(homes["household"].to_numpy(object))
        return cls(cell_m, keys[order], x[order], y[order], household[order])

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class Rosters:
    """Roster memberships by person and by group; groups and kinds as codes into their names."""

    by_person: Grouped  # group, kind, venue
    by_group: Grouped  # person
    groups: Vocabulary

    @classmethod
    def build(cls, table: pa.Table, persons: Vocabulary, venues: Vocabulary) -> Rosters:
        groups = Vocabulary.of([table.column("group_id")])
        group = groups.encode(table.column("group_id"))
        person = persons.encode(table.column("person"))
        venue = venues.encode(table.column("venue_id"))
        kind = np.asarray(table.column("group_kind").to_numpy(zero_copy_only=False), dtype=object)
        columns = {"group": group, "venue": venue, "kind": kind}
        return cls(
            by_person=Grouped.build(columns, person, len(persons)),
            by_group=Grouped.build({"person": person}, group, len(groups)),
            groups=groups,
        )

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        return {
            **self.by_person.to_arrays(f"{prefix}.by_person"),
            **self.by_group.to_arrays(f"{prefix}.by_group"),
            **self.groups.to_arrays(f"{prefix}.groups"),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> Rosters:
        return cls(
            by_person=Grouped.from_arrays(arrays, f"{prefix}.by_person"),
            by_group=Grouped.from_arrays(arrays, f"{prefix}.by_group"),
            groups=Vocabulary.from_arrays(arrays, f"{prefix}.groups"),
        )


def checkin_columns(table: pa.Table, persons: Vocabulary, venues: Vocabulary) -> dict[str, npt.NDArray[Any]]:
    """Check-ins: ``person``, ``venue`` codes, ``check_in_s``, ``check_out_s`` (NaN when missing), ``zone``."""

    check_out = table.column("check_out").cast(pa.timestamp("us", tz="UTC"))
    micros = np.asarray(check_out.to_numpy(zero_copy_only=False)).astype("datetime64[us]")
    out = np.floor_divide(micros.astype(np.int64), 1_000_000).astype(np.float64)
    out[np.isnat(micros)] = np.nan
    return {
        "person": persons.encode(table.column("person")),
        "venue": venues.encode(table.column("venue_id")),
        "check_in_s": seconds(table.column("check_in")),
        "check_out_s": out,
        "zone": _floats(table.column("zone")),
    }


def card_columns(table: pa.Table, persons: Vocabulary, venues: Vocabulary) -> dict[str, npt.NDArray[Any]]:
    """Card payments: ``person``, ``venue`` code (-1: no venue), ``time_s``."""

    return {
        "person": persons.encode(table.column("card_holder")),
        "venue": venues.encode(table.column("venue_id")),
        "time_s": seconds(table.column("time")),
    }


def ble_columns(table: pa.Table, persons: Vocabulary) -> dict[str, npt.NDArray[Any]]:
    """Each encounter once per side (``person``, ``other``), so one person's encounters are one slice."""

    start = seconds(table.column("time"))
    end = start + np.asarray(table.column("duration_s").to_numpy(zero_copy_only=False), dtype=np.int64)
    a = persons.encode(table.column("person_a"))
    b = persons.encode(table.column("person_b"))
    attenuation = _floats(table.column("attenuation_db"))
    return {
        "person": np.concatenate([a, b]),
        "other": np.concatenate([b, a]),
        "start_s": np.concatenate([start, start]),
        "end_s": np.concatenate([end, end]),
        "attenuation_db": np.concatenate([attenuation, attenuation]),
    }


def _floats(column: ArrowColumn) -> F64:
    """A numeric column as float64, NaN where missing."""
    return np.asarray(column.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)


def _chunks(column: ArrowColumn) -> list[pa.Array[Any]]:
    if isinstance(column, pa.ChunkedArray):
        return [c.cast(pa.string()) for c in column.chunks]
    return [column.cast(pa.string())]
