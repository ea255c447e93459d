"""The tracer's per-person tables persisted next to the stay index, and memory-mapped at later loads.

Why: arranging the store's feeds for per-case lookups (:mod:`izquvar.trace.data`) reads every feed, seconds
at a city's scale and minutes at a nation's; the result depends only on the manifest generation, so it is
built once per generation, written as fixed-width arrays under ``STORE/index/<generation>-v<version>/trace``
and mapped afterwards (docs/tracing-engine.md, "Persisted per-case tables").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
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
from izquvar.geo.placement import area_index, locate_places, with_areas
from izquvar.store.embedded import EmbeddedStore
from izquvar.store.layout import MANIFEST_FILE
from izquvar.store.manifest import load_manifest
from izquvar.trace.cell_events import CellEvents
from izquvar.trace.columnar import (
    CodedStrings,
    Grouped,
    Names,
    column_arrays,
    column_of,
    load_arrays,
    narrow_codes,
    save_arrays,
)
from izquvar.trace.index import StayIndex, index_seconds
from izquvar.trace.tables import Homes, People, Rosters, Vocabulary, ble_columns, card_columns, checkin_columns

INDEX_DIR = "index"
#: Bumped when what is persisted per generation changes shape (names the generation's directory).
PERSIST_VERSION = 1
#: The per-person tables' directory inside a generation's directory, their format name and version (checked
#: on load: files of another version are rebuilt in place).
TABLES_DIR = "trace"
TABLES_FORMAT = "izquvar-trace-tables"
TABLES_VERSION = 3


def generation_dir(store: EmbeddedStore, generation: int) -> Path:
    """Where what is derived from one manifest generation is persisted (stay index and per-person tables)."""
    return store.root / INDEX_DIR / f"{generation}-v{PERSIST_VERSION}"


@dataclass(frozen=True)
class PersistedTables:
    """Every table of :class:`TraceData` whose size grows with the population, as fixed-width arrays, and the
    areas of venues and towers (locating them means building the area polygons' grid, a second per load):
    what is persisted under ``<generation>/trace`` and memory-mapped at the next load (docs/tracing-engine.md,
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
    stay_person_code: npt.NDArray[np.integer[Any]]
    #: The stay index's carried string columns, as codes.
    stay_strings: dict[str, CodedStrings]
    #: Each stay's venue as a code of :attr:`venue_ids` (``None``: the index carries no venue ids).
    stay_venue: npt.NDArray[np.integer[Any]] | None
    subscriber_contact: Names
    subscriber_contact_rank: npt.NDArray[np.int64]
    data_start_s: int
    data_end_s: int
    #: Region, district and mahalla of each venue and each tower (rows of the store's tables).
    venue_areas: pa.Table
    tower_areas: pa.Table

    @classmethod
    def build(
        cls, store: EmbeddedStore, venue_rows: pd.DataFrame, tower_rows: pd.DataFrame, stays: StayIndex
    ) -> PersistedTables:
        """Read the store's person-keyed feeds and arrange them (the slow path: once per generation)."""
        index = area_index(store.table("areas"))
        venue_areas, tower_areas = locate_places(index, venue_rows), locate_places(index, tower_rows)
        venues = with_areas(venue_rows, venue_areas).set_index("venue_id")
        people_table = store.table("people")
        rosters = store.table("rosters")
        checkins = store.table("checkins")
        card = store.table("card")
        ble_table = store.table("ble")
        persons = Vocabulary.of(
            [people_table.column("person"), rosters.column("person"), checkins.column("person"),
             card.column("card_holder"), ble_table.column("person_a"), ble_table.column("person_b")]
        )  # fmt: skip
        stay_venues = [stays.carried.column("venue_id")] if stays.carried is not None and _carries_venues(stays) else []
        venue_ids = Vocabulary.of(
            [checkins.column("venue_id"), card.column("venue_id"), rosters.column("venue_id"), *stay_venues],
            first=[str(v) for v in venues.index.tolist()],
        )
        checkin = checkin_columns(checkins, persons, venue_ids)
        payment = card_columns(card, persons, venue_ids)
        ble = ble_columns(ble_table, persons)
        cell_events = CellEvents.build_parts(_cell_parts(store))
        people = people_table.to_pandas()
        phone_person = _phone_person(people)
        registry = People.build(people_table, persons)
        contact = pa.array([phone_person.get(n, n) for n in cell_events.subscriber_names.tolist()], type=pa.string())
        ends = [int(index_seconds(stays.end_s).max()) if stays.n_stays else 0]
        ends += [cell_events.last_s] if cell_events.last_s is not None else []
        ends += [int(ble["end_s"].max())] if len(ble["end_s"]) else []
        starts = [int(index_seconds(stays.start_s).min())] if stays.n_stays else []
        starts += [cell_events.first_s] if cell_events.first_s is not None else []
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
            stay_person_code=persons.encode(stays.persons),
            stay_strings=_stay_strings(stays),
            stay_venue=venue_ids.encode(stay_venues[0]) if stay_venues else None,
            subscriber_contact=Names.of(contact),
            subscriber_contact_rank=_name_ranks(contact),
            data_start_s=min(starts) if starts else 0,
            data_end_s=max(ends),
            venue_areas=venue_areas,
            tower_areas=tower_areas,
        )

    # -- persistence -------------------------------------------------------------------------------------

    _GROUPED = ("checkins", "checkins_at", "card", "card_at", "ble")

    def save(self, directory: Path, expect: dict[str, Any]) -> None:
        """Write every table into ``directory`` (replaced whole, atomically)."""
        events, event_scalars = self.cell_events.to_arrays("cell_events")
        arrays: dict[str, npt.NDArray[Any]] = {
            **self.persons.to_arrays("persons"),
            **self.venue_ids.to_arrays("venue_ids"),
            **self.people.to_arrays("people"),
            **self.rosters.to_arrays("rosters"),
            **{k: v for name in self._GROUPED for k, v in getattr(self, name).to_arrays(name).items()},
            **events,
            "homes.keys": self.homes.keys,
            "homes.x": self.homes.x,
            "homes.y": self.homes.y,
            "homes.household": narrow_codes(self.homes.household),
            "stay_person_code": narrow_codes(self.stay_person_code),
            **{
                k: v for name, values in self.stay_strings.items() for k, v in values.to_arrays(f"stays.{name}").items()
            },
            **({"stays.venue": narrow_codes(self.stay_venue)} if self.stay_venue is not None else {}),
            "subscriber_contact": self.subscriber_contact.raw,
            "subscriber_contact_rank": self.subscriber_contact_rank,
            **_area_arrays("venue_areas", self.venue_areas),
            **_area_arrays("tower_areas", self.tower_areas),
        }
        meta = {
            **expect,
            "cell_events": event_scalars,
            "homes_cell_m": self.homes.cell_m,
            "stay_strings": list(self.stay_strings),
            "data_start_s": self.data_start_s,
            "data_end_s": self.data_end_s,
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
    def load(cls, directory: Path, expect: dict[str, Any]) -> PersistedTables:
        """Map the files :meth:`save` wrote for ``expect`` (see :func:`_fingerprint`); :class:`NotFound` /
        :class:`StoreError` when absent, written for other data, or damaged (the caller rebuilds)."""
        arrays, meta = load_arrays(directory, expect)
        try:
            grouped = {name: Grouped.from_arrays(arrays, name) for name in cls._GROUPED}
            return cls(
                persons=Vocabulary.from_arrays(arrays, "persons"),
                venue_ids=Vocabulary.from_arrays(arrays, "venue_ids"),
                people=People.from_arrays(arrays, "people"),
                rosters=Rosters.from_arrays(arrays, "rosters"),
                cell_events=CellEvents.from_arrays(arrays, "cell_events", meta["cell_events"]),
                homes=Homes(
                    float(meta["homes_cell_m"]),
                    arrays["homes.keys"],
                    arrays["homes.x"],
                    arrays["homes.y"],
                    arrays["homes.household"],
                ),
                stay_person_code=arrays["stay_person_code"],
                stay_strings={name: CodedStrings.from_arrays(arrays, f"stays.{name}") for name in meta["stay_strings"]},
                stay_venue=arrays.get("stays.venue"),
                subscriber_contact=Names(arrays["subscriber_contact"]),
                subscriber_contact_rank=arrays["subscriber_contact_rank"],
                data_start_s=int(meta["data_start_s"]),
                data_end_s=int(meta["data_end_s"]),
                venue_areas=_area_table(arrays, "venue_areas"),
                tower_areas=_area_table(arrays, "tower_areas"),
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


def _carries_venues(index: StayIndex) -> bool:
    return index.carried is not None and "venue_id" in index.carried.column_names


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


def _cell_parts(store: EmbeddedStore) -> Iterator[pa.Table]:
    """The operator records a day at a time (the whole feed at once when some file has no day)."""
    columns = ["subscriber", "time", "cell_id"]
    files = load_manifest(store.root / MANIFEST_FILE).files_of("cell")
    days = {f.day for f in files}
    if None in days:
        yield store.table("cell", columns=columns)
        return
    for day in sorted(d for d in days if d is not None):
        yield store.table("cell", columns=columns, days=[dt.date.fromisoformat(day)])


def fingerprint(generation: int, venues: pd.DataFrame, towers: pd.DataFrame, stays: StayIndex) -> dict[str, Any]:
    """What persisted tables must have been written for: this manifest generation (any ingest makes a new one),
    these venue and tower tables and this stay index; anything else is rebuilt."""
    return {
        "format": TABLES_FORMAT,
        "version": TABLES_VERSION,
        "generation": generation,
        "n_venue_rows": len(venues),
        "n_tower_rows": len(towers),
        "n_stays": stays.n_stays,
        "n_stay_persons": stays.n_persons,
    }


def _area_arrays(prefix: str, areas: pa.Table) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name in areas.column_names:
        values = np.asarray(areas.column(name).to_numpy(zero_copy_only=False), dtype=object)
        arrays.update(column_arrays(f"{prefix}.{name}", values))
    return arrays


def _area_table(arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> pa.Table:
    columns = {f.name: pa.array(column_of(arrays, f"{prefix}.{f.name}").tolist(), pa.string()) for f in AREA_FIELDS}
    return pa.table(columns, schema=pa.schema(list(AREA_FIELDS)))
