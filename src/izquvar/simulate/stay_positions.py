"""Where each truth stay took place on the map: the person's position in the stay's first 5-minute slot.

Truth stays name a place and a zone; tools that work on coordinates (the tracing speed benchmark, spatial
checks of a tracer) need the point as well. The point is read from the slot positions co-presence already drew,
so no random number is drawn and every other output stays the same. The first slot is used rather than the
mean over the stay: it is a place the person really stood, whereas the mean of someone walking about a bazaar
is the middle of the row where perhaps nobody stood, and the mean of a night at home blurs bedroom and living
room. Rides and stays too short to own a slot have no slot position and take a point from the schedule instead
(see :meth:`StayPositions.lat_lon`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from izquvar.simulate.city import to_lat_lon
from izquvar.simulate.copresence import PlaceGeometry, SlotRows, absolute_xy
from izquvar.simulate.schedule import RIDE, Stays

FloatArray = npt.NDArray[np.float64]


class StayPositions:
    """City-metre positions of one day's stays, filled chunk by chunk from the slot rows of their places."""

    def __init__(self, stays: Stays) -> None:
        self.stays = stays
        self.x: FloatArray = np.full(stays.size, np.nan)
        self.y: FloatArray = np.full(stays.size, np.nan)

    def add(self, rows: SlotRows, geometry: PlaceGeometry) -> None:
        """Record the first-slot position of every stay in ``rows`` (one chunk of places).

        ``expand`` lays out a stay's slots consecutively in time order, so a stay's first row is where the
        stay index changes.
        """
        if len(rows.stay) == 0:
            return
        first = np.flatnonzero(np.r_[True, rows.stay[1:] != rows.stay[:-1]])
        x, y = absolute_xy(rows, geometry, first)
        self.x[rows.stay[first]] = x
        self.y[rows.stay[first]] = y

    def lat_lon(self, geometry: PlaceGeometry) -> tuple[FloatArray, FloatArray]:
        """WGS 84 latitude and longitude of every stay, rounded like device fixes.

        - a ride is at its boarding point (``Stays.x0``/``y0``): vehicles have no track geometry, so the
          carriage's slot position is relative to a representative point of the line, not a place on the map;
          the boarding point is also where the GPS feed puts the rider when the ride starts;
        - a stay that covers no slot midpoint (shorter than 5 minutes, or cut at midnight) is at its place's
          reference point, the centre of its zone.
        """
        s = self.stays
        x, y = self.x.copy(), self.y.copy()
        missing = np.isnan(x)
        x[missing] = geometry.x[s.place[missing]]
        y[missing] = geometry.y[s.place[missing]]
        ride = s.kind == RIDE
        x[ride] = s.x0[ride]
        y[ride] = s.y0[ride]
        return to_lat_lon(x, y)
