"""Single-case co-location speed: izquvar's stay index against PostGIS and DuckDB on the same stays.

    python benchmarks/trace_speed.py --people 100000 [--json] [--distances 2,10,25] [--queries 100]
    python benchmarks/trace_speed.py --sim SIMDIR --json          # the simulator's truth stays
    python benchmarks/trace_speed.py --stays STAYS.parquet --json  # any Parquet stays

The question, asked of each engine for Q random cases over the whole period: "the encounters of everyone
whose stays were within D metres of the case's stays, overlapping in time, with at least 15 minutes of (union)
overlap". Each engine is a ``ColocationEngine`` of the package (izquvar.trace.engine; the deployment runs the
same classes), answers the same ``EncounterQuery`` over the *same* integer inputs (stay ids = index positions,
person ids, x and y in decimetres of the national projection, start and end in seconds since 2020-01-01 UTC,
taken from the built index) with the same semantics (izquvar.trace.colocation), and every query's contacts and
their union overlap seconds must be identical. What is timed is ``engine.encounters(query)``.

Engines (docs/tracing-engine.md, "Engines"):

* izquvar: ``GridEngine``, the numba kernel over the stay index.
* PostGIS (``PostgisEngine``; Debian postgresql-15 + postgresql-15-postgis-3, installed with apt-get when
  missing and run as a throw-away cluster on a Unix socket in a temporary directory): a table of the index's
  integers with ``geom`` and an ``int4range`` ``during``, a composite GiST index on ``(geom, during)`` and a
  B-tree on ``pid``; the query joins the case's stays to the table with ``ST_DWithin`` and ``&&`` (both
  index-assisted), sums the union of the overlaps with ``range_agg`` and returns the qualifying contacts'
  encounters. JIT is off (it only adds compile time to millisecond queries).
* DuckDB (``DuckdbEngine``): a grid-cell equi-join. For each cell size ``max(D, 10 m)`` a table of stays keyed
  by (cell, day), stays spanning midnight repeated per day, sorted by key; the case's stays are expanded to
  the 3 x 3 neighbour cells and their days, equi-joined, then filtered by exact distance and overlap, a pair
  kept only on the day its overlap starts (so no DISTINCT is needed); the union of overlaps is computed in
  one window pass (each overlap adds what lies beyond the furthest end before it).

Stays come from one of:

* ``--sim DIR``: the truth stays of a simulator run (``DIR/truth/stays``, Parquet or CSV as the run's
  ``simulation.json`` says): where everyone really was, with ``lat``/``lon`` the person's position in the
  stay's first 5-minute slot (a ride: its boarding point; see docs/simulator.md). The issue's target is stated
  on the simulator's 1,000,000 people x 14 days; a truth-only run is enough and much cheaper
  (``izquvar simulate --people 1000000 --days 14 --sources people --no-close-contacts --out DIR``: the stays
  do not depend on which feeds are written). The day partitions are read one at a time into
  ``StayIndex.build_chunks`` (bounded memory; ``benchmarks/index_memory.py`` compares it with the one-table
  build), and the build time includes the reading. ``--people`` is ignored;
* ``--stays PATH``: a Parquet file or directory with person, start, end, lat, lon (e.g. the store's derived
  ``stays``);
* neither: the synthetic generator below, ``--people`` people.

Synthetic stays (``synthetic_stays``): people live in households of about four in seven Uzbek cities
(weighted like their populations, Gaussian spread of 3-6 km around the centre); each has a workplace or
school, a few food places, shops and social venues (mosque, teahouse, market) in their city. Every day has
eight stays: night at home, a morning stop, work or school (home or a social venue for the third who do not
work, and at weekends), lunch (at work for half the workers), work again, a shop, a social venue on 40 % of
evenings (else home), evening at home; times jitter by minutes and seconds; a stay's position is its
venue's position plus a Gaussian offset scaled to the venue's size (8 m for a home, 40 m for a school).
100,000 people x 14 days give 11.2 million stays.

With ``--json`` the last line is
``{"people": N, "stays": S, "izquvar_ms": {"median": m, "p99": p}, "duckdb_ms": {...}, "postgis_ms": {...},
"same_contacts": true, ...}`` with the top-level engine figures for D = 10 m (or the first distance when 10
is not asked for), followed by ``source``, ``queries``, ``index`` (build seconds, MiB of arrays, cells, peak
resident memory of the process after the build, i.e. the build's own peak, and before it), ``peak_rss_mib`` (the
whole run's, engines included), ``load_s`` (DuckDB, PostGIS load and index
times) and ``by_distance``: for every D, each engine's median and p99, the baselines' ratios of medians
(``duckdb_over_izquvar``, ``postgis_over_izquvar``), contacts per case and whether the engines agreed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.dataset as pads

from izquvar.trace import StayIndex
from izquvar.trace.engine import ColocationEngine, GridEngine, contact_seconds, encounter_query
from izquvar.trace.engines.duckdb import DuckdbEngine
from izquvar.trace.engines.postgis import PostgisEngine
from izquvar.trace.index import EPOCH

sys.path.insert(0, str(Path(__file__).resolve().parent))
from index_memory import sim_stay_days  # a sibling script, not a package

MIN_MINUTES = 15.0
PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
PG_PACKAGES = (f"postgresql-{PG_VERSION}", f"postgresql-{PG_VERSION}-postgis-3")
DAY_S = 86_400
FIRST_DAY = datetime(2026, 3, 2, tzinfo=UTC)

# ---------------------------------------------------------------------------- synthetic stays

CITIES = (  # name, lat, lon, population weight, spread (km, one standard deviation)
    ("Tashkent", 41.311, 69.279, 0.35, 6.0),
    ("Samarkand", 39.654, 66.960, 0.15, 4.0),
    ("Namangan", 40.998, 71.672, 0.12, 3.5),
    ("Andijan", 40.783, 72.344, 0.12, 3.5),
    ("Qarshi", 38.860, 65.790, 0.10, 3.0),
    ("Bukhara", 39.767, 64.423, 0.09, 3.0),
    ("Nukus", 42.460, 59.610, 0.07, 3.0),
)
# venue type: (venues per person, position spread in metres)
VENUE_TYPES = {
    "home": (1 / 4, 8.0),
    "work": (1 / 25, 20.0),
    "school": (1 / 400, 40.0),
    "food": (1 / 50, 10.0),
    "shop": (1 / 80, 15.0),
    "social": (1 / 200, 40.0),
}


@dataclass(frozen=True)
class Venues:
    lat: np.ndarray
    lon: np.ndarray
    spread_m: np.ndarray
    #: per venue type: (first venue id of each city, one past the last), shape (n_cities + 1,)
    city_bounds: dict[str, np.ndarray]


def _make_venues(people: int, rng: np.random.Generator) -> Venues:
    weights = np.array([c[3] for c in CITIES])
    weights /= weights.sum()
    lats, lons, spreads, bounds, first = [], [], [], {}, 0
    for kind, (per_person, spread) in VENUE_TYPES.items():
        count = max(len(CITIES), round(people * per_person))
        per_city = np.maximum(1, np.round(weights * count).astype(np.int64))
        city = np.repeat(np.arange(len(CITIES)), per_city)
        km = np.array([c[4] for c in CITIES])[city]
        north = rng.normal(0.0, km) * 1000.0
        east = rng.normal(0.0, km) * 1000.0
        lat0 = np.array([c[1] for c in CITIES])[city]
        lon0 = np.array([c[2] for c in CITIES])[city]
        lats.append(lat0 + north / 111_320.0)
        lons.append(lon0 + east / (111_320.0 * np.cos(np.radians(lat0))))
        spreads.append(np.full(len(city), spread))
        bounds[kind] = first + np.concatenate([[0], np.cumsum(per_city)])
        first += len(city)
    return Venues(np.concatenate(lats), np.concatenate(lons), np.concatenate(spreads), bounds)


def _pick(venues: Venues, kind: str, city: np.ndarray, rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """Uniform venue of ``kind`` in each person's city; ``shape`` adds trailing choices per person."""
    lo = venues.city_bounds[kind][city]
    hi = venues.city_bounds[kind][city + 1]
    u = rng.random((len(city), *shape))
    extra = (slice(None),) + (None,) * len(shape)
    return (lo[extra] + np.floor(u * (hi - lo)[extra])).astype(np.int64)


