"""izquvar's stays equal trackintel's ``generate_staypoints(method="sliding")`` on the real GeoLife data.

All 11 users, 164,531 pings (trackintel needs about 1.5 s per run): counts, people, start and end times and
ping counts identical, places within 1e-9 degrees. Skips where trackintel is not installed (it is a
benchmark-only dependency; CI installs it) or ../shared is absent.
"""

from __future__ import annotations

import math
import random
import warnings
from pathlib import Path

import pandas as pd
import pytest

from izquvar import detect_stays
from izquvar.mobility import _kernels, read_geolife

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def trackintel() -> object:
    return pytest.importorskip("trackintel")


@pytest.fixture(scope="module")
def geolife_pings(geolife_dir: Path) -> pd.DataFrame:
    return read_geolife(geolife_dir).to_pandas()


def trackintel_stays(
    trackintel: object,
    pings: pd.DataFrame,
    dist_m: float,
    time_min: float,
    gap_min: float,
    include_last: bool,
) -> pd.DataFrame:
    import geopandas as gpd
    import trackintel as ti

    frame = gpd.GeoDataFrame(
        {"user_id": pings["person"], "tracked_at": pings["time"], "accuracy": pings["accuracy_m"]},
        geometry=gpd.points_from_xy(pings["lon"], pings["lat"]),
        crs="EPSG:4326",
    )
    with warnings.catch_warnings():
        # trackintel warns about the duplicates it drops (GeoLife repeats some pings), empty results and
        # pandas deprecations of its own: none of them concern the comparison.
        warnings.simplefilter("ignore")
        pfs, sp = ti.Positionfixes(frame).generate_staypoints(
            method="sliding",
            dist_threshold=dist_m,
            time_threshold=time_min,
            gap_threshold=gap_min,
            include_last=include_last,
        )
    n_pings = pfs.groupby("staypoint_id").size().reindex(sp.index)
    return pd.DataFrame(
        {
            "person": sp["user_id"].astype(str).to_numpy(),
            "start": sp["started_at"].to_numpy(),
            "end": sp["finished_at"].to_numpy(),
            "lat": sp.geometry.y.to_numpy(),
            "lon": sp.geometry.x.to_numpy(),
            "n_pings": n_pings.to_numpy(),
        }
    )


@pytest.mark.parametrize(
    ("dist_m", "time_min", "gap_min", "include_last"),
    [(100, 5, 15, False), (100, 5, 15, True), (50, 2, 5, False), (200, 10, 30, True)],
)
def test_geolife_stays_equal_trackintel(
    trackintel: object,
    geolife_pings: pd.DataFrame,
    dist_m: float,
    time_min: float,
    gap_min: float,
    include_last: bool,
) -> None:
    want = trackintel_stays(trackintel, geolife_pings, dist_m, time_min, gap_min, include_last)
    got = detect_stays(geolife_pings, dist_m, time_min, gap_min, include_last=include_last)
    assert len(geolife_pings) == 164_531
    assert len(want) > 200
    assert len(got) == len(want)
    assert (got["person"].to_numpy() == want["person"].to_numpy()).all()
    assert (got["start"].to_numpy() == want["start"].to_numpy()).all()
    assert (got["end"].to_numpy() == want["end"].to_numpy()).all()
    assert (got["n_pings"].to_numpy() == want["n_pings"].to_numpy()).all()
    assert (got["lat"] - want["lat"]).abs().max() < 1e-9
    assert (got["lon"] - want["lon"]).abs().max() < 1e-9


def test_distance_is_trackintel_to_the_last_bit(trackintel: object) -> None:
    from trackintel.geogr import point_haversine_dist

    rng = random.Random(2008)
    for _ in range(20_000):
        lat, lon = rng.uniform(-89, 89), rng.uniform(-180, 180)
        scale = 10 ** rng.uniform(-6, 1)
        pair = (
            lon,
            lat,
            lon + rng.uniform(-scale, scale),
            max(-90.0, min(90.0, lat + rng.uniform(-scale, scale))),
        )
        want = point_haversine_dist(*pair, float_flag=True)
        got = _kernels.great_circle_m(*pair)
        assert got == want or (math.isnan(got) and math.isnan(want))
