"""Everything a trace reads, loaded from the store once and arranged for per-case lookups.

Why: a single-case trace must take milliseconds, so every table is sorted once by the key a trace looks it up
by (person, venue, household, cell), with ids turned into integer codes, and answered afterwards with slices
of numpy arrays (docs/tracing-engine.md, "Per-case data"). Building that means reading every feed of the
store, so each part is built only when the partitions it reads change, and kept in the store's index cache
(:class:`~izquvar.store.protocol.IndexCache`): the stay index one segment per day partition plus their merge
(``stays/``), the per-person tables for one set of partition versions (``trace/``), as fixed-width arrays
memory-mapped at later loads ("Persisted per-case tables"). Files that are missing, stale or damaged are
rebuilt; a reader without a cache (an in-memory or read-only store) is traced from memory.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import NotFound, StoreError
from izquvar.geo.placement import with_areas
from izquvar.store.protocol import FeedReader, IndexCache
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import CodedStrings, Columns, Grouped, Names, narrow_codes, ranges
from izquvar.trace.feed_tables import Homes, People, Rosters, Vocabulary
from izquvar.trace.index import FORMAT_VERSION as INDEX_FORMAT
from izquvar.trace.index import StayIndex, index_seconds
from izquvar.trace.interviews import Interviews
from izquvar.trace.persisted import PersistedTables, PlaceAreas, fingerprint
from izquvar.trace.rules import DEFAULT_RULES, VenueRules
from izquvar.trace.segments import DayIndexed, SegmentedKind, day_indexed

if TYPE_CHECKING:
    from izquvar.trace.engine import ColocationEngine

__all__ = ["STAY_CARRY", "Homes", "PersistedTables", "TraceData", "index_seconds"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Columns the stay index carries next to each stay (what places and GPS evidence show).
STAY_CARRY = ("lat", "lon", "n_pings", "accuracy_m", "venue_id", "region_id", "district_id", "mahalla_id")
UNKNOWN_ACCURACY_M = 25.0


@dataclass(frozen=True)
class TraceData:
    """The store's tables as a trace needs them; build with :meth:`load`.

    Per-case lookups are slices of numpy arrays (see :mod:`izquvar.trace.feed_tables`): people, venues, households
    and roster groups are integer codes into a :class:`Vocabulary`, and each person- or venue-keyed feed is a
    :class:`Grouped` table whose rows of one key are one CSR slice."""

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
    #: The venue rules' per-venue figures (``sources.venues``: ``dwell_s``, ``before_payment_s``,
    #: ``zone_area_m2``, under :attr:`venue_rules`) and the venue's name, ``indoor``, point and areas,
    #: by venue code (what fusion's venue and area references read);
    #: code -1 (the last entry) and codes of ids the venues table lacks give an unknown venue's.
    venue_facts: dict[str, npt.NDArray[Any]]
    #: The persisted tables this view was assembled from, and what they were built for (reused by a later load
    #: while still current).
    tables: PersistedTables
    tables_key: dict[str, Any] | None = None
    #: The stay index and the operator records as kept per day partition (:mod:`~izquvar.trace.segments`), and
    #: the places' areas with what they were located for: what a later load reuses while current.
    stay_parts: DayIndexed[StayIndex] | None = None
    cell_parts: DayIndexed[CellEvents] | None = None
    place_areas: PlaceAreas | None = None
    place_areas_key: dict[str, Any] | None = None
    #: Venue references (``fuse.venue_ref``) made so far: immutable models, shared by every trace of this load.
    venue_refs: dict[str, Any] = field(default_factory=dict)
    #: Who was near whom among :attr:`stays` (``trace.engine``); ``None``: the grid engine over :attr:`stays`.
    colocation: ColocationEngine | None = None
    #: The venue rules :attr:`venue_facts` were computed under (a tracer's ``rules.venues``).
    venue_rules: VenueRules = DEFAULT_RULES.venues
    #: The case interviews' named people, by case (small: read again at every load).
    interviews: Interviews = field(default_factory=Interviews.none)

    @classmethod
    def load(
        cls,
        feeds: FeedReader,
        cache: IndexCache | None = None,
        previous: TraceData | None = None,
        venue_rules: VenueRules = DEFAULT_RULES.venues,
    ) -> TraceData:
        """Everything a trace reads, each part from the files persisted for exactly the partitions it was built
        from when they are there and sound (memory-mapped), else built and persisted (under ``cache``; without
        one, in memory). ``previous``: a load of the same store to reuse the parts of that are still current
        (what a tracer that follows a growing store passes). The stay index is kept per day partition, so an
        ingest of one day rebuilds one day; the per-person tables are rebuilt only when a kind they read
        changed (a batch of lab results changes none). ``venue_rules``: the room sizes and dwell times the venue
        figures are computed under."""
        generation = feeds.generation()
        stay_parts = day_indexed(STAY_SEGMENTS, feeds, cache, previous.stay_parts if previous else None)
        cell_parts = day_indexed(CELL_SEGMENTS, feeds, cache, previous.cell_parts if previous else None)
        stays = stay_parts.whole
        venue_rows, tower_rows = feeds.table("venues").to_pandas(), feeds.table("towers").to_pandas()
        areas_key = PlaceAreas.fingerprint(feeds)
        if previous is not None and previous.place_areas is not None and previous.place_areas_key == areas_key:
            areas = previous.place_areas
        else:
            areas = _kept(
                cache, "places", areas_key, PlaceAreas.load, lambda: PlaceAreas.build(feeds, venue_rows, tower_rows)
            )
        stay_venue_ids = venue_ids_beyond(stays, venue_rows)
        expect = fingerprint(feeds, stay_venue_ids)
        if previous is not None and previous.tables_key == expect:
            tables = previous.tables
        else:
            tables = _kept(
                cache,
                "trace",
                expect,
                lambda directory, expected: PersistedTables.load(directory, expected, cell_parts.whole),
                lambda: PersistedTables.build(feeds, venue_rows, stay_venue_ids, cell_parts.whole),
            )
        venues = with_areas(venue_rows, areas.venues).set_index("venue_id")
        towers = with_areas(tower_rows, areas.towers).set_index("cell_id")
        data = cls.assemble(generation, stays, venues, towers, tables, expect, venue_rules)
        return replace(
            data,
            stay_parts=stay_parts,
            cell_parts=cell_parts,
            place_areas=areas,
            place_areas_key=areas_key,
            interviews=Interviews.build(feeds, tables.persons, tables.people),
        )

    @classmethod
    def assemble(
        cls,
        generation: int,
        stays: StayIndex,
        venues: pd.DataFrame,
        towers: pd.DataFrame,
        tables: PersistedTables,
        tables_key: dict[str, Any] | None = None,
        venue_rules: VenueRules = DEFAULT_RULES.venues,
    ) -> TraceData:
        """The trace's view of the stay index and the persisted tables, plus what is derived from the small place
        tables (venues, towers) and the stays' codes at every load: their size does not grow with the
        population, or (the stays' codes) is one vectorised encoding."""
        stay_venue = _stay_venue_codes(stays, tables.venue_ids)
        starts = [s for s in (tables.events_start_s,) if s is not None]
        ends = [e for e in (tables.events_end_s,) if e is not None]
        if stays.n_stays:
            starts.append(int(index_seconds(stays.start_s).min()))
            ends.append(int(index_seconds(stays.end_s).max()))
        return cls(
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
            data_end_s=max(ends, default=0),
            data_start_s=min(starts, default=0),
            stay_columns=_stay_columns(stays, stay_venue),
            stay_strings=_stay_strings(stays),
            stay_column_names=_stay_column_names(stays, stay_venue),
            stay_persons=Names(stays.names),
            stay_person_code=tables.persons.encode(stays.persons),
            homes=tables.homes,
            subscriber_contact=tables.subscriber_contact,
            subscriber_contact_rank=tables.subscriber_contact_rank,
            venue_slot={str(v): k for k, v in enumerate(venues.index)},
            venue_facts=_venue_facts(venues, len(tables.venue_ids), venue_rules),
            venue_rules=venue_rules,
            tables=tables,
            tables_key=tables_key,
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


def _venue_facts(venues: pd.DataFrame, n_codes: int, venue_rules: VenueRules) -> dict[str, npt.NDArray[Any]]:
    """Each venue code's figures under the venue rules and its point and areas, computed once; codes past the
    venues table's rows and the appended last entry (code -1) are an unknown venue's."""
    from izquvar.trace.sources import venues as rules

    known = len(venues)
    ids = np.asarray([*venues.index.tolist(), None], dtype=object)
    rows = np.r_[np.arange(known), np.full(n_codes - known + 1, known)]
    dwell_s = rules.dwell_seconds(venues, ids, venue_rules)
    facts: dict[str, npt.NDArray[Any]] = {
        "dwell_s": dwell_s,
        "before_payment_s": rules.before_payment_seconds(dwell_s, venue_rules),
        "zone_area_m2": rules.zone_area_m2(venues, ids, venue_rules),
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


#: The stay index, a segment per day partition of the stays (unknown accuracies taken as 25 m).
STAY_SEGMENTS: SegmentedKind[StayIndex] = SegmentedKind(
    kind="stays",
    columns=None,
    cache_name="stays",
    version=INDEX_FORMAT,
    build=lambda stays: StayIndex.build(_known_accuracy(stays), carry=STAY_CARRY),
    merge=StayIndex.merge,
    save=lambda index, directory: index.save(directory),
    load=StayIndex.load,
)

#: The operator records, a segment per day partition of the ``cell`` feed.
CELL_SEGMENTS: SegmentedKind[CellEvents] = SegmentedKind(
    kind="cell",
    columns=("subscriber", "time", "cell_id"),
    cache_name="cell",
    version=1,
    build=CellEvents.build,
    merge=CellEvents.merge,
    save=lambda events, directory: events.save(directory),
    load=CellEvents.load,
)


class _Kept(Protocol):
    def save_if_possible(self, directory: Path, expect: dict[str, Any]) -> bool: ...


_K = TypeVar("_K", bound=_Kept)


def _kept(
    cache: IndexCache | None,
    name: str,
    expect: dict[str, Any],
    load: Callable[[Path, dict[str, Any]], _K],
    build: Callable[[], _K],
) -> _K:
    """What the cache keeps under ``name`` for ``expect`` (mapped), else built and kept; older ones are removed."""
    directory = cache.index_dir(name) if cache is not None else None
    kept = f"{expect['feeds']}-v{expect['version']}"
    if directory is not None:
        with contextlib.suppress(NotFound, StoreError):
            return load(directory / kept, expect)
    made = build()
    if directory is not None and made.save_if_possible(directory / kept, expect):
        for old in directory.iterdir():
            if old.name != kept and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return made


def _carried_venues(index: StayIndex) -> pa.Array[Any] | None:
    if index.carried is None or "venue_id" not in index.carried.column_names:
        return None
    return index.carried.column("venue_id").combine_chunks()


def venue_ids_beyond(index: StayIndex, venue_rows: pd.DataFrame) -> pa.Array[Any]:
    """The distinct venue ids stays name that the venues table lacks, sorted (usually none: stays are matched
    to the venues table at ingest, but a venue may have left it since)."""
    venues = _carried_venues(index)
    if venues is None or not len(venues):
        return pa.array([], pa.string())
    distinct = pc.unique(venues.drop_null())
    known = pa.array([str(v) for v in venue_rows["venue_id"].tolist()] if len(venue_rows) else [], pa.string())
    beyond = distinct.filter(pc.invert(pc.is_in(distinct, value_set=known)))
    return beyond.take(pc.sort_indices(beyond)).cast(pa.string())


def _stay_venue_codes(index: StayIndex, venue_ids: Vocabulary) -> npt.NDArray[np.integer[Any]] | None:
    """Each stay's venue as a code of ``venue_ids`` (``None``: the index carries no venue ids)."""
    venues = _carried_venues(index)
    return narrow_codes(venue_ids.encode(venues)) if venues is not None else None


def is_string(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _stay_strings(index: StayIndex) -> dict[str, CodedStrings]:
    """The index's carried string columns, as codes (no Python string per stay)."""
    if index.carried is None:
        return {}
    return {
        name: CodedStrings.of(index.carried.column(name))
        for name in index.carried.column_names
        if is_string(index.carried.column(name).type)
    }
