"""Builders for hand-made pings: people walking along the equator, where metres convert to degrees simply."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

#: Metres per degree of longitude on the equator of trackintel's 6,371 km sphere.
METRES_PER_DEGREE = 6_371_000.0 * math.pi / 180.0
T0 = pd.Timestamp("2026-03-02T08:00:00Z")


def east(metres: float) -> float:
    """Longitude of a point ``metres`` east of (0, 0) on the equator."""
    return metres / METRES_PER_DEGREE


def pings_frame(rows: Sequence[tuple[str, float, float, float]], accuracy_m: float = 5.0) -> pd.DataFrame:
    """Pings from (person, minutes after T0, metres east, metres north) in the GPS feed format."""
    return pd.DataFrame(
        {
            "person": pd.Series([r[0] for r in rows], dtype="str"),
            "time": pd.Series([T0 + pd.Timedelta(minutes=r[1]) for r in rows], dtype="datetime64[us, UTC]"),
            "lat": [east(r[3]) for r in rows],
            "lon": [east(r[2]) for r in rows],
            "accuracy_m": [accuracy_m] * len(rows),
        }
    )


def reference_stays(
    frame: pd.DataFrame, dist_m: float, time_min: float, gap_min: float, include_last: bool = False
) -> list[tuple[str, pd.Timestamp, pd.Timestamp, float, float, int]]:
    """The sliding definition written out plainly, one ping at a time, to check the compiled kernel against.

    Follows trackintel's ``generate_staypoints(method="sliding")``: drop exact duplicate rows, sort each
    person's pings by time (ties keep input order), restart after a gap, close a stay when a ping is at least
    ``dist_m`` from the stay's first ping and the stay lasted at least ``time_min``; the place is the circular
    mean of the stay's distinct locations.
    """
    time_threshold = pd.Timedelta(time_min, unit="min")
    gap_threshold = pd.Timedelta(gap_min, unit="min")
    rows = frame[["person", "time", "lat", "lon", "accuracy_m"]].drop_duplicates()
    stays = []
    for person in sorted(set(rows["person"])):
        mine = rows[rows["person"] == person].sort_values("time", kind="stable")
        times = list(mine["time"])
        lats = list(mine["lat"])
        lons = list(mine["lon"])

        start = curr = 0
        for curr in range(1, len(times)):
            if times[curr] - times[curr - 1] > gap_threshold:
                start = curr
                continue
            if great_circle(lons[start], lats[start], lons[curr], lats[curr]) >= dist_m:
                if times[curr] - times[start] >= time_threshold:
                    stays.append(
                        (
                            person,
                            times[start],
                            times[curr],
                            *_centroid(lons[start:curr], lats[start:curr]),
                            curr - start,
                        )
                    )
                start = curr
        if include_last and times[curr] - times[start] >= time_threshold:
            stays.append(
                (
                    person,
                    times[start],
                    times[curr],
                    *_centroid(lons[start:], lats[start:]),
                    len(times) - start,
                )
            )
    return stays


def _centroid(lons: list[float], lats: list[float]) -> tuple[float, float]:
    """Latitude mean and circular longitude mean of the distinct (lon, lat) pairs."""
    distinct = sorted({(lon + 0.0, lat + 0.0) for lon, lat in zip(lons, lats, strict=True)})
    lat = sum(p[1] for p in distinct) / len(distinct)
    sin = sum(math.sin(math.radians(p[0])) for p in distinct) / len(distinct)
    cos = sum(math.cos(math.radians(p[0])) for p in distinct) / len(distinct)
    return lat, math.degrees(math.atan2(sin, cos))


def great_circle(lon_1: float, lat_1: float, lon_2: float, lat_2: float) -> float:
    """trackintel's ``point_haversine_dist(..., float_flag=True)``, copied operation for operation."""
    lon_1, lat_1, lon_2, lat_2 = map(math.radians, (lon_1, lat_1, lon_2, lat_2))
    cos_lat_d = math.cos(lat_1 - lat_2)
    cos_lon_d = math.cos(lon_1 - lon_2)
    return 6_371_000 * math.acos(cos_lat_d - math.cos(lat_1) * math.cos(lat_2) * (1 - cos_lon_d))
