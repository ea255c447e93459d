"""Contact tracing: a grid-sorted stay index and the co-location query over it (who was near a case, when).

``StayIndex.build(stays)`` indexes a period's stays once; ``colocated(index, person, start, end, distance_m)``
answers one case in milliseconds; ``encounters(...)`` returns the stay pairs behind each contact.
"""

from __future__ import annotations

from izquvar.trace.colocation import CONTACT_SCHEMA, colocated, encounters
from izquvar.trace.index import StayIndex

__all__ = ["CONTACT_SCHEMA", "StayIndex", "colocated", "encounters"]
