"""Trace results as columnar tables: what every population-level step (chains, clusters, sites) reads.

A :class:`~izquvar.trace.result.TraceResult` is a tree of small pydantic objects, right for one case and one
report. Thousands of cases are compared with joins, so :class:`TraceTables` flattens each result once, as it
arrives, into four Arrow tables keyed by the case's pseudonym: ``cases``, ``places``, ``contacts`` and
``evidence`` (one row per observation behind a contact). Column names are documented in docs/outbreak.md.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

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


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


class TraceTables:
    """Accumulates trace results column by column; :meth:`tables` returns them as Arrow tables."""

    def __init__(self) -> None:
        self._columns: dict[str, dict[str, list[Any]]] = {name: defaultdict(list) for name in SCHEMAS}

    def add(self, result: TraceResult) -> None:
        """Append one case's places, contacts and evidence."""
        case = result.case.person
        counts = result.summary.contacts
        self._append(
            "cases",
            person=case,
            onset=result.case.onset,
            isolation=result.case.isolation,
            window_start=_utc(result.case.window_start),
            window_end=_utc(result.case.window_end),
            places=len(result.places),
            close=counts.get("close", 0),
            casual=counts.get("casual", 0),
            possible=counts.get("possible", 0),
        )
        for place in result.places:
            venue, area = place.venue, place.area
            self._append(
                "places",
                case=case,
                start=_utc(place.start),
                end=_utc(place.end),
                minutes=place.minutes,
                lat=place.lat,
                lon=place.lon,
                venue_id=venue.venue_id if venue else None,
                venue_name=venue.name if venue else None,
                category=venue.category if venue else None,
                indoor=venue.indoor if venue else None,
                setting=place.setting,
                region_id=area.region_id,
                region=area.region,
                district_id=area.district_id,
                district=area.district,
                mahalla_id=area.mahalla_id,
                mahalla=area.mahalla,
                sources=list(place.sources),
                certainty=place.certainty,
            )
        for contact in result.contacts:
            self._append(
                "contacts",
                case=case,
                contact=contact.person,
                klass=contact.klass,
                risk=contact.risk,
                minutes=contact.minutes,
                max_daily_minutes=contact.max_daily_minutes,
                closest_m=contact.closest_m,
                strongest_attenuation_db=contact.strongest_attenuation_db,
                setting=contact.setting,
                sources=list(contact.sources),
                first_seen=_utc(contact.first_seen),
                last_seen=_utc(contact.last_seen),
                explanation=contact.explanation,
            )
            for item in contact.evidence:
                self._append(
                    "evidence",
                    case=case,
                    contact=contact.person,
                    source=item.source,
                    start=_utc(item.start),
                    end=_utc(item.end),
                    minutes=item.minutes,
                    venue_id=item.venue.venue_id if item.venue else None,
                    lat=item.lat,
                    lon=item.lon,
                    distance_m=item.distance_m,
                    attenuation_db=item.attenuation_db,
                )

    def _append(self, name: str, **values: Any) -> None:
        columns = self._columns[name]
        for key, value in values.items():
            columns[key].append(value)

    def table(self, name: str) -> pa.Table:
        """One of ``cases``, ``places``, ``contacts``, ``evidence`` with its documented schema."""
        schema = SCHEMAS[name]
        columns = self._columns[name]
        return pa.Table.from_arrays([pa.array(columns.get(f.name, []), type=f.type) for f in schema], schema=schema)

    def tables(self) -> dict[str, pa.Table]:
        return {name: self.table(name) for name in SCHEMAS}


def from_results(results: list[TraceResult]) -> dict[str, pa.Table]:
    """The four tables of a list of results (tests and small runs)."""
    accumulator = TraceTables()
    for result in results:
        accumulator.add(result)
    return accumulator.tables()
