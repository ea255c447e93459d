"""Distances on the Earth and one metric projection for Uzbekistan.

``haversine_m`` is the exact-enough great-circle distance for contact tracing (the spherical model is off
by at most ~0.3 % against the WGS 84 ellipsoid, i.e. 30 cm on a 100 m contact radius).

``to_metres`` projects to one national transverse Mercator (central meridian 64° E, WGS 84 ellipsoid), so grid
joins never straddle zones. Transverse Mercator's scale grows with distance from the central meridian,
k = k0 (1 + x² / 2R²): 1.0024 at Tashkent (x ≈ 440 km) and 1.0074 at the country's eastern tip (73.2° E). The
scale on the meridian, k0 = 0.9963, splits that range evenly, so planar distances are within ±0.37 % of the
ellipsoidal distance everywhere in Uzbekistan (-0.37 % on 64° E, -0.13 % in Tashkent, +0.37 % at the eastern
tip): at most 37 cm over 100 m, well below GPS error, so planar distances can be used as they are for the
10–1000 m radii izquvar works with. Use ``haversine_m`` for long distances.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
from pyproj import Transformer

#: Mean Earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_008.8

#: The national projection: transverse Mercator on 64° E, WGS 84 (a PROJ string: no EPSG code exists for it).
UZBEKISTAN_TM = "+proj=tmerc +lat_0=0 +lon_0=64 +k=0.9963 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs"

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def haversine_m(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike) -> FloatArray:
    """Great-circle distance in metres between points given in degrees; broadcasts like numpy."""
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))), dtype=np.float64)


@cache
def _forward() -> Transformer:
    return Transformer.from_crs("EPSG:4326", UZBEKISTAN_TM, always_xy=True)


@cache
def _inverse() -> Transformer:
    return Transformer.from_crs(UZBEKISTAN_TM, "EPSG:4326", always_xy=True)


def to_metres(lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Easting and northing (metres) in the national transverse Mercator, for planar grid joins."""
    x, y = _forward().transform(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def from_metres(x: ArrayLike, y: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Latitude and longitude (degrees) of national transverse Mercator coordinates; inverse of to_metres."""
    lon, lat = _inverse().transform(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return np.asarray(lat, dtype=np.float64), np.asarray(lon, dtype=np.float64)
