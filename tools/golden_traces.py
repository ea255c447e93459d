"""Golden traces: the JSON of many traces of one store, to show that a refactoring changed no result.

    python tools/golden_traces.py STORE --out golden.jsonl [--cases 200] [--seed 7]
    python tools/golden_traces.py STORE --check golden.jsonl

Cases: every confirmed case of the store's lab results (onset = first positive specimen date), then people of
the registry drawn with a seeded generator, with onsets spread over the data's days, some with an isolation
date, in the four languages in turn. Each line is one trace's JSON without what may differ between two runs
of the same rules (``summary.elapsed_ms``) or between two designs of the same rules (``parameters``, kept in
a line of its own so that a change to it is reported, not hidden). ``--check`` traces the same cases again
and names every case whose trace differs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import izquvar
from izquvar.outbreak.cases import cases_from_lab

LANGS = ("en", "uz-Latn", "uz-Cyrl", "ru")


def golden_cases(store: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """The cases to trace: lab-confirmed first, then registry people with drawn onsets."""
    chosen = [{"person": c.person, "onset": c.onset.isoformat(), "isolation": None} for c in cases_from_lab(store)][:n]
    people = sorted(set(store.table("people", columns=["person"]).column("person").to_pylist()))
    lab = store.table("lab", columns=["specimen_date"]).column("specimen_date").to_pylist()
    first = min(lab) if lab else dt.date(2026, 3, 1)
    rng = np.random.default_rng(seed)
    taken = {c["person"] for c in chosen}
    for person in rng.permutation(np.asarray(people, dtype=object)).tolist():
        if len(chosen) >= n:
            break
        if person in taken:
            continue
        onset = first + dt.timedelta(days=int(rng.integers(-2, 12)))
        isolation = onset + dt.timedelta(days=int(rng.integers(1, 6))) if rng.random() < 0.3 else None
        chosen.append({"person": person, "onset": onset.isoformat(), "isolation": isolation and isolation.isoformat()})
    for k, case in enumerate(chosen):
        case["lang"] = LANGS[k % len(LANGS)]
    return chosen


def trace_lines(store: Any, cases: list[dict[str, Any]]) -> list[str]:
    """One JSON line per case: the case, its parameters, and its trace without timing."""
    lines = []
    for case in cases:
        result = store.trace(case["person"], onset=case["onset"], isolation=case["isolation"], lang=case["lang"])
        body = json.loads(result.to_json())
        body["summary"].pop("elapsed_ms", None)
        parameters = body.pop("parameters")
        trace = json.dumps(body, sort_keys=True, ensure_ascii=False)
        lines.append(
            json.dumps(
                {
                    "case": case,
                    "parameters": parameters,
                    "sha256": hashlib.sha256(trace.encode()).hexdigest(),
                    "trace": body,
                },
                sort_keys=True,
                ensure_ascii=False,
            )
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("store", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--check", type=Path)
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    store = izquvar.open_store(args.store, create=False)
    if args.check:
        expected = [json.loads(line) for line in args.check.read_text().splitlines()]
        got = [json.loads(line) for line in trace_lines(store, [e["case"] for e in expected])]
        differ = [e["case"] for e, g in zip(expected, got, strict=True) if e["sha256"] != g["sha256"]]
        params = {json.dumps(e["parameters"], sort_keys=True) for e in expected}
        new_params = {json.dumps(g["parameters"], sort_keys=True) for g in got}
        if params != new_params:
            print(f"parameters differ:\n  was {sorted(params)}\n  now {sorted(new_params)}")
        for case in differ:
            print(f"differs: {case}")
        print(f"{len(expected) - len(differ)} of {len(expected)} traces identical")
        return 1 if differ else 0
    if not args.out:
        parser.error("give --out or --check")
    lines = trace_lines(store, golden_cases(store, args.cases, args.seed))
    args.out.write_text("\n".join(lines) + "\n")
    contacts = sum(len(json.loads(line)["trace"]["contacts"]) for line in lines)
    print(f"{len(lines)} traces, {contacts} contacts written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
