"""One strategy per data source, each with its own precision rules (docs/tracing.md lists them all)."""

from __future__ import annotations

from izquvar.trace.evidence import EvidenceSource
from izquvar.trace.rules import DEFAULT_RULES, TracingRules
from izquvar.trace.sources.ble import BleSource
from izquvar.trace.sources.card import CardSource
from izquvar.trace.sources.cell import CellSource
from izquvar.trace.sources.checkins import CheckinSource
from izquvar.trace.sources.gps import GpsSource
from izquvar.trace.sources.household import HouseholdSource
from izquvar.trace.sources.interview import InterviewSource
from izquvar.trace.sources.roster import RosterSource
from izquvar.trace.sources.visits import VisitSource


def default_sources(rules: TracingRules = DEFAULT_RULES) -> tuple[EvidenceSource, ...]:
    """Every source, each built from its section of ``rules``, in the order their evidence is listed."""
    return (
        HouseholdSource(rules.household, rules.home_radius_m),
        RosterSource(rules.roster, rules.venues),
        BleSource(rules.ble),
        GpsSource(rules.gps, rules.home_radius_m),
        VisitSource(rules.visits, rules.home_radius_m),
        CheckinSource(rules.checkins),
        CardSource(rules.card),
        CellSource(rules.cell, rules.checkins),
        InterviewSource(rules.interview),
    )


__all__ = [
    "BleSource",
    "CardSource",
    "CellSource",
    "CheckinSource",
    "GpsSource",
    "HouseholdSource",
    "InterviewSource",
    "RosterSource",
    "VisitSource",
    "default_sources",
]