def synthetic_stays(people: int, days: int = 14, seed: int = 20260302) -> pa.Table:
    """Stays of ``people`` synthetic people over ``days`` days (see the module docstring); vectorised."""
    rng = np.random.default_rng(seed)
    venues = _make_venues(people, rng)
    weights = np.array([c[3] for c in CITIES])
    city = rng.choice(len(CITIES), size=people, p=weights / weights.sum())
    home = _pick(venues, "home", city, rng, ())
    pupil = rng.random(people) < 0.25
    works = ~pupil & (rng.random(people) < 0.65)
    daytime = np.where(pupil, _pick(venues, "school", city, rng, ()), _pick(venues, "work", city, rng, ()))
    food = _pick(venues, "food", city, rng, (2,))
    shop = _pick(venues, "shop", city, rng, (3,))
    social = _pick(venues, "social", city, rng, (2,))

    shape = (people, days)
    p_idx = np.arange(people)[:, None]
    weekend = (np.arange(days) % 7 >= 5)[None, :]
    occupied = (pupil | works)[:, None] & ~weekend

    def choose(options: np.ndarray) -> np.ndarray:
        """Each person-day picks one of the person's own options of a kind (e.g. one of their shops)."""
        return options[p_idx, rng.integers(0, options.shape[1], size=shape)]

    out_day = np.where(rng.random(shape) < 0.5, home[:, None], choose(social))
    day_place = np.where(occupied, daytime[:, None], out_day)
    lunch = np.where(occupied & (rng.random(shape) < 0.5), daytime[:, None], choose(food))
    evening = np.where(rng.random(shape) < 0.4, choose(social), home[:, None])
    venue = np.stack(
        [np.broadcast_to(home[:, None], shape), choose(shop), day_place, lunch, day_place, choose(shop),
         evening, np.broadcast_to(home[:, None], shape)],
        axis=-1,
    )  # fmt: skip
    minute = 60

    def jitter(base_min: float, sd_min: float) -> np.ndarray:
        return np.rint(base_min * minute + rng.normal(0.0, sd_min * minute, shape)).astype(np.int64)

    wake = jitter(7 * 60, 20)
    bounds = [
        (np.zeros(shape, np.int64), wake),
        (wake + 10 * minute, wake + jitter(25, 5)),
        (jitter(8 * 60, 10), jitter(12 * 60, 10)),
        (jitter(12 * 60 + 10, 3), jitter(12 * 60 + 50, 8)),
        (jitter(13 * 60, 5), jitter(17 * 60 + 30, 25)),
        (jitter(17 * 60 + 50, 5), jitter(18 * 60 + 20, 10)),
        (jitter(18 * 60 + 40, 5), jitter(20 * 60 + 30, 40)),
        (jitter(21 * 60, 30), np.full(shape, DAY_S, np.int64)),
    ]
    day0 = int((FIRST_DAY - EPOCH).total_seconds())
    offset = day0 + np.arange(days, dtype=np.int64)[None, :, None] * DAY_S
    start = np.stack([b[0] for b in bounds], axis=-1) + offset
    end = np.stack([b[1] for b in bounds], axis=-1) + offset
    for slot in range(8):  # a person's stays never cross: each starts after the previous ends, lasts >= 1 min
        if slot:
            start[..., slot] = np.maximum(start[..., slot], end[..., slot - 1])
        end[..., slot] = np.maximum(end[..., slot], start[..., slot] + minute)
    venue = venue.reshape(-1)
    spread = venues.spread_m[venue]
    lat = venues.lat[venue] + rng.normal(0.0, spread) / 111_320.0
    lon = venues.lon[venue] + rng.normal(0.0, spread) / (111_320.0 * np.cos(np.radians(venues.lat[venue])))
    persons = pa.array([f"P{i:07d}" for i in range(people)]).take(pa.array(np.repeat(np.arange(people), days * 8)))
    epoch_us = int(EPOCH.timestamp()) * 1_000_000

    def to_ts(seconds: np.ndarray) -> pa.Array:
        return pa.array(seconds.reshape(-1) * 1_000_000 + epoch_us, type=pa.timestamp("us", tz="UTC"))

    return pa.table({"person": persons, "start": to_ts(start), "end": to_ts(end), "lat": lat, "lon": lon})


