"""QR check-ins (Korea's KI-Pass) at high-risk venues: not everyone scans, and half never scan out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.places import CATEGORY, Venues
from izquvar.simulate.schedule import VENUE, Stays
from izquvar.simulate.sources.common import ArrowArray, table, take, timestamps


@dataclass(frozen=True)
class CheckinDay:
    table: pa.Table
    #: Visits to venues that require a check-in: the denominator of compliance.
    eligible_visits: int


def checkins(
    stays: Stays,
    venues: Venues,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> CheckinDay:
    """The day's check-ins: scan on arrival (if compliant), scan out on leaving (if they remember)."""
    required = np.isin(venues.category, [CATEGORY[c] for c in config.checkin_categories])
    at_venue = np.flatnonzero(stays.kind == VENUE)  # venue stays always refer to a venue, never a home
    visits = at_venue[required[stays.place[at_venue]]]
    scanned = visits[rng.random(len(visits)) < config.checkin_compliance]
    start, end = stays.start[scanned], stays.end[scanned]
    check_in = np.minimum(start + rng.uniform(0.0, 3.0, len(scanned)), end)
    out = rng.random(len(scanned)) < config.checkout_share
    check_out = np.maximum(end - rng.uniform(0.0, 2.0, len(scanned)), check_in)
    out_us = clock.to_utc_us(day, check_out)
    t = table(
        "checkins",
        {
            "person": take(person_id, stays.person[scanned]),
            "venue_id": venues.venue_id[stays.place[scanned]],
            "check_in": timestamps(clock.to_utc_us(day, check_in)),
            "check_out": pa.array(out_us, mask=~out).cast(pa.timestamp("us", tz="UTC")),
        },
    )
    return CheckinDay(t, len(visits))
