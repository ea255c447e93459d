"""The outbreak simulator: a synthetic Tashkent whose people live, meet, infect, get tested and leave data.

``simulate(config, out)`` writes every feed of formats/feeds.py with realistic imperfections, and the ground truth
(stays, close contacts, infections, cases) beside it. docs/simulator.md describes the model and its sources.
"""

from __future__ import annotations

from izquvar.simulate.config import ALL_SOURCES, SimConfig
from izquvar.simulate.simulation import SimSummary, simulate

__all__ = ["ALL_SOURCES", "SimConfig", "SimSummary", "simulate"]
