"""izquvar: outbreak investigation and contact tracing.

The public Python API:

- ``izquvar.open_store(path)``: the location store (ingest, SQL, info, purge, pseudonyms) and tracing on it.
- ``izquvar.detect_stays(pings, dist_m=100, time_min=5, gap_min=15)``: stays from GPS pings.
"""

from __future__ import annotations

__version__ = "0.1.0"

from izquvar.locations import LocationStore, open_store
from izquvar.mobility.stays import detect_stays

__all__ = ["LocationStore", "__version__", "detect_stays", "open_store"]
