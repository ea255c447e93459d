"""Great-circle distance and the national metric projection."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from izquvar.geo.distance import EARTH_RADIUS_M, from_metres, haversine_m, to_metres

TASHKENT = (41.2995, 69.2401)
SAMARKAND = (39.6542, 66.9597)


def test_haversine_known_distance() -> None:
    # Tashkent–Samarkand city centres: 266.0 km on the WGS 84 ellipsoid; the sphere is within 0.3 %.
    assert haversine_m(*TASHKENT, *SAMARKAND) == pytest.approx(266_010, rel=0.003)


def test_haversine_quarter_meridian_and_zero() -> None:
    assert haversine_m(0.0, 0.0, 90.0, 0.0) == pytest.approx(np.pi / 2 * EARTH_RADIUS_M)
    assert haversine_m(*TASHKENT, *TASHKENT) == 0.0


def test_haversine_is_vectorised_and_broadcasts() -> None:
    lat = np.array([41.0, 41.001, 41.01])
    d = haversine_m(lat, 69.0, 41.0, 69.0)
    assert d.shape == (3,)
    np.testing.assert_allclose(d, [0.0, 111.2, 1112.0], rtol=0.002)


def test_to_metres_round_trips() -> None:
    rng = np.random.default_rng(3)
    lat = rng.uniform(37.2, 45.6, 1000)
    lon = rng.uniform(56.0, 73.2, 1000)
    x, y = to_metres(lat, lon)
    lat2, lon2 = from_metres(x, y)
    np.testing.assert_allclose(lat2, lat, atol=1e-9)
    np.testing.assert_allclose(lon2, lon, atol=1e-9)


@pytest.mark.parametrize(
    ("lat", "lon", "scale_error"),
    [(41.0, 64.0, -0.0037), (41.3, 69.24, -0.0013), (40.8, 73.2, 0.0037), (43.0, 56.0, 0.0015)],
)
def test_projection_scale_error_is_as_documented(lat: float, lon: float, scale_error: float) -> None:
    """Planar distance over 100 m, in 16 directions, against the ellipsoidal geodesic."""
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    lat1 = lat + 100 / 111_320 * np.cos(angles)
    lon1 = lon + 100 / (111_320 * np.cos(np.radians(lat))) * np.sin(angles)
    x0, y0 = to_metres(lat, lon)
    x1, y1 = to_metres(lat1, lon1)
    geodesic = Geod(ellps="WGS84").inv(np.full(16, lon), np.full(16, lat), lon1, lat1)[2]
    error = np.hypot(x1 - x0, y1 - y0) / geodesic - 1
    np.testing.assert_allclose(error, scale_error, atol=0.0002)
    assert np.all(np.abs(error) < 0.0038)
