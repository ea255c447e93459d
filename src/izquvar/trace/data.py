"""Everything a trace reads, loaded from the store once and arranged for per-case lookups.

Why: a single-case trace must take milliseconds, so every table is sorted once by the key a trace looks it up
by (person, venue, cell) and answered afterwards with binary searches. The stay index, the only costly part to
build, is persisted under ``STORE/index/<manifest generation>/stays`` and rebuilt when the store changes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import NotFound, StoreError
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.layout import MANIFEST_FILE
from izquvar.store.manifest import load_manifest
from izquvar.trace.index import EPOCH_US, StayIndex

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

#: Columns the stay index carries next to each stay (what places and GPS evidence show).
STAY_CARRY = ("lat", "lon", "n_pings", "accuracy_m", "venue_id", "region_id", "district_id", "mahalla_id")
INDEX_DIR = "index"
UNKNOWN_ACCURACY_M = 25.0
#: Bumped when what :class:`TraceData` persists changes shape.
PERSIST_VERSION = 1


def seconds(column: pa.ChunkedArray[Any] | pa.Array[Any]) -> I64:
    """Unix seconds of a timestamp column (floored)."""
    micros = column.cast(pa.timestamp("us", tz="UTC")).to_numpy(zero_copy_only=False)
    return np.floor_divide(micros.astype("datetime64[us]").astype(np.int64), 1_000_000)


def index_seconds(values: npt.NDArray[np.integer[Any]]) -> I64:
    """Unix seconds of stay-index seconds (which count from the index's epoch)."""
    return values.astype(np.int64) + EPOCH_US // 1_000_000


@dataclass(frozen=True)
class Sorted:
    """A table sorted by one string key, with the key's row ranges for O(log n) lookups."""

    frame: pd.DataFrame
    keys: npt.NDArray[np.str_]

    @classmethod
    def by(cls, frame: pd.DataFrame, key: str, then: str | None = None) -> Sorted:
        order = [key] if then is None else [key, then]
        frame = frame.sort_values(order, kind="stable").reset_index(drop=True)
        return cls(frame, frame[key].to_numpy(dtype=str))

    def rows(self, value: str) -> pd.DataFrame:
        lo = int(np.searchsorted(self.keys, value, side="left"))
        hi = int(np.searchsorted(self.keys, value, side="right"))
        return self.frame.iloc[lo:hi]

    def rows_of(self, values: npt.ArrayLike) -> pd.DataFrame:
        wanted = np.unique(np.asarray(values, dtype=str))
        lo = np.searchsorted(self.keys, wanted, side="left")
        hi = np.searchsorted(self.keys, wanted, side="right")
        if not len(wanted) or not (hi > lo).any():
            return self.frame.iloc[0:0]
        idx = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi, strict=True) if b > a])
        return self.frame.iloc[idx]

    def __contains__(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        slot = int(np.searchsorted(self.keys, value))
        return slot < len(self.keys) and str(self.keys[slot]) == value


@dataclass(frozen=True)
class CellEvents:
    """Operator records sorted by (cell, time): who was served by a cell during an interval."""

    cell_ids: npt.NDArray[np.str_]
    cell_code: I64
    time_s: I64
    #: Subscriber of each event as a code into ``subscriber_names`` (millions of events, thousands of names).
    subscriber: I64
    subscriber_names: npt.NDArray[np.object_]
    #: Event positions by (subscriber, time), and the subscriber code of each, for one phone's own records.
    by_subscriber: I64
    subscriber_sorted: I64
    #: Names in sorted order with their codes, for a binary search from a name to its code.
    sorted_names: npt.NDArray[np.str_]
    sorted_codes: I64
    #: Each code's rank among the names in sorted order: orders subscribers by name without comparing strings.
    name_rank: I64

    @classmethod
    def build(cls, table: pa.Table) -> CellEvents:
        """Sort by (cell rank, time) on integer codes from Arrow's dictionary encoding (no Python strings)."""
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(table.column("cell_id")).combine_chunks())
        dictionary = encoded.dictionary
        by_name = pc.sort_indices(dictionary).to_numpy()
        rank = np.empty(len(by_name), dtype=np.int64)
        rank[by_name] = np.arange(len(by_name), dtype=np.int64)
        code = rank[encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)]
        time_s = seconds(table.column("time"))
        t0 = int(time_s.min()) if len(time_s) else 0
        order = np.argsort(code << 32 | (time_s - t0), kind="stable")  # one int64 key: far faster than lexsort
        ids = np.asarray(dictionary.take(pa.array(by_name)).to_numpy(zero_copy_only=False), dtype=str)
        subscribers = cast(
            "pa.DictionaryArray[Any, Any]", pc.dictionary_encode(table.column("subscriber")).combine_chunks()
        )
        names = np.asarray(subscribers.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        subscriber = subscribers.indices.to_numpy(zero_copy_only=False).astype(np.int64)[order]
        by_subscriber = np.argsort(subscriber << 32 | (time_s[order] - t0), kind="stable").astype(np.int64)
        name_order = np.argsort(names.astype(str), kind="stable").astype(np.int64)
        name_rank = np.empty(len(name_order), dtype=np.int64)
        name_rank[name_order] = np.arange(len(name_order), dtype=np.int64)
        return cls(
            ids,
            code[order],
            time_s[order],
            subscriber,
            names,
            by_subscriber,
            subscriber[by_subscriber],
            names.astype(str)[name_order],
            name_order,
            name_rank,
        )

    def _code(self, subscriber: str) -> int | None:
        slot = int(np.searchsorted(self.sorted_names, subscriber))
        if slot < len(self.sorted_names) and self.sorted_names[slot] == subscriber:
            return int(self.sorted_codes[slot])
        return None

    def code_of(self, subscriber: str) -> int | None:
        """The subscriber's code (``None`` when no record is theirs)."""
        return self._code(subscriber)

    def serves(self, subscriber: str) -> bool:
        """Whether any record is of this subscriber."""
        return self._code(subscriber) is not None

    def own(self, subscriber: str) -> tuple[I64, npt.NDArray[np.str_]]:
        """Times and cells of one subscriber's records, by time."""
        code = self._code(subscriber)
        if code is None:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=str)
        lo = int(np.searchsorted(self.subscriber_sorted, code, side="left"))
        hi = int(np.searchsorted(self.subscriber_sorted, code, side="right"))
        pos = self.by_subscriber[lo:hi]
        return self.time_s[pos], self.cell_ids[self.cell_code[pos]]

    def during(self, cell_id: str, start_s: int, end_s: int) -> tuple[npt.NDArray[np.object_], I64]:
        """Subscribers and times of the events of ``cell_id`` within ``[start_s, end_s]``."""
        slot = int(np.searchsorted(self.cell_ids, cell_id))
        if slot >= len(self.cell_ids) or self.cell_ids[slot] != cell_id:
            return np.empty(0, dtype=object), np.empty(0, dtype=np.int64)
        lo = int(np.searchsorted(self.cell_code, slot, side="left"))
        hi = int(np.searchsorted(self.cell_code, slot, side="right"))
        a = lo + int(np.searchsorted(self.time_s[lo:hi], start_s, side="left"))
        b = lo + int(np.searchsorted(self.time_s[lo:hi], end_s, side="right"))
        return self.subscriber_names[self.subscriber[a:b]], self.time_s[a:b]

    def during_codes(self, cell_id: str, start_s: int, end_s: int) -> tuple[I64, I64]:
        """:meth:`during` with subscriber codes instead of names (no per-event Python strings)."""
        slot = int(np.searchsorted(self.cell_ids, cell_id))
        if slot >= len(self.cell_ids) or self.cell_ids[slot] != cell_id:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        lo = int(np.searchsorted(self.cell_code, slot, side="left"))
        hi = int(np.searchsorted(self.cell_code, slot, side="right"))
        a = lo + int(np.searchsorted(self.time_s[lo:hi], start_s, side="left"))
        b = lo + int(np.searchsorted(self.time_s[lo:hi], end_s, side="right"))
        return self.subscriber[a:b], self.time_s[a:b]


