"""How fast izquvar's detect_stays is against trackintel's generate_staypoints, and that both agree.

    python benchmarks/stays_speed.py [--geolife DIR] [--runs 5] [--synthetic-pings 10000000] [--json]

Both run in this process on the GeoLife trajectories (11 users, 164,531 pings), each from its own natural
input (a pandas data frame for izquvar, trackintel's Positionfixes for trackintel, built outside the timing),
with the same parameters: dist 100 m, time 5 min, gap 15 min. numba is warmed first; times are medians.
Then izquvar alone on a synthetic table of 10 million pings, for a throughput in pings per second, once in
person-time order (as feeds usually arrive) and once shuffled (which adds a sort).
trackintel is a benchmark-only dependency (``pip install 'izquvar[bench]'``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from izquvar import detect_stays
from izquvar.mobility import read_geolife
from izquvar.mobility.stays import STAY_DIST_M, STAY_GAP_MIN, STAY_TIME_MIN

PARAMS = {"dist_m": STAY_DIST_M, "time_min": STAY_TIME_MIN, "gap_min": STAY_GAP_MIN}
DEFAULT_GEOLIFE = Path(__file__).resolve().parents[2] / "shared" / "data" / "geolife"


def median_seconds(run: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def trackintel_positionfixes(pings: pd.DataFrame) -> object:
    import geopandas as gpd
    import trackintel as ti

    frame = gpd.GeoDataFrame(
        {"user_id": pings["person"], "tracked_at": pings["time"], "accuracy": pings["accuracy_m"]},
        geometry=gpd.points_from_xy(pings["lon"], pings["lat"]),
        crs="EPSG:4326",
    )
    return ti.Positionfixes(frame)


def trackintel_stays(positionfixes: object) -> pd.DataFrame:
    import trackintel as ti

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dropped duplicates, pandas deprecations inside trackintel
        pfs, sp = ti.preprocessing.generate_staypoints(
            positionfixes,
            method="sliding",
            dist_threshold=PARAMS["dist_m"],
            time_threshold=PARAMS["time_min"],
            gap_threshold=PARAMS["gap_min"],
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


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> dict[str, object]:
    """Exact equality of person, start, end, n_pings; the largest coordinate difference in degrees."""
    same_rows = len(ours) == len(theirs)
    exact = same_rows and all(
        bool((ours[c].to_numpy() == theirs[c].to_numpy()).all()) for c in ("person", "start", "end", "n_pings")
    )
    max_diff = (
        float(max((ours["lat"] - theirs["lat"]).abs().max(), (ours["lon"] - theirs["lon"]).abs().max()))
        if same_rows and len(ours)
        else None
    )
    return {
        "stays_izquvar": len(ours),
        "stays_trackintel": len(theirs),
        "identical": bool(exact and max_diff is not None and max_diff < 1e-9),
        "max_coordinate_difference_deg": max_diff,
    }


def synthetic_pings(n_pings: int, seed: int = 7) -> pa.Table:
    """People who alternate between staying put (10 m jitter) and walking (40 m steps), a ping every 30 s."""
    rng = np.random.default_rng(seed)
    per_person = 5_000
    people = max(1, n_pings // per_person)
    n = people * per_person
    moving = (np.arange(n) // 40) % 3 == 2  # 40 pings still, 40 still, 40 walking, ...
    step_m = np.where(moving, 40.0, 0.0)[:, None] * rng.standard_normal((n, 2)) / np.sqrt(2)
    walk = np.cumsum(step_m.reshape(people, per_person, 2), axis=1).reshape(n, 2)
    jitter = rng.normal(0.0, 10.0, (n, 2))
    metres = walk + jitter
    lat = 41.3 + metres[:, 1] / 111_195.0
    lon = 69.25 + metres[:, 0] / (111_195.0 * np.cos(np.radians(41.3)))
    start = np.datetime64("2026-03-02T00:00:00", "us").astype(np.int64)
    times = start + np.tile(np.arange(per_person, dtype=np.int64) * 30_000_000, people)
    names = np.array([f"person-{i:06d}" for i in range(people)], dtype=object)
    return pa.table(
        {
            "person": pa.array(np.repeat(names, per_person), type=pa.string()),
            "time": pa.array(times, type=pa.timestamp("us", tz="UTC")),
            "lat": lat,
            "lon": lon,
            "accuracy_m": np.full(n, 8.0),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geolife", type=Path, default=DEFAULT_GEOLIFE, help="GeoLife root (<user>/Trajectory)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each implementation")
    parser.add_argument("--synthetic-pings", type=int, default=10_000_000)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the figures")
    args = parser.parse_args()

    pings = read_geolife(args.geolife).to_pandas()
    print(f"GeoLife: {len(pings):,} pings of {pings['person'].nunique()} users; parameters {PARAMS}")

    ours = detect_stays(pings, **PARAMS)  # compiles or loads the numba kernels
    izquvar_s = median_seconds(lambda: detect_stays(pings, **PARAMS), max(args.runs, 21))
    positionfixes = trackintel_positionfixes(pings)
    theirs = trackintel_stays(positionfixes)
    trackintel_s = median_seconds(lambda: trackintel_stays(positionfixes), args.runs)
    agreement = compare(ours, theirs)
    speedup = trackintel_s / izquvar_s
    print(f"trackintel generate_staypoints: {trackintel_s * 1e3:10.1f} ms (median of {args.runs})")
    print(f"izquvar detect_stays:           {izquvar_s * 1e3:10.2f} ms (median of {max(args.runs, 21)})")
    print(f"speedup: {speedup:.0f}x   stays: {agreement['stays_izquvar']} vs {agreement['stays_trackintel']}")
    print(
        f"identical: {agreement['identical']} (largest lat/lon difference "
        f"{agreement['max_coordinate_difference_deg']} degrees)"
    )

    figures: dict[str, object] = {
        "geolife_pings": len(pings),
        "trackintel_ms": round(trackintel_s * 1e3, 2),
        "izquvar_ms": round(izquvar_s * 1e3, 3),
        "speedup": round(speedup, 1),
        **agreement,
    }
    if args.synthetic_pings > 0:
        table = synthetic_pings(args.synthetic_pings)
        detect_stays(table.slice(0, 10_000), **PARAMS)
        shuffled = table.take(np.random.default_rng(11).permutation(table.num_rows))
        for label, pings_table in (("sorted", table), ("shuffled", shuffled)):
            seconds = median_seconds(lambda t=pings_table: detect_stays(t, **PARAMS), 3)
            stays = detect_stays(pings_table, **PARAMS)
            rate = pings_table.num_rows / seconds
            print(
                f"synthetic, {label}: {pings_table.num_rows:,} pings -> {stays.num_rows:,} stays in "
                f"{seconds:.2f} s ({rate / 1e6:.1f} M pings/s)"
            )
            figures.update(
                {
                    "synthetic_pings": pings_table.num_rows,
                    f"synthetic_{label}_seconds": round(seconds, 3),
                    f"synthetic_{label}_pings_per_second": round(rate),
                }
            )
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
