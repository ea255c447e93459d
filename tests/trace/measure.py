"""Recall and precision of the tracer's close class against the simulator's ground truth.

Used by the integration test and runnable by hand on a larger simulation::

    python tests/trace/measure.py SIM_DIR STORE_DIR [--cases N] [--per-source]

Truth is read here, never by the tracer: a case's true close contacts are its pairs in
``truth/close_contacts`` on the local days of its infectious window; the tracer is given only what a public
health officer has (the person, the onset or, if asymptomatic, the specimen date, and the isolation date).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as pads

from izquvar import open_store
from izquvar.trace.evidence import EvidenceSource
from izquvar.trace.tracer import Tracer


@dataclass(frozen=True)
class Score:
    cases: int
    true_close: int
    predicted_close: int
    hits: int
    median_ms: float

    @property
    def recall(self) -> float:
        return self.hits / self.true_close if self.true_close else float("nan")

    @property
    def precision(self) -> float:
        return self.hits / self.predicted_close if self.predicted_close else float("nan")

    def as_dict(self) -> dict[str, float | int]:
        return {
            "cases": self.cases,
            "true_close": self.true_close,
            "predicted_close": self.predicted_close,
            "hits": self.hits,
            "recall": round(self.recall, 4),
            "precision": round(self.precision, 4),
            "median_ms": round(self.median_ms, 2),
        }


def cases(sim: Path, utc_offset_hours: float = 5.0) -> pd.DataFrame:
    """Every infected person with a date to trace from: onset (local date) or else the specimen date."""
    table = pd.read_parquet(sim / "truth" / "cases.parquet")
    onset = (table["onset"] + pd.Timedelta(hours=utc_offset_hours)).dt.date
    date = onset.where(table["onset"].notna(), table["specimen_date"])
    out = table.assign(trace_onset=date)
    return out[out["trace_onset"].notna()].reset_index(drop=True)


def close_truth(sim: Path) -> pd.DataFrame:
    pairs = pads.dataset(str(sim / "truth" / "close_contacts"), format="parquet").to_table().to_pandas()
    both = pd.concat(
        [
            pairs.rename(columns={"person_a": "case", "person_b": "contact"}),
            pairs.rename(columns={"person_b": "case", "person_a": "contact"}),
        ],
        ignore_index=True,
    )
    return both[["case", "contact", "day"]]


def score(
    tracer: Tracer, sim: Path, max_cases: int | None = None, seed: int = 0
) -> tuple[Score, list[dict[str, object]]]:
    """Trace up to ``max_cases`` cases (a seeded sample) and compare their close contacts with the truth."""
    chosen = cases(sim, tracer.profile.utc_offset_hours)
    if max_cases is not None and len(chosen) > max_cases:
        chosen = chosen.sample(max_cases, random_state=seed).reset_index(drop=True)
    truth = close_truth(sim)
    truth = truth[truth["case"].isin(set(chosen["person"]))]
    raw = np.unique(np.r_[truth["case"].to_numpy(str), truth["contact"].to_numpy(str), chosen["person"].to_numpy(str)])
    pseudonym = dict(zip(raw, tracer.feeds.pseudonyms(raw).to_pylist(), strict=True))
    by_case = truth.groupby("case")
    true_total = predicted_total = hits = 0
    timings: list[float] = []
    rows: list[dict[str, object]] = []
    for person, onset, isolation in chosen[["person", "trace_onset", "isolation"]].itertuples(index=False):
        iso = None if pd.isna(isolation) else isolation
        start, end = tracer.window(onset, iso)
        first = (start + tracer.profile.utc_offset).date()
        last = (end - dt.timedelta(seconds=1) + tracer.profile.utc_offset).date()
        expected: set[str] = set()
        if person in by_case.groups:
            mine = by_case.get_group(person)
            days = mine["day"]
            mine = mine[(days >= first) & (days <= last)]
            expected = {pseudonym[c] for c in mine["contact"]}
        began = time.perf_counter()
        try:
            result = tracer.trace(pseudonym[person], onset, iso)
        except Exception as exc:  # a case the store has no data on at all
            if type(exc).__name__ != "NotFound":
                raise
            predicted: set[str] = set()
        else:
            predicted = {c.person for c in result.contacts if c.klass == "close"}
        timings.append((time.perf_counter() - began) * 1000.0)
        true_total += len(expected)
        predicted_total += len(predicted)
        hits += len(expected & predicted)
        rows.append(
            {"case": person, "true": len(expected), "predicted": len(predicted), "hits": len(expected & predicted)}
        )
    median = float(np.median(timings)) if timings else float("nan")
    return Score(len(chosen), true_total, predicted_total, hits, median), rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sim", type=Path)
    parser.add_argument("store", type=Path)
    parser.add_argument("--cases", type=int, default=None)
    parser.add_argument("--per-source", action="store_true")
    args = parser.parse_args(argv)
    store = open_store(args.store, create=False)
    began = time.perf_counter()
    tracer = Tracer(store)
    load_s = time.perf_counter() - began
    report: dict[str, object] = {"load_s": round(load_s, 2)}
    overall, _ = score(tracer, args.sim, args.cases)
    report["overall"] = overall.as_dict()
    if args.per_source:
        names = dict.fromkeys(source.name for source in tracer.sources)
        for name in names:  # e.g. "gps" is both stay co-location and home visits
            alone: Sequence[EvidenceSource] = tuple(s for s in tracer.sources if s.name == name)
            single = tracer.with_sources(alone)
            report[name] = score(single, args.sim, args.cases)[0].as_dict()
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
