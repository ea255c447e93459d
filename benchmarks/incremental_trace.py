"""An index that grows: the time to the first trace result after a batch lands, against a full rebuild.

    python benchmarks/incremental_trace.py --sim SIMDIR --work WORKDIR [--rounds 1] [--scenarios every,lab,gps]
                                           [--gps-share 0.01] [--json]

``SIMDIR`` is a simulator run (``izquvar simulate --people N --days D --seed S --out SIMDIR``), only read.
``WORKDIR`` holds what the benchmark makes (prepared once per simulation, reused by later runs):

* ``pristine/``: a store with every UTC day of the run but the last ingested, one day per batch (a fortnight of
  100,000 people in one batch exceeds the memory of a small machine), the reference tables (people, venues,
  towers, merchants, rosters, areas when written) in the first batch; then its index made warm: a tracer built,
  which keeps the stay index and the operator records (one segment per day partition and their merge,
  ``index/stays``, ``index/cell``), the per-person tables (``index/trace``) and the places' areas
  (``index/places``). The simulator writes event feeds one file per UTC day
  (``<kind>/day=YYYY-MM-DD/``, the day the store partitions them by); a feed written as one file is split by the
  UTC day of its time column into a file per day under ``WORKDIR/split``.
* ``store/``: a copy of ``pristine/`` made afresh before each measurement, so each starts from the same state.

The case traced is the first lab-confirmed case (first positive specimen date as the onset) whose onset lies
inside the data, else a registered person with an onset drawn in the data's middle. Scenarios, each a batch
ingested into the prepared store:

* ``every``: one more day, every feed: the last day's files of every feed;
* ``lab``: a small batch: the last day's lab results alone (a few rows; no part of the index reads lab results);
* ``gps``: a GPS upload: the last day's pings of ``--gps-share`` of the phones (a few minutes' upload from a
  city).

For each, one child process per measurement, one after the other (clean timings and peak memory, and the same
minute of a noisy machine for the figures compared):

* after (refresh): a process whose tracer was loaded from the warm index (and traced the case once) ingests the
  batch, then ``LocationStore.tracer()`` refreshes the tracer (reusing what the batch did not change) and traces
  the case: refresh seconds + trace seconds is the time to the first result;
* ingest: the batch ingested by a process of its own (its seconds);
* new process: a process opening the store after that ingest loads a tracer (it maps what was kept and builds
  and keeps what changed) and traces the case;
* before (rebuild): the same with the store's ``index`` directory removed, everything built from the rows: what
  every batch cost before the index grew per day.

What each rebuilt is read off the index directory before and after: stay segments (``index/stays/day-*``) and
operator-record segments (``index/cell/day-*``) built against those kept, and whether their merges (``all-*``),
the per-person tables (``index/trace/*``) and the places' areas (``index/places/*``) were built; for the refresh
also which of those parts the tracer kept in memory (the same objects). Each load's seconds are split by part
(stays, cell, tables, places) by timing the loader's ``day_indexed`` and ``_kept``. The three results of a
scenario must be identical (a digest of the result, elapsed time left out): a mismatch is reported and exits
non-zero. With ``--json`` the last line is a JSON object of every figure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

#: Bumped when what ``prepare`` makes changes: an older preparation is then made again.
PREPARE_VERSION = 2
SCENARIOS = ("every", "lab", "gps")
TITLES = {"every": "one more day, every feed", "lab": "a small batch: lab results", "gps": "a GPS upload"}
MEASURES = ("after", "new process", "before")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------------------- the simulation's files by day


def _feed_files(directory: Path) -> list[Path]:
    from izquvar.formats import SUFFIXES

    return sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)


def _split_by_day(path: Path, kind: str, out: Path) -> dict[str, Path]:
    """A feed written as one Parquet file, split by the UTC day of the column the store partitions it by."""
    from izquvar.formats import DAY_COLUMNS

    if path.suffix.lower() not in (".parquet", ".pq"):
        raise SystemExit(f"{path}: a {kind} feed not written per day can only be split when it is Parquet")
    table = pq.read_table(path)
    column = table.column(DAY_COLUMNS[kind])
    if pa.types.is_timestamp(column.type):
        micros = pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64()).to_numpy(zero_copy_only=False)
        days = np.floor_divide(micros, 86_400_000_000)
    else:
        days = pc.cast(column, pa.int32()).to_numpy(zero_copy_only=False).astype(np.int64)
    files: dict[str, Path] = {}
    for number in np.unique(days):
        day = (dt.date(1970, 1, 1) + dt.timedelta(days=int(number))).isoformat()
        target = out / kind / f"day={day}" / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.filter(pa.array(days == number)), target)
        files[day] = target
    return files


def sim_layout(sim: Path, split_dir: Path) -> dict[str, Any]:
    """The run's reference files and, per UTC day, the files of every event feed (split when not per day)."""
    from izquvar.formats import KINDS, SUFFIXES, is_partitioned

    reference: list[str] = []
    by_day: dict[str, list[str]] = {}
    for name in KINDS:
        if not is_partitioned(name):
            reference += [str(sim / f"{name}{ext}") for ext in SUFFIXES if (sim / f"{name}{ext}").is_file()]
            continue
        directory = sim / name
        if directory.is_dir():
            for day_dir in sorted(directory.glob("day=*")):
                by_day.setdefault(day_dir.name[4:], []).extend(str(p) for p in _feed_files(day_dir))
        else:
            for ext in (".parquet", ".pq", ".csv"):
                if (sim / f"{name}{ext}").is_file():
                    for day, path in _split_by_day(sim / f"{name}{ext}", name, split_dir).items():
                        by_day.setdefault(day, []).append(str(path))
    if not reference or len(by_day) < 2:
        raise SystemExit(f"{sim}: expected reference tables and event feeds of at least two days")
    return {"reference": reference, "days": {day: by_day[day] for day in sorted(by_day)}}


