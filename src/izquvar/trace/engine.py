"""The co-location engine interface: who was near the case's stays, asked of whichever engine holds the stays.

Why an interface: the embedded tracer answers from the numba grid (:class:`GridEngine`), a PostgreSQL
deployment from PostGIS (:mod:`izquvar.trace.engines.postgis`), a cluster from Spark later. Like an HTTP
client and its transport, the caller validates and normalises the question once (:func:`encounter_query`,
against the :class:`StayIndex` that gives stays and persons their ids) and an engine only executes it.

Ids and units are the stay index's (docs/tracing-engine.md, "Semantics"): a stay id is the stay's position in
the :class:`StayIndex` (an SQL engine stores it as a column), a person id is :meth:`StayIndex.person_id`,
coordinates are decimetres and times seconds since the index epoch, so every engine's answer is bit-identical.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from izquvar.trace.colocation import check_min_minutes, grid_encounters, prepare_query
from izquvar.trace.index import StayIndex

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class EncounterQuery:
    """One case's question in the index's integers: the case's person id, the window ``[start_s, end_s)`` in
    index seconds, the radius in decimetres and the minimum union overlap in seconds."""

    person_id: int
    start_s: int
    end_s: int
    radius_dm: float
    min_seconds: int

    @property
    def max_d2(self) -> float:
        """The largest squared distance (dm²) that is still an encounter."""
        return self.radius_dm * self.radius_dm


class Encounters(NamedTuple):
    """An engine's answer, one row per (case stay, contact stay) encounter of the contacts with at least
    ``min_seconds`` of union overlap. Canonical order: contact person id, overlap start, case stay id,
    contact stay id (a total order, so engines agree row for row)."""

    case_stay: I64
    contact_stay: I64
    overlap_start: I64
    overlap_end: I64
    #: Squared distance, dm².
    distance2: I64

    @classmethod
    def empty(cls) -> Encounters:
        none = np.empty(0, dtype=np.int64)
        return cls(none, none, none, none, none)


class ColocationEngine(Protocol):
    """Answers encounter queries over the stays of one :class:`StayIndex` (same stay and person ids)."""

    def encounters(self, query: EncounterQuery) -> Encounters:
        """The case's encounters (see :class:`Encounters` for the rows and their order)."""
        ...


def encounter_query(
    index: StayIndex, person: str, start: datetime, end: datetime, distance_m: float, min_minutes: float
) -> EncounterQuery | None:
    """The validated question (``InvalidInput`` naming the bad argument), ``None`` when nothing can match: the
    person has no stays or the window is empty. ``distance_m`` is limited by the index's grid
    (:attr:`StayIndex.max_distance_m`) whatever the engine, so that every engine accepts the same questions."""
    check_min_minutes(min_minutes)
    prepared = prepare_query(index, person, start, end, distance_m)
    if prepared is None:
        return None
    _own, w0, w1, pid, _max_d2, _ring, _cell_dm = prepared
    return EncounterQuery(pid, w0, w1, distance_m * 10.0, math.ceil(min_minutes * 60.0))


class GridEngine:
    """The embedded engine: the numba kernel over the grid-sorted :class:`StayIndex` in memory."""

    def __init__(self, index: StayIndex) -> None:
        self.index = index

    def encounters(self, query: EncounterQuery) -> Encounters:
        index, pid = self.index, query.person_id
        own = index.person_stays[index.person_offsets[pid] : index.person_offsets[pid + 1]]
        ring = math.ceil(query.radius_dm / index.cell_dm)
        prepared = (own, query.start_s, query.end_s, pid, query.max_d2, ring, index.cell_dm)
        return Encounters(*grid_encounters(index, prepared, query.min_seconds))


def contact_seconds(index: StayIndex, found: Encounters) -> dict[int, int]:
    """Each contact's (person id's) union overlap seconds in ``found``: what benchmarks and tests compare
    engines by, besides the rows themselves."""
    contact = index.person[found.contact_stay].astype(np.int64)
    seconds: dict[int, int] = {}
    reach = -1
    for k in range(len(contact)):  # rows are by (contact, overlap start): one sweep merges each contact's
        person, start, end = int(contact[k]), int(found.overlap_start[k]), int(found.overlap_end[k])
        if person not in seconds:
            seconds[person], reach = 0, start
        seconds[person] += max(0, end - max(start, reach))
        reach = max(reach, end)
    return seconds
