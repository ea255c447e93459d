"""Trace results as columnar tables: what every population-level step (chains, clusters, sites) reads.

A :class:`~izquvar.trace.result.TraceResult` is a tree of small pydantic objects, right for one case and one
report. Thousands of cases are compared with joins, so :class:`TraceTables` gathers each case once, as it
arrives, into four Arrow tables keyed by the case's pseudonym: ``cases``, ``places``, ``contacts`` and
``evidence`` (one row per observation behind a contact). Column names are documented in docs/outbreak.md.

A bulk run never builds the pydantic contacts: :meth:`TraceTables.add_trace` takes the tracer's columns
(:class:`~izquvar.trace.tracer.CaseTrace`) as they are; :meth:`TraceTables.add` flattens a finished result
into the same columns (tests, other tracers). Either way the tables are identical.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.outbreak._arrow import schema
from izquvar.trace.fuse import SOURCE_ORDER
from izquvar.trace.result import CaseRef, ContactClass, Place, TraceResult

if TYPE_CHECKING:
    from izquvar.trace.tracer import CaseTrace

_TS = pa.timestamp("us", tz="UTC")

CASES_SCHEMA = schema(
    pa.field("person", pa.string(), nullable=False),
    pa.field("onset", pa.date32(), nullable=False),
    pa.field("isolation", pa.date32()),
    pa.field("window_start", _TS, nullable=False),
    pa.field("window_end", _TS, nullable=False),
    pa.field("places", pa.int64(), nullable=False),
    pa.field("close", pa.int64(), nullable=False),
    pa.field("casual", pa.int64(), nullable=False),
    pa.field("possible", pa.int64(), nullable=False),
)
PLACES_SCHEMA = schema(
    pa.field("case", pa.string(), nullable=False),
    pa.field("start", _TS, nullable=False),
    pa.field("end", _TS, nullable=False),
    pa.field("minutes", pa.float64(), nullable=False),
    pa.field("lat", pa.float64(), nullable=False),
    pa.field("lon", pa.float64(), nullable=False),
    pa.field("venue_id", pa.string()),
    pa.field("venue_name", pa.string()),
    pa.field("category", pa.string()),
    pa.field("indoor", pa.bool_()),
    pa.field("setting", pa.string(), nullable=False),
    pa.field("region_id", pa.string()),
    pa.field("region", pa.string()),
    pa.field("district_id", pa.string()),
    pa.field("district", pa.string()),
    pa.field("mahalla_id", pa.string()),
    pa.field("mahalla", pa.string()),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
    pa.field("certainty", pa.float64(), nullable=False),
)
CONTACTS_SCHEMA = schema(
    pa.field("case", pa.string(), nullable=False),
    pa.field("contact", pa.string(), nullable=False),
    pa.field("klass", pa.string(), nullable=False),
    pa.field("risk", pa.float64(), nullable=False),
    pa.field("minutes", pa.float64(), nullable=False),
    pa.field("max_daily_minutes", pa.float64(), nullable=False),
    pa.field("closest_m", pa.float64()),
    pa.field("strongest_attenuation_db", pa.float64()),
    pa.field("setting", pa.string(), nullable=False),
    pa.field("sources", pa.list_(pa.string()), nullable=False),
    pa.field("first_seen", _TS, nullable=False),
    pa.field("last_seen", _TS, nullable=False),
    pa.field("explanation", pa.string(), nullable=False),
)
EVIDENCE_SCHEMA = schema(
    pa.field("case", pa.string(), nullable=False),
    pa.field("contact", pa.string(), nullable=False),
    pa.field("source", pa.string(), nullable=False),
    pa.field("start", _TS, nullable=False),
    pa.field("end", _TS, nullable=False),
    pa.field("minutes", pa.float64(), nullable=False),
    pa.field("venue_id", pa.string()),
    pa.field("lat", pa.float64()),
    pa.field("lon", pa.float64()),
    pa.field("distance_m", pa.float64()),
    pa.field("attenuation_db", pa.float64()),
)
SCHEMAS: dict[str, pa.Schema] = {
    "cases": CASES_SCHEMA,
    "places": PLACES_SCHEMA,
    "contacts": CONTACTS_SCHEMA,
    "evidence": EVIDENCE_SCHEMA,
}


#: Rows kept before they are converted to Arrow: bounds memory and keeps the garbage collector from rescanning
#: millions of live objects while thousands of cases are traced.
FLUSH_ROWS = 50_000

#: A part of a table: column name → values of some consecutive rows (``case`` is one name for the whole part).
Part = dict[str, Any]
_NULLABLE_FLOATS = {"closest_m", "strongest_attenuation_db", "lat", "lon", "distance_m", "attenuation_db"}
_SOURCE_NAMES = np.asarray(SOURCE_ORDER, dtype=object)


class TraceTables:
    """Accumulates traced cases. Cases and places (tens of rows a case) are kept as row tuples; contacts and
    evidence (hundreds to thousands a case) as column parts, numpy arrays straight from the tracer. Both are
    converted to Arrow every :data:`FLUSH_ROWS` rows; times are kept as POSIX seconds or microseconds until then."""

    def __init__(self, flush_rows: int = FLUSH_ROWS) -> None:
        self._rows: dict[str, list[tuple[Any, ...]]] = {"cases": [], "places": []}
        self._parts: dict[str, list[Part]] = {"contacts": [], "evidence": []}
        self._pending = {"contacts": 0, "evidence": 0}
        self._chunks: dict[str, list[pa.Table]] = {name: [] for name in SCHEMAS}
        self._flush_rows = flush_rows

    def add(self, result: TraceResult) -> None:
        """Append one case's places, contacts and evidence from its finished result."""
        self._case(result.case, result.places, result.summary.contacts)
        case = result.case.person
        contacts = result.contacts
        evidence = [e for c in contacts for e in c.evidence]
        self._part(
            "contacts",
            {
                "case": case,
                "contact": [c.person for c in contacts],
                "klass": [c.klass for c in contacts],
                "risk": [c.risk for c in contacts],
                "minutes": [c.minutes for c in contacts],
                "max_daily_minutes": [c.max_daily_minutes for c in contacts],
                "closest_m": [c.closest_m for c in contacts],
                "strongest_attenuation_db": [c.strongest_attenuation_db for c in contacts],
                "setting": [c.setting for c in contacts],
                "sources": ([len(c.sources) for c in contacts], [s for c in contacts for s in c.sources]),
                "first_seen": _micros([c.first_seen for c in contacts]),
                "last_seen": _micros([c.last_seen for c in contacts]),
                "explanation": [c.explanation for c in contacts],
            },
            len(contacts),
        )
        self._part(
            "evidence",
            {
                "case": case,
                "contact": [c.person for c in contacts for _ in c.evidence],
                "source": [e.source for e in evidence],
                "start": _micros([e.start for e in evidence]),
                "end": _micros([e.end for e in evidence]),
                "minutes": [e.minutes for e in evidence],
                "venue_id": [e.venue.venue_id if e.venue else None for e in evidence],
                "lat": [e.lat for e in evidence],
                "lon": [e.lon for e in evidence],
                "distance_m": [e.distance_m for e in evidence],
                "attenuation_db": [e.attenuation_db for e in evidence],
            },
            len(evidence),
        )

    def add_trace(self, trace: CaseTrace) -> None:
        """Append one case from the tracer's columns: no per-contact or per-observation Python object is made."""
        fused = trace.contacts
        self._case(trace.case, trace.places, fused.counts())
        case = trace.case.person
        bits = (fused.source_mask[:, None] >> np.arange(len(SOURCE_ORDER))) & 1  # one row per contact
        self._part(
            "contacts",
            {
                "case": case,
                "contact": fused.person,
                "klass": fused.klass,
                "risk": fused.risk,
                "minutes": fused.minutes,
                "max_daily_minutes": fused.max_daily_minutes,
                "closest_m": fused.closest_m,
                "strongest_attenuation_db": fused.strongest_attenuation_db,
                "setting": fused.setting,
                "sources": (bits.sum(axis=1), _SOURCE_NAMES[np.nonzero(bits)[1]]),
                "first_seen": fused.first_seen_s * 1_000_000,
                "last_seen": fused.last_seen_s * 1_000_000,
                "explanation": fused.explanation,
            },
            len(fused),
        )
        ev = fused.evidence
        self._part(
            "evidence",
            {
                "case": case,
                "contact": Repeated(fused.person, np.diff(fused.offsets)),
                "source": ev["source"],
                "start": ev["start_s"] * 1_000_000,
                "end": ev["end_s"] * 1_000_000,
                "minutes": ev["minutes"],
                "venue_id": ev["venue_id"],
                "lat": ev["lat"],
                "lon": ev["lon"],
                "distance_m": ev["distance_m"],
                "attenuation_db": ev["attenuation_db"],
            },
            len(ev["source"]),
        )

    def add_tables(self, tables: dict[str, pa.Table]) -> None:
        """Append tables made by another accumulator (a worker's share of a run), after everything added so far."""
        for name in SCHEMAS:
            self._flush(name)
            self._chunks[name].append(tables[name])

    def _case(self, ref: CaseRef, places: Sequence[Place], counts: dict[ContactClass, int]) -> None:
        case = ref.person
        self._rows["cases"].append(
            (
                case, ref.onset, ref.isolation, ref.window_start.timestamp(), ref.window_end.timestamp(),
                len(places), counts.get("close", 0), counts.get("casual", 0), counts.get("possible", 0),
            )
        )  # fmt: skip
        rows = self._rows["places"]
        for p in places:
            v, a = p.venue, p.area
            rows.append(
                (
                    case, p.start.timestamp(), p.end.timestamp(), p.minutes, p.lat, p.lon,
                    v.venue_id if v else None, v.name if v else None, v.category if v else None,
                    v.indoor if v else None, p.setting, a.region_id, a.region, a.district_id, a.district,
                    a.mahalla_id, a.mahalla, p.sources, p.certainty,
                )
            )  # fmt: skip
        for name in ("cases", "places"):
            if len(self._rows[name]) >= self._flush_rows:
                self._flush(name)

    def _part(self, name: str, part: Part, rows: int) -> None:
        part["rows"] = rows
        self._parts[name].append(part)
        self._pending[name] += rows
        if self._pending[name] >= self._flush_rows:
            self._flush(name)

    def _flush(self, name: str) -> None:
        """Rows waiting as tuples or parts become one Arrow chunk."""
        if name in self._rows:
            if self._rows[name]:
                self._chunks[name].append(_from_rows(name, self._rows[name]))
                self._rows[name].clear()
        elif self._parts[name]:
            self._chunks[name].append(_from_parts(name, self._parts[name]))
            self._parts[name].clear()
            self._pending[name] = 0

    def table(self, name: str) -> pa.Table:
        """One of ``cases``, ``places``, ``contacts``, ``evidence`` with its documented schema."""
        self._flush(name)
        chunks = self._chunks[name]
        return pa.concat_tables(chunks) if chunks else _from_rows(name, [])

    def tables(self) -> dict[str, pa.Table]:
        return {name: self.table(name) for name in SCHEMAS}