STAY_COLUMNS = ["person", "start", "end", "lat", "lon"]


def read_stays(path: Path) -> pa.Table:
    """Stays from Parquet (a file or a directory of files), e.g. the store's derived stays."""
    table = pads.dataset(path, format="parquet").to_table(columns=STAY_COLUMNS)
    return table


# ---------------------------------------------------------------------------- measurements


@dataclass
class Timings:
    ms: list[float]

    def summary(self) -> dict[str, float]:
        values = np.array(self.ms)
        return {
            "median": round(float(np.median(values)), 3),
            "p99": round(float(np.percentile(values, 99)), 3),
        }


Contacts = dict[int, int]  # person id -> union overlap seconds


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- PostgreSQL


PG_SETTINGS = {
    "listen_addresses": "''",
    "shared_buffers": "4GB",
    "work_mem": "256MB",
    "maintenance_work_mem": "2GB",
    "effective_cache_size": "12GB",
    "random_page_cost": "1.1",
    "jit": "off",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_wal_size": "8GB",
    "max_parallel_workers_per_gather": "2",
    "max_parallel_maintenance_workers": "2",
}


def ensure_postgis_installed() -> None:
    """apt-get the Debian packages when PostgreSQL or PostGIS is missing (root only)."""
    have_pg = (PG_BIN / "postgres").is_file()
    have_postgis = Path(f"/usr/share/postgresql/{PG_VERSION}/extension/postgis.control").is_file()
    if have_pg and have_postgis:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"PostgreSQL/PostGIS missing; as root: apt-get install {' '.join(PG_PACKAGES)}")
    log(f"installing {' '.join(PG_PACKAGES)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "-q", *PG_PACKAGES], check=True, env=env, stdout=subprocess.DEVNULL)


@contextlib.contextmanager
def postgres_cluster(workdir: Path) -> Iterator[str]:
    """A throw-away cluster on a Unix socket in ``workdir``; stopped on exit, also after an error."""
    ensure_postgis_installed()
    data = workdir / "pgdata"
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres system user
        workdir.parent.chmod(0o711)  # the postgres user must be able to reach its directory
        shutil.chown(workdir, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--no-sync"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    options = " ".join(f"-c {k}={v}" for k, v in PG_SETTINGS.items())
    options += f" -c unix_socket_directories={workdir} -c port=54329"
    subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                    str(workdir / "postgres.log"), "-w", "start"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    try:
        yield f"host={workdir} port=54329 user=postgres dbname=postgres"
    finally:
        subprocess.run([*as_user, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                       check=False, stdout=subprocess.DEVNULL)  # fmt: skip


# ---------------------------------------------------------------------------- main


def distance_summary(
    d: float, results: dict[str, dict[float, Timings]], answers: dict[str, dict[float, list[Contacts]]], same: bool
) -> dict[str, Any]:
    """One distance's figures for the JSON line: every engine's timings, the ratios and the contact counts."""
    out: dict[str, Any] = {engine: per[d].summary() for engine, per in results.items()}
    if "izquvar" in results:
        base = results["izquvar"][d].summary()["median"]
        for engine in ("duckdb", "postgis"):
            if engine in results and base > 0:
                out[f"{engine}_over_izquvar"] = round(results[engine][d].summary()["median"] / base, 1)
    reference = "izquvar" if "izquvar" in answers else next(iter(answers))
    out["contacts_per_case"] = round(statistics.mean(len(f) for f in answers[reference][d]), 1)
    out["same_contacts"] = same
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, help="synthetic people (ignored with --sim or --stays)")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--json", action="store_true", help="print the summary JSON as the last line")
    parser.add_argument("--distances", default="2,10,25", help="comma-separated D in metres")
    parser.add_argument("--queries", type=int, default=100, help="random cases per engine and distance")
    source_group = parser.add_mutually_exclusive_group()
    source_group.add_argument("--stays", type=Path, help="Parquet stays to use instead of the synthetic generator")
    source_group.add_argument("--sim", type=Path, help="a simulator output directory: its truth stays")
    parser.add_argument("--engines", default="izquvar,duckdb,postgis")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="where DuckDB/PostgreSQL files go (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.people is None and args.stays is None and args.sim is None:
        parser.error("give --people N (synthetic stays), --sim DIR or --stays PATH")
    distances = [float(d) for d in args.distances.split(",")]
    engines = set(args.engines.split(","))

    t0 = time.perf_counter()
    if args.sim:
        # day by day into the chunked build: the whole Arrow table never exists, and the engines below read
        # the index's own integer arrays, so nothing else needs it either
        source = f"simulator truth stays from {args.sim}, read day by day into the index"
        rss_before = rss_mb()
        index = StayIndex.build_chunks(sim_stay_days(args.sim))
        build_s = time.perf_counter() - t0
        log(f"{index.n_stays:,} stays ({source}) read and indexed in {build_s:.1f} s")
    else:
        if args.stays:
            stays = read_stays(args.stays)
            source = f"Parquet stays from {args.stays}"
        else:
            stays = synthetic_stays(args.people, args.days)
            source = "synthetic stays (see synthetic_stays)"
        log(f"{stays.num_rows:,} stays ({source}) in {time.perf_counter() - t0:.1f} s")
        rss_before = rss_mb()
        t0 = time.perf_counter()
        index = StayIndex.build(stays)
        build_s = time.perf_counter() - t0
        del stays
    # the engines are not loaded yet, so this is the index build's peak (with the input, except with --sim)
    rss_after_build = rss_mb()
    log(f"izquvar index: built in {build_s:.1f} s, {index.nbytes / 2**20:,.0f} MiB of arrays, "
        f"peak RSS of the build {rss_after_build:,.0f} MiB (before it {rss_before:,.0f} MiB), "
        f"{len(index.cell_keys):,} cells")  # fmt: skip

    day0 = datetime.fromtimestamp(int(EPOCH.timestamp()) + int(index.start_s.min()) // DAY_S * DAY_S, tz=UTC)
    day_end = datetime.fromtimestamp(int(EPOCH.timestamp()) + -(-int(index.end_s.max()) // DAY_S) * DAY_S, tz=UTC)
    window = (day0, day_end)
    rng = np.random.default_rng(args.seed)
    with_stays = np.flatnonzero(np.diff(index.person_offsets) > 0)
    case_ids = rng.choice(with_stays, size=args.queries, replace=args.queries > len(with_stays))
    case_names = [index.persons[int(i)].as_py() for i in case_ids]

    results: dict[str, dict[float, Timings]] = {}
    load_s: dict[str, float] = {}
    answers: dict[str, dict[float, list[Contacts]]] = {}

    def bench(name: str, engine: ColocationEngine) -> None:
        """Time ``engine.encounters`` on every case (the questions are validated before the clock starts, the
        same for every engine); the contacts and their union seconds are compared afterwards."""
        results[name], answers[name] = {}, {}
        for d in distances:
            queries = [encounter_query(index, case, *window, d, MIN_MINUTES) for case in case_names]
            asked = [q for q in queries if q is not None]
            for query in asked[:5]:  # warm-up: compile, prepare, fill caches; not timed
                engine.encounters(query)
            times, found = [], []
            for query in asked:
                t0 = time.perf_counter()
                answer = engine.encounters(query)
                times.append((time.perf_counter() - t0) * 1000.0)
                found.append(contact_seconds(index, answer))
            results[name][d], answers[name][d] = Timings(times), found
            log(f"  {name:8s} D={d:g} m: median {np.median(times):8.2f} ms, p99 {np.percentile(times, 99):8.2f} ms,"
                f" contacts/case {statistics.mean(len(f) for f in found):.1f}")  # fmt: skip

    tmp = Path(tempfile.mkdtemp(prefix="izquvar-trace-bench-", dir=args.workdir))
    try:
        if "izquvar" in engines:
            bench("izquvar", GridEngine(index))
        if "duckdb" in engines:
            t0 = time.perf_counter()
            duck = DuckdbEngine(index, tmp / "stays.duckdb", memory_limit="8GB")  # spill, not crowd the others out
            for d in distances:
                duck.prepare(d * 10.0)
            duck.connection.execute("CHECKPOINT")
            load_s["duckdb"] = round(time.perf_counter() - t0, 1)
            log(f"duckdb: loaded and gridded in {load_s['duckdb']:.1f} s")
            bench("duckdb", duck)
            duck.close()
        if "postgis" in engines:
            pgdir = tmp / "pg"
            pgdir.mkdir()
            with postgres_cluster(pgdir) as dsn:
                t0 = time.perf_counter()
                with PostgisEngine.load(dsn, index) as pg:
                    load_s["postgis"] = round(time.perf_counter() - t0, 1)
                    log(f"postgis: loaded and indexed in {load_s['postgis']:.1f} s")
                    first = encounter_query(index, case_names[0], *window, distances[0], MIN_MINUTES)
                    if first is not None:
                        log(pg.explain(first))
                    bench("postgis", pg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    same = True
    same_at = dict.fromkeys(distances, True)
    reference = "izquvar" if "izquvar" in answers else next(iter(answers))
    for engine, per_distance in answers.items():
        for d, found in per_distance.items():
            mismatches = sum(a != b for a, b in zip(found, answers[reference][d], strict=True))
            if mismatches:
                same = same_at[d] = False
                log(f"MISMATCH: {engine} vs {reference} at D={d:g} m differ on {mismatches} of {len(found)} cases")
    print(f"{index.n_stays:,} stays, {len(case_ids)} cases per engine and distance, window {window[0]:%Y-%m-%d}"
          f" .. {window[1]:%Y-%m-%d}, index build {build_s:.1f} s, {index.nbytes / 2**20:,.0f} MiB")  # fmt: skip
    for d in distances:
        line = [f"D = {d:>4g} m:"]
        for engine in ("izquvar", "duckdb", "postgis"):
            if engine in results:
                s = results[engine][d].summary()
                line.append(f"{engine} median {s['median']:.2f} ms p99 {s['p99']:.2f} ms;")
        if "izquvar" in results:
            base = results["izquvar"][d].summary()["median"]
            for engine in ("duckdb", "postgis"):
                if engine in results:
                    line.append(f"{engine}/izquvar {results[engine][d].summary()['median'] / base:.0f}x;")
        print(" ".join(line))
    print(f"identical contact sets (and overlap seconds) on every query: {same}")
    print(f"peak RSS: index build {rss_after_build:,.0f} MiB, whole run (with the engines) {rss_mb():,.0f} MiB")
    if args.json:
        d = 10.0 if 10.0 in distances else distances[0]
        summary: dict[str, Any] = {
            "people": index.n_persons if args.stays or args.sim else args.people,
            "stays": index.n_stays,
        }
        for engine in ("izquvar", "duckdb", "postgis"):
            if engine in results:
                summary[f"{engine}_ms"] = results[engine][d].summary()
        summary["same_contacts"] = same
        summary["source"] = source
        summary["queries"] = len(case_ids)
        summary["index"] = {
            "build_s": round(build_s, 1),
            "arrays_mib": round(index.nbytes / 2**20, 1),
            "cells": len(index.cell_keys),
            "peak_rss_mib": round(rss_after_build, 1),
            "rss_before_build_mib": round(rss_before, 1),
        }
        summary["peak_rss_mib"] = round(rss_mb(), 1)
        summary["load_s"] = load_s
        summary["by_distance"] = {f"{d:g}": distance_summary(d, results, answers, same_at[d]) for d in distances}
        print(json.dumps(summary))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