def _sim_fingerprint(sim: Path) -> str:
    """What identifies a simulation: its ``simulation.json`` when written, else its files' names and sizes."""
    described = sim / "simulation.json"
    if described.is_file():
        return hashlib.sha256(described.read_bytes()).hexdigest()
    listing = "\n".join(f"{p.relative_to(sim)} {p.stat().st_size}" for p in sorted(sim.rglob("*")) if p.is_file())
    return hashlib.sha256(listing.encode()).hexdigest()


def _kind_of(path: str) -> str:
    from izquvar.formats import kind_from_path

    return kind_from_path(Path(path)).name


def gps_sample(files: list[str], share: float, out: Path, seed: int = 1) -> tuple[list[str], int]:
    """The pings of ``share`` of the phones among ``files`` (GPS files of one day): one file, and its persons."""
    table = pa.concat_tables([pq.read_table(f) for f in files])
    persons = pc.unique(table.column("person")).sort()
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(persons), size=max(1, round(len(persons) * share)), replace=False)
    sample = table.filter(pc.is_in(table.column("person"), value_set=persons.take(pa.array(np.sort(chosen)))))
    target = out / "gps" / Path(files[0]).parent.name / "part-0.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(sample, target)
    return [str(target)], len(chosen)


# ---------------------------------------------------------------------------- child processes


#: The index cache's directories the loader keeps its parts in (``trace/trace_data.py``), and each part's label.
INDEX_PARTS = {"stays": "stay segments", "cell": "operator-record segments", "trace": "per-person tables",
               "places": "place areas"}  # fmt: skip


def _index_listing(root: Path) -> dict[str, list[str]]:
    """What a store's index directory keeps, by part: day segments (``day-*``) and their merges (``all-*``) of the
    stays and of the operator records, the per-person tables and the places' areas (one directory per set of
    partition versions each)."""
    listing: dict[str, list[str]] = {}
    for sub in INDEX_PARTS:
        directory = root / "index" / sub
        listing[sub] = (
            sorted(p.name for p in directory.iterdir() if not p.name.startswith(".")) if directory.is_dir() else []
        )
    return listing


def _segment_day(name: str) -> str:
    """The day of a kept segment's name (``day-YYYY-MM-DD-<version>-v<format>``; ``none``: rows without a day)."""
    rest = name[len("day-") :]
    return "none" if rest.startswith("none") else rest[:10]


