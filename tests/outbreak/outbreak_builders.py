"""Hand-made trace results for the population-level tests: a case, its places and contacts, nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa

from izquvar.localtime import local_midnight
from izquvar.trace.disease import COVID19
from izquvar.trace.result import (
    AreaRef,
    CaseRef,
    Contact,
    ContactClass,
    Evidence,
    Place,
    Source,
    TraceResult,
    TraceSummary,
    VenueRef,
)

DAY0 = dt.date(2026, 3, 2)
AREA = AreaRef(region="Toshkent shahri", district="Chilonzor", mahalla="Qatortol")


def at(day: int, hour: float) -> dt.datetime:
    """Local (UTC+5) ``hour`` on ``DAY0 + day``, as a UTC instant."""
    return local_midnight(DAY0 + dt.timedelta(days=day)) + dt.timedelta(hours=hour)


def venue(venue_id: str, category: str = "restaurant") -> VenueRef:
    return VenueRef(venue_id=venue_id, name=f"{category} {venue_id}", category=category, indoor=True)


@dataclass
class Meeting:
    person: str
    start: dt.datetime
    end: dt.datetime
    klass: ContactClass = "close"
    risk: float = 0.5
    source: Source = "gps"
    venue_id: str | None = None


@dataclass
class Visit:
    start: dt.datetime
    end: dt.datetime
    venue_id: str | None = None
    category: str = "restaurant"
    setting: str | None = None


@dataclass
class CaseSpec:
    person: str
    onset_day: int
    isolation_day: int | None = None
    visits: Sequence[Visit] = ()
    meetings: Sequence[Meeting] = field(default_factory=list)


def result(spec: CaseSpec) -> TraceResult:
    """The TraceResult a tracer would give for ``spec`` (window: 2 days before onset to isolation or +10 d)."""
    onset = DAY0 + dt.timedelta(days=spec.onset_day)
    isolation = None if spec.isolation_day is None else DAY0 + dt.timedelta(days=spec.isolation_day)
    start = local_midnight(onset - dt.timedelta(days=2))
    end = local_midnight(isolation) if isolation else local_midnight(onset + dt.timedelta(days=10))
    places = [
        Place(
            start=v.start,
            end=v.end,
            minutes=(v.end - v.start).total_seconds() / 60,
            lat=41.3,
            lon=69.25,
            venue=venue(v.venue_id, v.category) if v.venue_id else None,
            setting=v.setting or (v.category if v.venue_id else "home"),
            area=AREA,
            sources=["gps"],
            certainty=0.9,
        )
        for v in spec.visits
    ]
    contacts = []
    for m in spec.meetings:
        minutes = (m.end - m.start).total_seconds() / 60
        contacts.append(
            Contact(
                person=m.person,
                klass=m.klass,
                risk=m.risk,
                minutes=minutes,
                max_daily_minutes=minutes,
                setting="restaurant",
                sources=[m.source],
                first_seen=m.start,
                last_seen=m.end,
                explanation=f"{minutes:.0f} min",
                evidence=[
                    Evidence(
                        source=m.source,
                        start=m.start,
                        end=m.end,
                        minutes=minutes,
                        venue=venue(m.venue_id) if m.venue_id else None,
                        distance_m=1.0,
                    )
                ],
            )
        )
    counts: dict[ContactClass, int] = {"close": 0, "casual": 0, "possible": 0}
    for c in contacts:
        counts[c.klass] += 1
    return TraceResult(
        case=CaseRef(person=spec.person, onset=onset, isolation=isolation, window_start=start, window_end=end),
        parameters={},
        places=places,
        contacts=contacts,
        summary=TraceSummary(places=len(places), contacts=counts, sources_used=["gps"], elapsed_ms=1.0),
    )


class FakeTracer:
    """Answers from prepared specs, as the real tracer would for the same data; unknown persons: NotFound."""

    profile = COVID19

    def __init__(self, specs: Sequence[CaseSpec]) -> None:
        self.specs = {s.person: s for s in specs}
        self.calls: list[tuple[str, dt.date, dt.date | None]] = []

    def trace(self, person: str, onset: dt.date, isolation: dt.date | None = None, lang: str = "en") -> TraceResult:
        from izquvar.errors import NotFound

        self.calls.append((person, onset, isolation))
        if person not in self.specs:
            raise NotFound(f"person {person!r} is not in the store")
        spec = self.specs[person]
        onset_day = (onset - DAY0).days
        iso_day = None if isolation is None else (isolation - DAY0).days
        return result(CaseSpec(spec.person, onset_day, iso_day, spec.visits, spec.meetings))


def from_specs(specs: Sequence[CaseSpec]) -> dict[str, pa.Table]:
    """The flattened tables of the specs' results."""
    from izquvar.outbreak.trace_tables import from_results

    return from_results([result(s) for s in specs])