@dataclass(frozen=True)
class Homes:
    """Registered homes on a metric grid (the national projection), for "whose home is this?" lookups."""

    cell_m: float
    keys: I64
    x: F64
    y: F64
    household: npt.NDArray[np.object_]

    @classmethod
    def build(cls, people: pd.DataFrame, cell_m: float = 100.0) -> Homes:
        from izquvar.geo.distance import to_metres
        from izquvar.trace.index import cell_key

        known = people[people["home_lat"].notna() & people["home_lon"].notna()]
        homes = known.drop_duplicates("household")
        x, y = to_metres(homes["home_lat"].to_numpy(np.float64), homes["home_lon"].to_numpy(np.float64))
        keys = cell_key(np.floor_divide(x, cell_m).astype(np.int64), np.floor_divide(y, cell_m).astype(np.int64))
        order = np.argsort(keys, kind="stable")
        return cls(cell_m, keys[order], x[order], y[order], homes["household"].to_numpy(object)[order])

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(frozen=True)
class TraceData:
    """The store's tables as a trace needs them; build with :meth:`load`."""

    root: Path
    generation: int
    stays: StayIndex
    venues: pd.DataFrame  # indexed by venue_id
    people: Sorted  # by person
    households: Sorted  # people by household
    phones: Sorted  # people by phone pseudonym
    rosters: Sorted  # by person
    roster_groups: Sorted  # by group_id
    checkins: Sorted  # by person
    checkins_at: Sorted  # by venue_id
    card: Sorted  # by card_holder
    card_at: Sorted  # by venue_id
    ble: Sorted  # by person (each encounter twice, once per side)
    cell_events: CellEvents
    towers: pd.DataFrame  # indexed by cell_id
    #: The time the data cover (stays, operator records, Bluetooth): assumed presence is never put outside it.
    data_end_s: int
    data_start_s: int
    #: The stay index's carried columns as numpy arrays (cell order), for per-person slices without Arrow.
    stay_columns: dict[str, npt.NDArray[Any]]
    homes: Homes
    #: Registered phone pseudonym → person (the last registration of a phone wins, as in :meth:`persons_by_phone`).
    phone_person: dict[str, str]
    #: Row of each venue id in :attr:`venues` (a dict lookup per id instead of a pandas reindex per call).
    venue_slot: dict[str, int]
    #: The venue rules' per-venue figures (``sources.venues``), by row, with an unknown venue's last.
    venue_facts: dict[str, npt.NDArray[Any]]
    #: Venue references (``fuse.venue_ref``) made so far: immutable models, shared by every trace of this load.
    venue_refs: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, store: EmbeddedStore) -> TraceData:
        """Read the store (and its persisted stay index, building it when missing or stale)."""
        generation = load_manifest(store.root / MANIFEST_FILE).generation
        stays = _stay_index(store, generation)
        venues = _venues(store)
        people = store.table("people").to_pandas()
        rosters = store.table("rosters").to_pandas()
        checkins = store.table("checkins").to_pandas()
        card = store.table("card").to_pandas()
        ble = _ble(store.table("ble"))
        cell_events = CellEvents.build(store.table("cell", columns=["subscriber", "time", "cell_id"]))
        towers = _located(store, store.table("towers").to_pandas()).set_index("cell_id")
        for frame, column in ((checkins, "check_in"), (checkins, "check_out"), (card, "time")):
            frame[f"{column}_s"] = _frame_seconds(frame[column])
        ends = [int(index_seconds(stays.end_s).max()) if stays.n_stays else 0]
        ends += [int(cell_events.time_s.max())] if len(cell_events.time_s) else []
        ends += [int(ble["end_s"].max())] if len(ble) else []
        starts = [int(index_seconds(stays.start_s).min())] if stays.n_stays else []
        starts += [int(cell_events.time_s.min())] if len(cell_events.time_s) else []
        starts += [int(ble["start_s"].min())] if len(ble) else []
        return cls(
            root=store.root,
            generation=generation,
            stays=stays,
            venues=venues,
            people=Sorted.by(people, "person"),
            households=Sorted.by(people, "household"),
            phones=Sorted.by(people[people["phone"].notna()], "phone"),
            rosters=Sorted.by(rosters, "person"),
            roster_groups=Sorted.by(rosters, "group_id"),
            checkins=Sorted.by(checkins, "person", "check_in_s"),
            checkins_at=Sorted.by(checkins, "venue_id", "check_in_s"),
            card=Sorted.by(card, "card_holder", "time_s"),
            card_at=Sorted.by(card[card["venue_id"].notna()], "venue_id", "time_s"),
            ble=Sorted.by(ble, "person", "start_s"),
            cell_events=cell_events,
            towers=towers,
            data_end_s=max(ends),
            data_start_s=min(starts) if starts else 0,
            stay_columns=_carried_arrays(stays),
            homes=Homes.build(people),
            phone_person=_phone_person(people),
            venue_slot={str(v): k for k, v in enumerate(venues.index)},
            venue_facts=_venue_facts(venues),
        )

    # -- per-person lookups ----------------------------------------------------------------------------

    def knows(self, person: str) -> bool:
        """Whether ``person`` (a pseudonym) appears in any person-keyed table."""
        return (
            person in self.people
            or self.stays.person_id(person) is not None
            or person in self.checkins
            or person in self.card
            or person in self.ble
            or self.cell_events.serves(person)
            or person in self.rosters
        )

    def phone_of(self, person: str) -> str | None:
        rows = self.people.rows(person)
        if len(rows) and isinstance(rows["phone"].iloc[0], str):
            return str(rows["phone"].iloc[0])
        return None

    def home_of(self, person: str) -> tuple[float, float] | None:
        rows = self.people.rows(person)
        if not len(rows):
            return None
        lat, lon = rows["home_lat"].iloc[0], rows["home_lon"].iloc[0]
        if pd.isna(lat) or pd.isna(lon):
            return None
        return float(lat), float(lon)

    def stays_of(self, person: str, start_s: int, end_s: int) -> pd.DataFrame:
        """``person``'s stays overlapping ``[start_s, end_s)`` (Unix seconds), by start."""
        columns = self.stay_arrays(person, start_s, end_s)
        return _EMPTY_STAYS.copy() if columns is None else pd.DataFrame(columns)

    def stay_arrays(self, person: str, start_s: int, end_s: int) -> dict[str, npt.NDArray[Any]] | None:
        """:meth:`stays_of` as plain arrays (``None`` when the person has no GPS stays at all): what the
        per-member loops of households and rosters use, without building a frame per member."""
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
        for name, values in self.stay_columns.items():
            columns[name] = values[own]
        return columns

    def venue_rows(self, venue_ids: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Row of each venue id in :attr:`venues`, -1 for an unknown (or missing) venue."""
        slot = self.venue_slot
        ids = np.asarray(venue_ids, dtype=object).tolist()
        return np.asarray([slot.get(v, -1) if isinstance(v, str) else -1 for v in ids], dtype=np.int64)

    def venue_column(self, name: str, venue_ids: npt.ArrayLike, missing: Any) -> npt.NDArray[Any]:
        """Column ``name`` of each venue, ``missing`` for an unknown venue (what a pandas reindex gives)."""
        rows = self.venue_rows(venue_ids)
        values = self.venues[name].to_numpy()
        out = np.asarray(values[np.maximum(rows, 0)]) if len(values) else np.empty(len(rows), dtype=values.dtype)
        if (rows < 0).any():
            out = out.astype(object) if missing is None else out
            out[rows < 0] = missing
        return out

    def venue_fact(self, name: str, venue_ids: npt.ArrayLike) -> npt.NDArray[Any]:
        """A venue rule's figure (``dwell_s``, ``zone_area_m2``, ``zones``, ``category``) for each venue id,
        exactly what :mod:`izquvar.trace.sources.venues` gives, looked up instead of recomputed per trace."""
        return np.asarray(self.venue_facts[name][self.venue_rows(venue_ids)])

    def venue_points(self, venue_ids: npt.ArrayLike) -> tuple[F64, F64]:
        """Latitude and longitude of each venue (NaN for an unknown venue)."""
        lat = self.venue_column("lat", venue_ids, np.nan).astype(np.float64)
        lon = self.venue_column("lon", venue_ids, np.nan).astype(np.float64)
        return lat, lon

    def persons_by_phone(self, phones: npt.ArrayLike) -> dict[str, str]:
        """The registered person of each phone pseudonym that has one."""
        known = self.phone_person
        return {p: known[p] for p in np.unique(np.asarray(phones, dtype=str)).tolist() if p in known}


_EMPTY_STAYS = pd.DataFrame({"start_s": np.empty(0, np.int64), "end_s": np.empty(0, np.int64)})


def _venue_facts(venues: pd.DataFrame) -> dict[str, npt.NDArray[Any]]:
    """Each venue's figures under the venue rules, computed once; row -1 (appended) is an unknown venue's."""
    from izquvar.trace.sources import venues as rules

    ids = np.asarray([*venues.index.tolist(), None], dtype=object)
    return {
        "dwell_s": rules.dwell_seconds(venues, ids),
        "zone_area_m2": rules.zone_area_m2(venues, ids),
        "zones": rules.zones_of(venues, ids),
        "category": rules.categories(venues, ids),
    }


def _phone_person(people: pd.DataFrame) -> dict[str, str]:
    registered = people[people["phone"].notna()].sort_values("phone", kind="stable")
    return dict(zip(registered["phone"].astype(str), registered["person"].astype(str), strict=True))


def _frame_seconds(values: pd.Series) -> pd.Series:
    """Unix seconds of a pandas datetime column; missing values stay missing (as ``pd.NA``)."""
    converted = pd.to_datetime(values, utc=True)
    out = pd.Series(pd.NA, index=values.index, dtype="Int64")
    known = converted.notna()
    out[known] = (converted[known].astype("datetime64[us, UTC]").astype("int64") // 1_000_000).astype("int64")
    return out


def _carried_arrays(index: StayIndex) -> dict[str, npt.NDArray[Any]]:
    if index.carried is None:
        return {}
    return {name: index.carried.column(name).to_numpy() for name in index.carried.column_names}


def _venues(store: EmbeddedStore) -> pd.DataFrame:
    """Venues with their area ids (located once)."""
    return _located(store, store.table("venues").to_pandas()).set_index("venue_id")


def _located(store: EmbeddedStore, frame: pd.DataFrame) -> pd.DataFrame:
    """A table of places (venues, towers) with the area ids of their points, located once at load."""
    from izquvar.ingest.derive import area_index, locate

    if len(frame):
        index = area_index(store.table("areas"))
        areas = locate(index, frame["lat"].to_numpy(np.float64), frame["lon"].to_numpy(np.float64)).to_pandas()
        return pd.concat([frame.reset_index(drop=True), areas], axis=1)
    for name in ("region_id", "district_id", "mahalla_id"):
        frame[name] = pd.Series(dtype=object)
    return frame


def _ble(table: pa.Table) -> pd.DataFrame:
    """Each encounter once per side, so one person's encounters are one contiguous slice."""
    start = seconds(table.column("time"))
    duration = table.column("duration_s").to_numpy(zero_copy_only=False).astype(np.int64)
    a = table.column("person_a").to_numpy(zero_copy_only=False)
    b = table.column("person_b").to_numpy(zero_copy_only=False)
    attenuation = table.column("attenuation_db").to_numpy(zero_copy_only=False).astype(np.float64)
    return pd.DataFrame(
        {
            "person": np.concatenate([a, b]),
            "other": np.concatenate([b, a]),
            "start_s": np.concatenate([start, start]),
            "end_s": np.concatenate([start + duration, start + duration]),
            "attenuation_db": np.concatenate([attenuation, attenuation]),
        }
    )


def _stay_index(store: EmbeddedStore, generation: int) -> StayIndex:
    """The persisted stay index of this manifest generation; older generations' indexes are removed."""
    base = store.root / INDEX_DIR
    directory = base / f"{generation}-v{PERSIST_VERSION}" / "stays"
    try:
        return StayIndex.load(directory)
    except (NotFound, StoreError):
        pass
    stays = store.table("stays")
    accuracy = stays.column("accuracy_m")
    if accuracy.null_count:
        # an unknown accuracy is taken as an indoor phone's (25 m): the cautious end of GPS precision
        known = accuracy.to_numpy(zero_copy_only=False).astype(np.float64)
        filled = pa.array(np.where(np.isfinite(known), known, UNKNOWN_ACCURACY_M))
        stays = stays.set_column(stays.schema.get_field_index("accuracy_m"), "accuracy_m", filled)
    index = StayIndex.build(stays, carry=STAY_CARRY)
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