def _segments_rebuilt(before: list[str], after: list[str], prefix: str) -> dict[str, Any]:
    segments = [n for n in after if n.startswith("day-")]
    built = [n for n in segments if n not in before]
    return {
        f"{prefix}segments_built": len(built),
        f"{prefix}segments_kept": len(segments) - len(built),
        f"{prefix}built_days": sorted(_segment_day(n) for n in built),
        f"{prefix}merged_built": any(n.startswith("all-") and n not in before for n in after),
    }


def _rebuilt(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, Any]:
    """What a load made, from the index directory before and after it: stay segments (``segments_*``) and
    operator-record segments (``cell_segments_*``) built and kept, the days built and whether their merge was,
    and whether the per-person tables and the places' areas were built."""
    return {
        **_segments_rebuilt(before["stays"], after["stays"], ""),
        **_segments_rebuilt(before["cell"], after["cell"], "cell_"),
        "tables_built": any(n not in before["trace"] for n in after["trace"]),
        "places_built": any(n not in before["places"] for n in after["places"]),
    }


#: The seconds figure of each part the loader times: its day-indexed kinds, then what it keeps under a name.
PART_SECONDS = {"stays": "stays_s", "cell": "cell_s", "trace": "tables_s", "places": "places_s"}


def _time_parts() -> dict[str, float]:
    """Seconds each load spends on each part, collected by wrapping the loader's two module functions
    (``trace/trace_data.py``): ``day_indexed`` (the stay index, ``stays_s``, and the operator records, ``cell_s``:
    segments mapped or built, and merged) and ``_kept`` (the per-person tables, ``tables_s``, and the places'
    areas, ``places_s``: mapped or built, when the previous load's are not current). A part not asked for (kept
    from the tracer's previous load) has no figure; a name the loader no longer has is left alone (no figures)."""
    from izquvar.trace import trace_data as loader

    spent: dict[str, float] = {}

    def timed(original: Any, label_of: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                label = label_of(*args)
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - began

        return wrapper

    def part(name: str) -> str:
        return PART_SECONDS.get(name, f"{name}_s")

    if hasattr(loader, "day_indexed"):
        loader.day_indexed = timed(loader.day_indexed, lambda spec, *_: part(spec.kind))
    if hasattr(loader, "_kept"):
        loader._kept = timed(loader._kept, lambda _cache, name, *_: part(name))
    return spent


def _parts_seconds(spent: dict[str, float]) -> dict[str, float | None]:
    return {label: spent.get(label) for label in PART_SECONDS.values()}


def _digest(result: Any) -> str:
    """The trace result without its elapsed time: equal for equal answers."""
    dumped = result.model_dump(mode="json")
    dumped["summary"].pop("elapsed_ms", None)
    return hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()[:16]


def _ingest(store: Any, files: list[str]) -> dict[str, Any]:
    began = time.perf_counter()
    report = store.ingest(files)
    return {
        "ingest_s": time.perf_counter() - began,
        "stored": {k: v for k, v in report.stored.items() if v},
        "derived": dict(report.derived),
        "rejected_rows": report.rejected_rows,
    }


def _child_after(store_path: Path, files: list[str], case: dict[str, str]) -> dict[str, Any]:
    """A tracer loaded from the warm index follows the batch: ingest, refresh, trace."""
    from izquvar import open_store

    store = open_store(store_path, create=False)
    began = time.perf_counter()
    tracer = store.tracer()
    load_s = time.perf_counter() - began
    tracer.trace(case["person"], case["onset"])  # warm: what is made lazily is made before the batch
    old_data = tracer.data
    ingested = _ingest(store, files)
    listing = _index_listing(store_path)
    parts = _time_parts()
    began = time.perf_counter()
    tracer = store.tracer()
    refresh_s = time.perf_counter() - began
    began = time.perf_counter()
    result = tracer.trace(case["person"], case["onset"])
    trace_s = time.perf_counter() - began
    return {
        **ingested,
        "load_s": load_s,
        "refresh_s": refresh_s,
        **_parts_seconds(parts),
        "trace_s": trace_s,
        "first_result_s": refresh_s + trace_s,
        **_rebuilt(listing, _index_listing(store_path)),
        # the parts the refreshed tracer holds as the loaded one did (the same objects: nothing re-read)
        "stays_kept_in_memory": tracer.data.stay_parts is old_data.stay_parts,
        "cell_kept_in_memory": tracer.data.cell_parts is old_data.cell_parts,
        "tables_kept_in_memory": tracer.data.tables is old_data.tables,
        "places_kept_in_memory": tracer.data.place_areas is old_data.place_areas,
        "digest": _digest(result),
        "contacts": len(result.contacts),
        "peak_mib": _peak_mib(),
    }


def _child_open(store_path: Path, case: dict[str, str] | None) -> dict[str, Any]:
    """A new process: open the store, load a tracer (mapping what is kept, building what is not), trace."""
    from izquvar import open_store

    began = time.perf_counter()
    store = open_store(store_path, create=False)
    listing = _index_listing(store_path)
    parts = _time_parts()
    loading = time.perf_counter()
    tracer = store.tracer()
    load_s = time.perf_counter() - loading
    found: dict[str, Any] = {
        "load_s": load_s,
        **_parts_seconds(parts),
        **_rebuilt(listing, _index_listing(store_path)),
    }
    if case is None:
        case = _pick_case(store, tracer)
        found["case"] = case
    loading = time.perf_counter()
    result = tracer.trace(case["person"], case["onset"])
    found["trace_s"] = time.perf_counter() - loading
    found["first_result_s"] = time.perf_counter() - began
    return {**found, "digest": _digest(result), "contacts": len(result.contacts), "peak_mib": _peak_mib()}


def _child_ingest(store_path: Path, files: list[str], create: bool) -> dict[str, Any]:
    from izquvar import open_store

    found = _ingest(open_store(store_path, create=create), files)
    return {**found, "peak_mib": _peak_mib()}


def _pick_case(store: Any, tracer: Any) -> dict[str, str]:
    """The first lab-confirmed case with an onset inside the data, else a registered person, onset mid-data."""
    from izquvar.outbreak import cases_from_lab

    data = tracer.data
    first = dt.datetime.fromtimestamp(data.data_start_s, dt.UTC).date()
    last = dt.datetime.fromtimestamp(data.data_end_s, dt.UTC).date()
    for case in cases_from_lab(store):
        if first <= case.onset <= last and data.knows(case.person):
            return {"person": case.person, "onset": case.onset.isoformat(), "from": "lab"}
    people = store.table("people", ["person"]).column("person").to_pylist()
    person = str(np.random.default_rng(1).choice(np.asarray(people, dtype=object)))
    return {"person": person, "onset": (first + (last - first) / 2).isoformat(), "from": "registry"}


def _run_child(kind: str, **spec: Any) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", kind, "--spec", json.dumps(spec, default=str)]
    began = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"child {kind} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - began
    return result


def _child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    store = Path(spec["store"])
    if kind == "after":
        return _child_after(store, spec["files"], spec["case"])
    if kind == "open":
        return _child_open(store, spec.get("case"))
    if kind == "ingest":
        return _child_ingest(store, spec["files"], bool(spec.get("create")))
    raise SystemExit(f"unknown child {kind!r}")


# ---------------------------------------------------------------------------- preparing and measuring


def prepare(sim: Path, work: Path) -> dict[str, Any]:
    """The pristine store (every day but the last, one batch per day, index warm), made once per simulation."""
    meta_path = work / "prepared.json"
    key = {
        "sim": str(sim.resolve()),
        "fingerprint": _sim_fingerprint(sim),
        "version": PREPARE_VERSION,
        "index_formats": _index_formats(),
    }
    if meta_path.is_file() and (work / "pristine" / "manifest.json").is_file():
        meta: dict[str, Any] = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            log(f"prepared store found in {work / 'pristine'} (made in {meta['prepare_s']:.0f} s)")
            return meta
    for stale in ("pristine", "split", "batches", "store"):
        shutil.rmtree(work / stale, ignore_errors=True)
    meta_path.unlink(missing_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    layout = sim_layout(sim, work / "split")
    days = list(layout["days"])
    ingests = []
    for k, day in enumerate(days[:-1]):
        files = (layout["reference"] if k == 0 else []) + layout["days"][day]
        ingests.append(_run_child("ingest", store=work / "pristine", files=files, create=True))
        log(f"prepare: ingested {day} in {ingests[-1]['ingest_s']:.1f} s, peak {ingests[-1]['peak_mib']:,.0f} MiB")
    warm = _run_child("open", store=work / "pristine", case=None)
    log(f"prepare: index built in {warm['load_s']:.1f} s, peak {warm['peak_mib']:,.0f} MiB; case {warm['case']}")
    meta = {
        "key": key,
        "layout": layout,
        "last_day": days[-1],
        "case": warm["case"],
        "prepare_s": time.perf_counter() - began,
        "prepare_ingest_s": sum(i["ingest_s"] for i in ingests),
        "prepare_ingest_peak_mib": max(i["peak_mib"] for i in ingests),
        "warm_index_s": warm["load_s"],
        "warm_index_peak_mib": warm["peak_mib"],
    }
    meta_path.write_text(json.dumps(meta, indent=1))
    return meta


def _index_formats() -> dict[str, int]:
    """The format versions of what the warm index keeps: a pristine store warmed by another format would have
    every part rebuilt at each measurement, so it is prepared again."""
    from izquvar.trace.persisted import PLACES_VERSION, TABLES_VERSION
    from izquvar.trace.trace_data import CELL_SEGMENTS, STAY_SEGMENTS

    return {"stays": STAY_SEGMENTS.version, "cell": CELL_SEGMENTS.version, "tables": TABLES_VERSION,
            "places": PLACES_VERSION}  # fmt: skip


def restore(work: Path) -> Path:
    """``store/`` as ``pristine/`` was: every measurement starts from the same state."""
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(work / "pristine", store, symlinks=True)
    return store


def scenario_files(name: str, meta: dict[str, Any], work: Path, gps_share: float) -> tuple[list[str], str] | None:
    """The batch of a scenario and a few words on it; ``None`` when the run has nothing for it."""
    last = meta["layout"]["days"][meta["last_day"]]
    if name == "every":
        return last, f"{meta['last_day']}, {len(last)} files"
    of_kind = [f for f in last if _kind_of(f) == name]
    if not of_kind:
        return None
    if name == "lab":
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in of_kind if f.endswith((".parquet", ".pq")))
        return of_kind, f"{meta['last_day']}, {rows:,} rows"
    files, persons = gps_sample(of_kind, gps_share, work / "batches")
    rows = pq.ParquetFile(files[0]).metadata.num_rows
    return files, f"{meta['last_day']}, {persons:,} phones, {rows:,} pings"


def measure(name: str, files: list[str], case: dict[str, str], work: Path) -> dict[str, Any]:
    """One round of a scenario: after (refresh), ingest, new process, before (rebuild)."""
    store = restore(work)
    after = _run_child("after", store=store, files=files, case=case)
    store = restore(work)
    ingest = _run_child("ingest", store=store, files=files)
    new = _run_child("open", store=store, case=case)
    shutil.rmtree(store / "index")
    before = _run_child("open", store=store, case=case)
    same = after["digest"] == new["digest"] == before["digest"]
    if not same:
        log(f"MISMATCH in {name}: after {after['digest']}, new process {new['digest']}, before {before['digest']}")
    return {"after": after, "ingest": ingest, "new process": new, "before": before, "same_result": same}


def _segments(r: dict[str, Any], prefix: str) -> str:
    """Day segments of one kind built (their days) and kept, and whether their merge was built."""
    built, kept = r[f"{prefix}segments_built"], r[f"{prefix}segments_kept"]
    if not kept:
        return f"all {built} built"
    days = ",".join(d[5:] for d in r[f"{prefix}built_days"])
    merged = "" if r[f"{prefix}merged_built"] else ", merge kept"
    return f"{built} built{' (' + days + ')' if days else ''}, {kept} kept{merged}"


def _built(r: dict[str, Any]) -> str:
    """What a load built: stay and operator-record segments, per-person tables, place areas."""
    tables = "built" if r["tables_built"] else "kept"
    places = "built" if r["places_built"] else "kept"
    return f"stays {_segments(r, '')}; cell {_segments(r, 'cell_')}; tables {tables}; places {places}"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def print_table(report: dict[str, Any]) -> None:
    meta = report["prepared"]
    case = meta["case"]
    print(f"store: {report['sim']} without its last day {meta['last_day']} ({len(meta['layout']['days']) - 1} "
          f"day batches, prepared in {meta['prepare_s']:.0f} s); case {case['person'][:12]}... onset {case['onset']} "
          f"({case['from']})")  # fmt: skip
    print(f"{'scenario':<28} {'round':>5} {'measure':<12} {'ingest s':>8} {'load s':>7} {'stays s':>7} "
          f"{'cell s':>7} {'tables s':>8} {'places s':>8} {'trace ms':>9} {'1st result s':>12} {'peak MiB':>8}  "
          f"built")  # fmt: skip
    for name, scenario in report["scenarios"].items():
        if scenario.get("skipped"):
            print(f"{TITLES[name]:<28} skipped: {scenario['skipped']}")
            continue
        print(f"{TITLES[name]:<28} batch: {scenario['batch']}")
        for k, r in enumerate(scenario["rounds"]):
            for measure_name in MEASURES:
                m = r[measure_name]
                ingest = {"after": r["after"]["ingest_s"], "new process": r["ingest"]["ingest_s"]}.get(measure_name)
                load = m["refresh_s"] if measure_name == "after" else m["load_s"]
                print(f"{'':<28} {k + 1:>5} {measure_name:<12} {_seconds(ingest):>8} {load:>7.2f} "
                      f"{_seconds(m['stays_s']):>7} {_seconds(m['cell_s']):>7} {_seconds(m['tables_s']):>8} "
                      f"{_seconds(m['places_s']):>8} {m['trace_s'] * 1000:>9.1f} {m['first_result_s']:>12.3f} "
                      f"{m['peak_mib']:>8,.0f}  {_built(m)}")  # fmt: skip
            ratio = r["before"]["first_result_s"]
            print(f"{'':<28} {'':>5} {'ratio':<12} before/after {ratio / r['after']['first_result_s']:,.1f}x, "
                  f"before/new process {ratio / r['new process']['first_result_s']:,.1f}x; "
                  f"same result: {r['same_result']}")  # fmt: skip
    print(
        "load s: refresh() for 'after' (the tracer loaded before the batch), the tracer's load for the others, of"
        " which stays s in the stay index, cell s in the operator records (day segments mapped or built, and"
        " merged), tables s in the per-person tables and places s in the places' areas (mapped or built; blank:"
        " kept from the tracer's previous load); 1st result s: refresh + trace, or open + load + trace in a new"
        " process (imports excluded); ingest s of 'new process': the batch ingested by a process of its own"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sim", type=Path)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--gps-share", type=float, default=0.01, help="share of the phones in the GPS upload")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, json.loads(args.spec))))
        return 0
    if args.sim is None or args.work is None:
        parser.error("--sim and --work are required")
    wanted = [s for s in args.scenarios.split(",") if s]
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    meta = prepare(args.sim, args.work)
    report: dict[str, Any] = {"sim": str(args.sim), "prepared": meta, "scenarios": {}}
    for name in wanted:
        chosen = scenario_files(name, meta, args.work, args.gps_share)
        if chosen is None:
            report["scenarios"][name] = {"skipped": f"no {name} files on {meta['last_day']}"}
            continue
        files, batch = chosen
        rounds = []
        for k in range(args.rounds):
            log(f"{name}: round {k + 1} of {args.rounds} ({batch})")
            rounds.append(measure(name, files, meta["case"], args.work))
        report["scenarios"][name] = {"batch": batch, "files": files, "rounds": rounds}
    shutil.rmtree(args.work / "store", ignore_errors=True)
    print_table(report)
    if args.json:
        print(json.dumps(report, default=str))
    same = all(r["same_result"] for s in report["scenarios"].values() for r in s.get("rounds", []))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
