"""One strategy per data source, each with its own precision rules (docs/tracing.md lists them all)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from izquvar.trace.evidence import EvidenceSource
from izquvar.trace.sources.ble import BleSource
from izquvar.trace.sources.card import CardSource
from izquvar.trace.sources.cell import CellSource
from izquvar.trace.sources.checkins import CheckinSource
from izquvar.trace.sources.gps import GpsSource
from izquvar.trace.sources.household import HouseholdSource
from izquvar.trace.sources.roster import RosterSource
from izquvar.trace.sources.visits import VisitSource

if TYPE_CHECKING:
    from izquvar.trace.rules import TracingRules


def default_sources(rules: TracingRules | None = None) -> tuple[EvidenceSource, ...]:
    """Every source, built from ``rules`` (default: today's), in the order their evidence is listed."""
    return (
        HouseholdSource(),
        RosterSource(),
        BleSource(rules),
        GpsSource(rules),
        VisitSource(),
        CheckinSource(),
        CardSource(rules),
        CellSource(),
    )


__all__ = [
    "BleSource",
    "CardSource",
    "CellSource",
    "CheckinSource",
    "GpsSource",
    "HouseholdSource",
    "RosterSource",
    "VisitSource",
    "default_sources",
]
