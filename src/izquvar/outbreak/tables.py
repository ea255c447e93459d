"""Trace results as columnar tables: what every population-level step (chains, clusters, sites) reads.

A :class:`~izquvar.trace.result.TraceResult` is a tree of small pydantic objects, right for one case and one
report. Thousands of cases are compared with joins, so :class:`TraceTables` flattens each result once, as it
arrives, into four Arrow tables keyed by the case's pseudonym: ``cases``, ``places``, ``contacts`` and
``evidence`` (one row per observation behind a contact). Column names are documented in docs/outbreak.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from izquvar.outbreak._arrow import schema
from izquvar.trace.result import TraceResult

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


#: Rows of one table kept as Python tuples before they are converted to Arrow: bounds memory and keeps the
#: garbage collector from rescanning millions of live tuples while thousands of cases are traced.
FLUSH_ROWS = 50_000


class TraceTables:
    """Accumulates trace results as row tuples (one ``append`` per row, the cheapest thing Python does),
    converted to Arrow every :data:`FLUSH_ROWS` rows. Times are kept as POSIX seconds until then."""

    def __init__(self, flush_rows: int = FLUSH_ROWS) -> None:
        self._rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in SCHEMAS}
        self._chunks: dict[str, list[pa.Table]] = {name: [] for name in SCHEMAS}
        self._flush_rows = flush_rows

    def add(self, result: TraceResult) -> None:
        """Append one case's places, contacts and evidence."""
        case = result.case.person
        counts = result.summary.contacts
        ref = result.case
        self._rows["cases"].append(
            (
                case, ref.onset, ref.isolation, ref.window_start.timestamp(), ref.window_end.timestamp(),
                len(result.places),
                counts.get("close", 0), counts.get("casual", 0), counts.get("possible", 0),
            )
        )  # fmt: skip
        places = self._rows["places"]
        for p in result.places:
            v, a = p.venue, p.area
            places.append(
                (
                    case, p.start.timestamp(), p.end.timestamp(), p.minutes, p.lat, p.lon,
                    v.venue_id if v else None, v.name if v else None, v.category if v else None,
                    v.indoor if v else None, p.setting, a.region_id, a.region, a.district_id, a.district,
                    a.mahalla_id, a.mahalla, p.sources, p.certainty,
                )
            )  # fmt: skip
        contacts, evidence = self._rows["contacts"], self._rows["evidence"]
        for c in result.contacts:
            person = c.person
            contacts.append(
                (
                    case, person, c.klass, c.risk, c.minutes, c.max_daily_minutes, c.closest_m,
                    c.strongest_attenuation_db, c.setting, c.sources, c.first_seen.timestamp(),
                    c.last_seen.timestamp(), c.explanation,
                )
            )  # fmt: skip
            for e in c.evidence:
                evidence.append(
                    (
                        case, person, e.source, e.start.timestamp(), e.end.timestamp(), e.minutes,
                        e.venue.venue_id if e.venue else None,
                        e.lat, e.lon, e.distance_m, e.attenuation_db,
                    )
                )  # fmt: skip
        for name, rows in self._rows.items():
            if len(rows) >= self._flush_rows:
                self._chunks[name].append(self._convert(name, rows))
                rows.clear()

    def table(self, name: str) -> pa.Table:
        """One of ``cases``, ``places``, ``contacts``, ``evidence`` with its documented schema."""
        return pa.concat_tables([*self._chunks[name], self._convert(name, self._rows[name])])

    @staticmethod
    def _convert(name: str, rows: list[tuple[Any, ...]]) -> pa.Table:
        schema = SCHEMAS[name]
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
        return pa.Table.from_arrays(
            [_array(column, f.type) for column, f in zip(columns, schema, strict=True)], schema=schema
        )

    def tables(self) -> dict[str, pa.Table]:
        return {name: self.table(name) for name in SCHEMAS}


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
