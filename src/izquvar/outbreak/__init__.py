"""Population-level tracing: every confirmed case, the chains that link them, clusters and exposure sites.

``trace_all(tracer, cases, out, as_of)`` runs everything and writes the tables documented in docs/outbreak.md;
each step (:mod:`.chains`, :mod:`.clusters`, :mod:`.exposure_sites`, :mod:`.second_degree`) also works alone on
the flattened trace tables of :mod:`.trace_tables`.
"""

from __future__ import annotations

from izquvar.outbreak.cases import ConfirmedCase, cases_from_lab, read_cases_file
from izquvar.outbreak.trace_all import OutbreakRun, trace_all

__all__ = ["ConfirmedCase", "OutbreakRun", "cases_from_lab", "read_cases_file", "trace_all"]
