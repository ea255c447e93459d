"""Mobility: from raw location pings to the stays (place, time span) that contact matching works on."""

from __future__ import annotations

from izquvar.mobility.geolife import read_geolife
from izquvar.mobility.stays import detect_stays

__all__ = ["detect_stays", "read_geolife"]
