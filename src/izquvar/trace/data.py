"""Everything a trace reads, loaded from the store once and arranged for per-case lookups.

Why: a single-case trace must take milliseconds, so every table is sorted once by the key a trace looks it up
by (person, venue, household, cell), with ids turned into integer codes, and answered afterwards with slices
of numpy arrays (docs/tracing-engine.md, "Per-case data"). Building that means reading every feed of the
store, so it is done once per manifest generation: the stay index and every other table that grows with the
population are persisted under ``STORE/index/<generation>-v<PERSIST_VERSION>/`` (``stays/``, ``trace/``) as
fixed-width arrays and memory-mapped at later loads ("Persisted per-case tables"); files that are missing,
stale or damaged are rebuilt, and a store that cannot be written to is traced from memory.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from izquvar.errors import NotFound, StoreError
from izquvar.geo.placement import with_areas
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.layout import MANIFEST_FILE
from izquvar.store.manifest import load_manifest
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import CodedStrings, Columns, Grouped, Names, ranges
from izquvar.trace.index import StayIndex, index_seconds
from izquvar.trace.persisted import (
    INDEX_DIR,
    PERSIST_VERSION,
    TABLES_DIR,
    PersistedTables,
    fingerprint,
    generation_dir,
    is_string,
)
from izquvar.trace.tables import Homes, People, Rosters, Vocabulary

if TYPE_CHECKING:
    from izquvar.trace.engine import ColocationEngine

__all__ = [
    "INDEX_DIR",
    "PERSIST_VERSION",
    "STAY_CARRY",
    "TABLES_DIR",
    "Homes",
    "PersistedTables",
    "TraceData",
    "generation_dir",
    "index_seconds",
]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Columns the stay index carries next to each stay (what places and GPS evidence show).
STAY_CARRY = ("lat", "lon", "n_pings", "accuracy_m", "venue_id", "region_id", "district_id", "mahalla_id")
UNKNOWN_ACCURACY_M = 25.0


@dataclass(frozen=True)
class TraceData:
    """The store's tables as a trace needs them; build with :meth:`load`.

    Per-case lookups are slices of numpy arrays (see :mod:`izquvar.trace.tables`): people, venues, households
    and roster groups are integer codes into a :class:`Vocabulary`, and each person- or venue-keyed feed is a
    :class:`Grouped` table whose rows of one key are one CSR slice."""

    root: Path
    generation: int
    stays: StayIndex
    venues: pd.DataFrame  # indexed by venue_id
    #: Every person id of the registry, rosters, check-ins, card payments and Bluetooth, as codes.
    persons: Vocabulary
    #: Venue ids: the venues table's rows first (code = row in :attr:`venues`), then ids only feeds name.
    venue_ids: Vocabulary
    people: People
    rosters: Rosters
    checkins: Grouped  # by person, then check-in time
    checkins_at: Grouped  # by venue, then check-in time
    card: Grouped  # by card holder, then time
    card_at: Grouped  # payments with a venue, by venue, then time
    ble: Grouped  # by person, then start (each encounter twice, once per side)
    cell_events: CellEvents
    towers: pd.DataFrame  # indexed by cell_id
    #: Tower position and areas by cell code of :attr:`cell_events` (NaN / ``None`` for a cell without a tower).
    tower_columns: dict[str, npt.NDArray[Any]]
    #: The time the data cover (stays, operator records, Bluetooth): assumed presence is never put outside it.
    data_end_s: int
    data_start_s: int
    #: The stay index's carried numeric columns as numpy arrays (cell order), for per-person slices without
    #: Arrow, and ``venue``: the code of ``venue_id`` in :attr:`venue_ids` (-1: no venue).
    stay_columns: dict[str, npt.NDArray[Any]]
    #: Its carried string columns (``venue_id`` and the area ids), as codes: decoded for the rows a case reads.
    stay_strings: dict[str, CodedStrings]
    #: Every column a person's stays carry (:meth:`stays_of`), in order.
    stay_column_names: tuple[str, ...]
    #: The stay index's person names by its person id (what a contact found by GPS is called).
    stay_persons: Names
    #: The stay index's persons as codes of :attr:`persons` (-1: known only to GPS).
    stay_person_code: npt.NDArray[np.integer[Any]]
    homes: Homes
    #: Who each operator subscriber (code of :attr:`cell_events`) is: the registered person (the last
    #: registration of a phone wins), else the pseudonym.
    subscriber_contact: Names
    #: The rank of each subscriber's contact among all contact names (equal names, equal ranks): orders and
    #: groups contacts by name without comparing strings per case.
    subscriber_contact_rank: npt.NDArray[np.int64]
    #: Row of each venue id in :attr:`venues` (a dict lookup per id instead of a pandas reindex per call).
    venue_slot: dict[str, int]
    #: The venue rules' per-venue figures (``sources.venues``) and the venue's name, ``indoor``, point and areas,
    #: by venue code (what fusion's venue and area references read);
    #: code -1 (the last entry) and codes of ids the venues table lacks give an unknown venue's.
    venue_facts: dict[str, npt.NDArray[Any]]
    #: Venue references (``fuse.venue_ref``) made so far: immutable models, shared by every trace of this load.
    venue_refs: dict[str, Any] = field(default_factory=dict)
    #: Who was near whom among :attr:`stays` (``trace.engine``); ``None``: the grid engine over :attr:`stays`.
    colocation: ColocationEngine | None = None

    @classmethod
    def load(cls, store: EmbeddedStore) -> TraceData:
        """Read the store's tables, from the files persisted for this manifest generation when they are there
        and sound (memory-mapped), else built from the store and persisted for the next load."""
        generation = load_manifest(store.root / MANIFEST_FILE).generation
        stays = _stay_index(store, generation)
        venue_rows, tower_rows = store.table("venues").to_pandas(), store.table("towers").to_pandas()
        directory = generation_dir(store, generation) / TABLES_DIR
        expect = fingerprint(generation, venue_rows, tower_rows, stays)
        try:
            tables = PersistedTables.load(directory, expect)
        except (NotFound, StoreError):
            tables = PersistedTables.build(store, venue_rows, tower_rows, stays)
            tables.save_if_possible(directory, expect)
        venues = with_areas(venue_rows, tables.venue_areas).set_index("venue_id")
        towers = with_areas(tower_rows, tables.tower_areas).set_index("cell_id")
        return cls.assemble(store, generation, stays, venues, towers, tables)

    @classmethod
    def assemble(
        cls,
        store: EmbeddedStore,
        generation: int,
        stays: StayIndex,
        venues: pd.DataFrame,
        towers: pd.DataFrame,
        tables: PersistedTables,
    ) -> TraceData:
        """The trace's view of the persisted tables plus what is derived from the small place tables (venues,
        towers) at every load: their size does not grow with the population."""
        return cls(
            root=store.root,
            generation=generation,
            stays=stays,
            venues=venues,
            persons=tables.persons,
            venue_ids=tables.venue_ids,
            people=tables.people,
            rosters=tables.rosters,
            checkins=tables.checkins,
            checkins_at=tables.checkins_at,
            card=tables.card,
            card_at=tables.card_at,
            ble=tables.ble,
            cell_events=tables.cell_events,
            towers=towers,
            tower_columns=_tower_columns(towers, tables.cell_events.cell_ids),
            data_end_s=tables.data_end_s,
            data_start_s=tables.data_start_s,
            stay_columns=_stay_columns(stays, tables.stay_venue),
            stay_strings=tables.stay_strings,
            stay_column_names=_stay_column_names(stays, tables.stay_venue),
            stay_persons=Names(stays.names),
            stay_person_code=tables.stay_person_code,
            homes=tables.homes,
            subscriber_contact=tables.subscriber_contact,
            subscriber_contact_rank=tables.subscriber_contact_rank,
            venue_slot={str(v): k for k, v in enumerate(venues.index)},
            venue_facts=_venue_facts(venues, len(tables.venue_ids)),
        )

    # -- per-person lookups ----------------------------------------------------------------------------

    def person_code(self, person: str) -> int:
        """The person's code (-1 when no person-keyed table names them)."""
        return self.persons.code(person)

    def knows(self, person: str) -> bool:
        """Whether ``person`` (a pseudonym) appears in any person-keyed table."""
        return person in self.persons or self.stays.person_id(person) is not None or self.cell_events.serves(person)

    def phone_of(self, person: str) -> str | None:
        return self.people.phone(self.persons.code(person))

    def home_of(self, person: str) -> tuple[float, float] | None:
        code = self.persons.code(person)
        if code < 0:
            return None
        lat, lon = float(self.people.home_lat[code]), float(self.people.home_lon[code])
        if np.isnan(lat) or np.isnan(lon):
            return None
        return lat, lon

    def household_of(self, person: str) -> int:
        """The code of the person's registered household (-1 when not registered)."""
        code = self.persons.code(person)
        return int(self.people.household[code]) if code >= 0 else -1

    def stays_of(self, person: str, start_s: int, end_s: int) -> Columns:
        """``person``'s stays overlapping ``[start_s, end_s)`` (Unix seconds), by start: ``start_s``,
        ``end_s`` and the stay index's carried columns."""
        columns = self.stay_arrays(person, start_s, end_s)
        if columns is None:
            empty = {name: self._stay_column(name)[:0] for name in self.stay_column_names}
            return Columns({"start_s": np.empty(0, np.int64), "end_s": np.empty(0, np.int64), **empty}, 0)
        return Columns(columns)

    def stay_arrays(self, person: str, start_s: int, end_s: int) -> dict[str, npt.NDArray[Any]] | None:
        """:meth:`stays_of` as plain arrays (``None`` when the person has no GPS stays at all): what the
        per-member loops of households and rosters use."""
        pid = self.stays.person_id(person)
        if pid is None:
            return None
        own = np.asarray(self.stays.person_stays[self.stays.person_offsets[pid] : self.stays.person_offsets[pid + 1]])
        s = index_seconds(self.stays.start_s[own])
        e = index_seconds(self.stays.end_s[own])
        keep = (s < end_s) & (e > start_s)
        own = own[keep]
        order = np.argsort(s[keep], kind="stable")
        own = own[order]
        columns: dict[str, Any] = {"start_s": s[keep][order], "end_s": e[keep][order]}
        for name in self.stay_column_names:
            columns[name] = self._stay_column(name)[own]
        return columns

    def _stay_column(self, name: str) -> npt.NDArray[Any] | CodedStrings:
        return self.stay_columns[name] if name in self.stay_columns else self.stay_strings[name]

    def stay_rows(self, persons: list[str]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """Positions of several people's stays in the stay index (each person's by start) and, for each, the
        index into ``persons`` it belongs to: one gather for a household's or a class's members."""
        index = self.stays
        ids = [index.person_id(p) for p in persons]
        known = np.asarray([k for k, pid in enumerate(ids) if pid is not None], dtype=np.int64)
        pids = np.asarray([pid for pid in ids if pid is not None], dtype=np.int64)
        at, owner = ranges(index.person_offsets[pids].astype(np.int64), index.person_offsets[pids + 1].astype(np.int64))
        return np.asarray(index.person_stays[at], dtype=np.int64), known[owner]

    def person_names(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        """Pseudonyms of person codes."""
        return self.persons.names[codes]

    def venue_names(self, codes: npt.NDArray[np.int64]) -> npt.NDArray[np.object_]:
        """Venue ids of venue codes (``None`` for -1, no venue)."""
        if not len(self.venue_ids):
            return np.full(len(codes), None, dtype=object)
        names: npt.NDArray[np.object_] = self.venue_ids.names[np.maximum(codes, 0)].copy()
        names[codes < 0] = None
        return names


def _venue_facts(venues: pd.DataFrame, n_codes: int) -> dict[str, npt.NDArray[Any]]:
    """Each venue code's figures under the venue rules and its point and areas, computed once; codes past the
    venues table's rows and the appended last entry (code -1) are an unknown venue's."""
    from izquvar.trace.sources import venues as rules

    known = len(venues)
    ids = np.asarray([*venues.index.tolist(), None], dtype=object)
    rows = np.r_[np.arange(known), np.full(n_codes - known + 1, known)]
    facts: dict[str, npt.NDArray[Any]] = {
        "dwell_s": rules.dwell_seconds(venues, ids),
        "zone_area_m2": rules.zone_area_m2(venues, ids),
        "zones": rules.zones_of(venues, ids),
        "category": rules.categories(venues, ids),
        "lat": np.r_[venues["lat"].to_numpy(np.float64), np.nan],
        "lon": np.r_[venues["lon"].to_numpy(np.float64), np.nan],
    }
    for name in ("name", "region_id", "district_id", "mahalla_id"):
        values = venues[name].to_numpy(object) if name in venues else np.full(known, None, dtype=object)
        facts[name] = np.asarray([*(v if isinstance(v, str) else None for v in values.tolist()), None], dtype=object)
    indoor = venues["indoor"].to_numpy(bool) if "indoor" in venues else np.zeros(known, dtype=bool)
    facts["indoor"] = np.r_[indoor, False]
    return {name: values[rows] for name, values in facts.items()}


def _tower_columns(towers: pd.DataFrame, cell_ids: npt.NDArray[np.str_]) -> dict[str, npt.NDArray[Any]]:
    """Each operator cell's tower position and areas (NaN / ``None`` for a cell the towers table lacks)."""
    rows = towers.reindex(np.asarray(cell_ids, dtype=object))
    columns: dict[str, npt.NDArray[Any]] = {
        "lat": rows["lat"].to_numpy(np.float64),
        "lon": rows["lon"].to_numpy(np.float64),
    }
    for name in ("region_id", "district_id", "mahalla_id"):
        values = rows[name].to_numpy(object) if name in rows else np.full(len(rows), None, dtype=object)
        columns[name] = np.asarray([v if isinstance(v, str) else None for v in values.tolist()], dtype=object)
    return columns


def _stay_column_names(index: StayIndex, venue: npt.NDArray[Any] | None) -> tuple[str, ...]:
    """The columns a person's stays carry, in order: the index's carried columns, then ``venue``."""
    carried = tuple(index.carried.column_names) if index.carried is not None else ()
    return (*carried, "venue") if venue is not None else carried


def _stay_columns(index: StayIndex, venue: npt.NDArray[Any] | None) -> dict[str, npt.NDArray[Any]]:
    """The carried numeric columns (views of the index's mapped Arrow file), then ``venue``."""
    columns: dict[str, npt.NDArray[Any]] = {}
    if index.carried is not None:
        for name in index.carried.column_names:
            column = index.carried.column(name)
            if not is_string(column.type):
                columns[name] = column.to_numpy()
    if venue is not None:
        columns["venue"] = venue
    return columns


def _known_accuracy(stays: pa.Table) -> pa.Table:
    """Stays with an unknown accuracy taken as an indoor phone's (25 m): the cautious end of GPS precision."""
    accuracy = stays.column("accuracy_m")
    if not accuracy.null_count:
        return stays
    known = accuracy.to_numpy(zero_copy_only=False).astype(np.float64)
    filled = pa.array(np.where(np.isfinite(known), known, UNKNOWN_ACCURACY_M))
    return stays.set_column(stays.schema.get_field_index("accuracy_m"), "accuracy_m", filled)


def _stay_index(store: EmbeddedStore, generation: int) -> StayIndex:
    """The persisted stay index of this manifest generation; older generations' indexes are removed."""
    base = store.root / INDEX_DIR
    directory = generation_dir(store, generation) / "stays"
    try:
        return StayIndex.load(directory)
    except (NotFound, StoreError):
        pass
    # a day partition at a time: the whole table of a national fortnight would not fit beside the index
    chunks = (_known_accuracy(day) for _, day in store.table_by_day("stays"))
    index = StayIndex.build_chunks(chunks, carry=STAY_CARRY)
    staging = base / f".building-{generation}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        index.save(staging / "stays")
        if directory.parent.exists():
            shutil.rmtree(directory.parent)
        staging.replace(directory.parent)
        for old in base.iterdir():
            if old.name != directory.parent.name and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # a read-only store still traces, from memory
    return index
