"""How fast AreaIndex.locate places points in Tashkent, against a plain shapely STRtree, and that both agree.

    python benchmarks/areas_speed.py [--points 1000000] [--seed 7]

The baseline is what one would write without the grid: an STRtree per level queried with
``predicate="within"``. Both must give the same region, district and mahalla for every point.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import shapely

from izquvar.geo.areas import LEVELS, TASHKENT_CITY_ID, AreaIndex


def strtree_locate(index: AreaIndex, lat: np.ndarray, lon: np.ndarray) -> pa.Table:
    """Region, district and mahalla per point from one STRtree per level (first hit where areas overlap)."""
    points = shapely.points(lon, lat)
    columns = {}
    for level in LEVELS:
        geoms = index.geometries(level)
        ids = np.array(list(geoms), dtype=object)
        tree = shapely.STRtree(list(geoms.values()))
        point_idx, area_idx = tree.query(points, predicate="within")
        found = np.full(len(points), None, dtype=object)
        order = np.lexsort((area_idx, point_idx))[::-1]  # lowest area index written last, so it wins
        found[point_idx[order]] = ids[area_idx[order]]
        columns[f"{level}_id"] = pa.array(found, type=pa.string())
    return pa.table(columns)


def best_of(runs: int, work: Callable[[], pa.Table]) -> tuple[pa.Table, float, float]:
    """The result and the best wall and CPU times of ``runs`` runs (CPU time is robust to a busy machine)."""
    wall, cpu = float("inf"), float("inf")
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = work()
        wall, cpu = min(wall, time.perf_counter() - w0), min(cpu, time.process_time() - c0)
    return result, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    index = AreaIndex.default()
    minx, miny, maxx, maxy = index.geometry(TASHKENT_CITY_ID).bounds
    rng = np.random.default_rng(args.seed)
    lat = rng.uniform(miny, maxy, args.points)
    lon = rng.uniform(minx, maxx, args.points)

    t0 = time.perf_counter()
    index.locate(lat[:10], lon[:10])  # builds the grids once
    build_s = time.perf_counter() - t0
    ours, ours_s, ours_cpu = best_of(3, lambda: index.locate(lat, lon))
    baseline, base_s, base_cpu = best_of(1, lambda: strtree_locate(index, lat, lon))

    identical = ours.equals(baseline)
    outside = ours["mahalla_id"].null_count
    print(f"points: {args.points:,} in Tashkent city's bounding box ({outside:,} outside any mahalla)")
    print(f"grid build (once per process): {build_s:.2f} s")
    print(f"AreaIndex.locate: {args.points / ours_s:,.0f} points/s ({args.points / ours_cpu:,.0f} per CPU second)")
    print(f"STRtree within:   {args.points / base_s:,.0f} points/s ({args.points / base_cpu:,.0f} per CPU second)")
    print(f"speed-up: {base_s / ours_s:.1f}x; identical answers: {identical}")
    if not identical:
        differ = sum(not ours[c].equals(baseline[c]) for c in ours.column_names)
        raise SystemExit(f"answers differ in {differ} column(s)")


if __name__ == "__main__":
    main()
