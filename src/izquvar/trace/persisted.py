"""The tracer's per-person tables persisted next to the stay index, and memory-mapped at later loads.

Why: arranging the store's feeds for per-case lookups (:mod:`izquvar.trace.trace_data`) reads every feed, seconds
at a city's scale and minutes at a nation's; the result depends only on the partitions of the kinds it reads
(:data:`TABLE_KINDS`, not the stays: those are indexed per day on their own), so it is built once per change
of those, written as fixed-width arrays under the store's index cache (``STORE/index/trace/<key>``)
and mapped afterwards (docs/tracing-engine.md, "Persisted per-case tables").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import StoreError
from izquvar.formats import AREA_FIELDS
from izquvar.geo.placement import area_index, locate_places
from izquvar.store.protocol import FeedReader
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import (
    Grouped,
    Names,
    column_arrays,
    column_of,
    load_arrays,
    narrow_codes,
    save_arrays,
)
from izquvar.trace.feed_tables import Homes, People, Rosters, Vocabulary, ble_columns, card_columns, checkin_columns

#: The tables' format name and version (checked on load: files of another version are rebuilt).
TABLES_FORMAT = "izquvar-trace-tables"
TABLES_VERSION = 4


@dataclass(frozen=True)
class PersistedTables:
    """Every table of :class:`TraceData` whose size grows with the population, as fixed-width arrays, and the
    areas of venues and towers (locating them means building the area polygons' grid, a second per load):
    what is persisted under the index cache's ``trace/`` and memory-mapped at the next load (docs/tracing-engine.md,
    "Persisted per-case tables")."""

    persons: Vocabulary
    venue_ids: Vocabulary
    people: People
    rosters: Rosters
    checkins: Grouped
    checkins_at: Grouped
    card: Grouped
    card_at: Grouped
    ble: Grouped
    cell_events: CellEvents
    homes: Homes
    subscriber_contact: Names
    subscriber_contact_rank: npt.NDArray[np.int64]
    #: The time operator records and Bluetooth encounters cover (``None``: there are none).
    events_start_s: int | None
    events_end_s: int | None

    @classmethod
    def build(
        cls, feeds: FeedReader, venue_rows: pd.DataFrame, stay_venue_ids: pa.Array[Any], cell_events: CellEvents
    ) -> PersistedTables:
        """Read the store's person-keyed feeds and arrange them (the slow path: once per change of the kinds they
        come from). ``stay_venue_ids``: the distinct venue ids stays name (they join the venue vocabulary);
        ``cell_events``: the operator records, indexed a day at a time on their own (:mod:`~izquvar.trace.segments`),
        whose subscribers the tables name."""
        people_table = feeds.table("people")
        rosters = feeds.table("rosters")
        checkins = feeds.table("checkins")
        card = feeds.table("card")
        ble_table = feeds.table("ble")
        persons = Vocabulary.of(
            [people_table.column("person"), rosters.column("person"), checkins.column("person"),
             card.column("card_holder"), ble_table.column("person_a"), ble_table.column("person_b")]
        )  # fmt: skip
        venue_ids = Vocabulary.of(
            [checkins.column("venue_id"), card.column("venue_id"), rosters.column("venue_id"), stay_venue_ids],
            first=[str(v) for v in venue_rows["venue_id"].tolist()] if len(venue_rows) else [],
        )
        checkin = checkin_columns(checkins, persons, venue_ids)
        payment = card_columns(card, persons, venue_ids)
        ble = ble_columns(ble_table, persons)
        people = people_table.to_pandas()
        phone_person = _phone_person(people)
        registry = People.build(people_table, persons)
        contact = pa.array([phone_person.get(n, n) for n in cell_events.subscriber_names.tolist()], type=pa.string())
        ends = [cell_events.last_s] if cell_events.last_s is not None else []
        ends += [int(ble["end_s"].max())] if len(ble["end_s"]) else []
        starts = [cell_events.first_s] if cell_events.first_s is not None else []
        starts += [int(ble["start_s"].min())] if len(ble["start_s"]) else []
        n_persons, n_venues = len(persons), len(venue_ids)
        with_venue = payment["venue"] >= 0
        return cls(
            persons=persons,
            venue_ids=venue_ids,
            people=registry,
            rosters=Rosters.build(rosters, persons, venue_ids),
            checkins=Grouped.build(checkin, checkin["person"], n_persons, checkin["check_in_s"]),
            checkins_at=Grouped.build(checkin, checkin["venue"], n_venues, checkin["check_in_s"]),
            card=Grouped.build(payment, payment["person"], n_persons, payment["time_s"]),
            card_at=Grouped.build(
                {k: v[with_venue] for k, v in payment.items()},
                payment["venue"][with_venue],
                n_venues,
                payment["time_s"][with_venue],
            ),
            ble=Grouped.build(ble, ble["person"], n_persons, ble["start_s"]),
            cell_events=cell_events,
            homes=Homes.build(people, registry.households),
            subscriber_contact=Names.of(contact),
            subscriber_contact_rank=_name_ranks(contact),
            events_start_s=min(starts) if starts else None,
            events_end_s=max(ends) if ends else None,
        )

    # -- persistence -------------------------------------------------------------------------------------

    _GROUPED = ("checkins", "checkins_at", "card", "card_at", "ble")

    def save(self, directory: Path, expect: dict[str, Any]) -> None:
        """Write every table but the operator records (kept on their own) into ``directory`` (replaced whole,
        atomically)."""
        arrays: dict[str, npt.NDArray[Any]] = {
            **self.persons.to_arrays("persons"),
            **self.venue_ids.to_arrays("venue_ids"),
            **self.people.to_arrays("people"),
            **self.rosters.to_arrays("rosters"),
            **{k: v for name in self._GROUPED for k, v in getattr(self, name).to_arrays(name).items()},
            "homes.keys": self.homes.keys,
            "homes.x": self.homes.x,
            "homes.y": self.homes.y,
            "homes.household": narrow_codes(self.homes.household),
            "subscriber_contact": self.subscriber_contact.raw,
            "subscriber_contact_rank": self.subscriber_contact_rank,
        }
        meta = {
            **expect,
            "homes_cell_m": self.homes.cell_m,
            "events_start_s": self.events_start_s,
            "events_end_s": self.events_end_s,
        }
        save_arrays(directory, arrays, meta)

    def save_if_possible(self, directory: Path, expect: dict[str, Any]) -> bool:
        """:meth:`save`, unless the store cannot be written to (a read-only store still traces, from memory)."""
        try:
            self.save(directory, expect)
        except OSError:
            return False
        return True

    @classmethod
    def load(cls, directory: Path, expect: dict[str, Any], cell_events: CellEvents) -> PersistedTables:
        """Map the files :meth:`save` wrote for ``expect`` (see :func:`fingerprint`), with ``cell_events`` (the
        operator records they were built with); :class:`NotFound` / :class:`StoreError` when absent, written
        for other data, or damaged (the caller rebuilds)."""
        arrays, meta = load_arrays(directory, expect)
        try:
            grouped = {name: Grouped.from_arrays(arrays, name) for name in cls._GROUPED}
            return cls(
                persons=Vocabulary.from_arrays(arrays, "persons"),
                venue_ids=Vocabulary.from_arrays(arrays, "venue_ids"),
                people=People.from_arrays(arrays, "people"),
                rosters=Rosters.from_arrays(arrays, "rosters"),
                cell_events=cell_events,
                homes=Homes(
                    float(meta["homes_cell_m"]),
                    arrays["homes.keys"],
                    arrays["homes.x"],
                    arrays["homes.y"],
                    arrays["homes.household"],
                ),
                subscriber_contact=Names(arrays["subscriber_contact"]),
                subscriber_contact_rank=arrays["subscriber_contact_rank"],
                events_start_s=_optional_int(meta["events_start_s"]),
                events_end_s=_optional_int(meta["events_end_s"]),
                **grouped,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{directory}: persisted tables incomplete ({exc!r}); rebuilding") from exc


def _phone_person(people: pd.DataFrame) -> dict[str, str]:
    registered = people[people["phone"].notna()].sort_values("phone", kind="stable")
    return dict(zip(registered["phone"].astype(str), registered["person"].astype(str), strict=True))


def _name_ranks(names: pa.Array[Any]) -> npt.NDArray[np.int64]:
    """Dense rank of each name in code-point order (Arrow's UTF-8 byte order is the same order)."""
    if not len(names):
        return np.empty(0, dtype=np.int64)
    ranks = pc.rank(names, sort_keys="ascending", tiebreaker="dense")
    return np.asarray(ranks.to_numpy(zero_copy_only=False), dtype=np.int64) - 1


#: What the tables read of the store, and the kinds they are therefore rebuilt for (when a partition changes).
TABLE_KINDS = ("people", "rosters", "checkins", "card", "ble", "cell", "venues")
#: What the places' areas are located from.
PLACE_KINDS = ("venues", "towers", "areas")
PLACES_FORMAT = "izquvar-place-areas"
PLACES_VERSION = 1


def _versions(feeds: FeedReader, kinds: tuple[str, ...]) -> hashlib._Hash:
    versions = {kind: {str(day): v for day, v in feeds.partitions(kind).items()} for kind in kinds}
    return hashlib.sha256(json.dumps(versions, sort_keys=True).encode("utf-8"))


@dataclass(frozen=True)
class PlaceAreas:
    """Region, district and mahalla of each venue and each tower (rows of the store's tables). Kept on their own
    because locating them builds the area polygons' grid (about a second) and they change only with the venues,
    towers or areas, not with the day's feeds."""

    venues: pa.Table
    towers: pa.Table

    @classmethod
    def build(cls, feeds: FeedReader, venue_rows: pd.DataFrame, tower_rows: pd.DataFrame) -> PlaceAreas:
        index = area_index(feeds.table("areas"))
        return cls(locate_places(index, venue_rows), locate_places(index, tower_rows))

    @staticmethod
    def fingerprint(feeds: FeedReader) -> dict[str, Any]:
        """What kept areas must have been located for: these versions of the venues, towers and areas."""
        digest = _versions(feeds, PLACE_KINDS).hexdigest()[:32]
        return {"format": PLACES_FORMAT, "version": PLACES_VERSION, "feeds": digest}

    def save_if_possible(self, directory: Path, expect: dict[str, Any]) -> bool:
        """Write the areas into ``directory``, unless the store cannot be written to (then they stay in memory)."""
        arrays = {**_area_arrays("venues", self.venues), **_area_arrays("towers", self.towers)}
        try:
            save_arrays(directory, arrays, expect)
        except OSError:
            return False
        return True

    @classmethod
    def load(cls, directory: Path, expect: dict[str, Any]) -> PlaceAreas:
        arrays, _ = load_arrays(directory, expect)
        try:
            return cls(_area_table(arrays, "venues"), _area_table(arrays, "towers"))
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{directory}: kept place areas incomplete ({exc!r}); rebuilding") from exc


def fingerprint(feeds: FeedReader, stay_venue_ids: pa.Array[Any]) -> dict[str, Any]:
    """What persisted tables must have been written for: these versions of every partition of the kinds they
    read, and the venue ids that stays name but the venues table lacks (they join the venue vocabulary);
    anything else is rebuilt. Why not the store's generation: lab results arrive all day and a GPS upload every
    few minutes, and neither changes these tables."""
    digest = _versions(feeds, TABLE_KINDS)
    digest.update("\0".join(str(v) for v in stay_venue_ids.to_pylist()).encode("utf-8"))
    return {"format": TABLES_FORMAT, "version": TABLES_VERSION, "feeds": digest.hexdigest()[:32]}


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _area_arrays(prefix: str, areas: pa.Table) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name in areas.column_names:
        values = np.asarray(areas.column(name).to_numpy(zero_copy_only=False), dtype=object)
        arrays.update(column_arrays(f"{prefix}.{name}", values))
    return arrays


def _area_table(arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> pa.Table:
    columns = {f.name: pa.array(column_of(arrays, f"{prefix}.{f.name}").tolist(), pa.string()) for f in AREA_FIELDS}
    return pa.table(columns, schema=pa.schema(list(AREA_FIELDS)))