def _from_rows(name: str, rows: list[tuple[Any, ...]]) -> pa.Table:
    schema = SCHEMAS[name]
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.Table.from_arrays(
        [_array(column, f.type) for column, f in zip(columns, schema, strict=True)], schema=schema
    )


def _from_parts(name: str, parts: list[Part]) -> pa.Table:
    """One Arrow table of consecutive parts: each column concatenated once, converted once."""
    schema = SCHEMAS[name]
    rows = np.asarray([p["rows"] for p in parts], dtype=np.int64)
    arrays: list[pa.Array[Any]] = []
    for f in schema:
        if f.name == "case":
            arrays.append(_repeated([Repeated(np.asarray([p["case"]], dtype=object), rows[k : k + 1])
                                     for k, p in enumerate(parts)]))  # fmt: skip
        elif any(isinstance(p[f.name], Repeated) for p in parts):
            arrays.append(_repeated([p[f.name] for p in parts]))
        elif pa.types.is_list(f.type):
            counts = np.concatenate([np.asarray(p[f.name][0], dtype=np.int64) for p in parts])
            flat = np.concatenate([np.asarray(p[f.name][1], dtype=object) for p in parts])
            offsets = np.zeros(len(counts) + 1, dtype=np.int32)
            np.cumsum(counts, out=offsets[1:])
            arrays.append(pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), pa.array(flat, pa.string())))
        elif pa.types.is_timestamp(f.type):
            micros = np.concatenate([np.asarray(p[f.name], dtype=np.int64) for p in parts])
            arrays.append(pa.array(micros, pa.int64()).cast(f.type))
        elif pa.types.is_floating(f.type):
            values = np.concatenate([np.asarray(p[f.name], dtype=np.float64) for p in parts])
            missing = np.isnan(values) if f.name in _NULLABLE_FLOATS else None
            arrays.append(pa.array(values, f.type, mask=missing))
        else:
            arrays.append(pa.array(np.concatenate([np.asarray(p[f.name], dtype=object) for p in parts]), f.type))
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass(frozen=True)
class Repeated:
    """A string column given as distinct runs: ``values[i]`` repeated ``counts[i]`` times (each contact's name
    over its evidence rows, the case's over all its rows). Converted once per distinct value, then repeated
    by Arrow."""

    values: npt.NDArray[np.object_]
    counts: npt.NDArray[np.int64]


