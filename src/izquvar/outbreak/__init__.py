"""Population-level tracing: every confirmed case, the chains that link them, clusters and exposure sites.

``trace_all(tracer, cases, out, as_of)`` runs everything and writes the tables documented in docs/outbreak.md;
each step (:mod:`.chains`, :mod:`.clusters`, :mod:`.exposure_sites`, :mod:`.second_degree`) also works alone on
the flattened trace tables of :mod:`.tables`.
"""

from __future__ import annotations

from izquvar.outbreak.cases import Case, cases_from_lab, read_cases_file
from izquvar.outbreak.run import OutbreakRun, trace_all

__all__ = ["Case", "OutbreakRun", "cases_from_lab", "read_cases_file", "trace_all"]