def _repeated(parts: list[Repeated | Sequence[Any]]) -> pa.Array[Any]:
    runs = [p if isinstance(p, Repeated) else Repeated(np.asarray(p, dtype=object), np.ones(len(p), np.int64))
            for p in parts]  # fmt: skip
    values = pa.array(np.concatenate([r.values for r in runs]), pa.string())
    counts = np.concatenate([np.asarray(r.counts, dtype=np.int64) for r in runs])
    return values.take(np.repeat(np.arange(len(counts)), counts))


def _micros(times: Sequence[dt.datetime]) -> npt.NDArray[np.int64]:
    """Aware datetimes as POSIX microseconds (through seconds as floats: exact to the microsecond here)."""
    return np.round(np.asarray([t.timestamp() for t in times], dtype=np.float64) * 1e6).astype(np.int64)


def _array(values: Sequence[Any], kind: pa.DataType) -> pa.Array[Any]:
    """Timestamps arrive as POSIX seconds (``datetime.timestamp()``, exact to the microsecond here): turning
    floats into microseconds in numpy is many times faster than converting aware datetimes one by one."""
    if pa.types.is_timestamp(kind):
        micros = np.round(np.asarray(values, dtype=np.float64) * 1e6).astype(np.int64)
        return pa.array(micros, pa.int64()).cast(kind)
    return pa.array(values, type=kind)


def from_results(results: list[TraceResult]) -> dict[str, pa.Table]:
    """The four tables of a list of results (tests and small runs)."""
    accumulator = TraceTables()
    for result in results:
        accumulator.add(result)
    return accumulator.tables()
