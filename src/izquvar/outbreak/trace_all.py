"""``trace_all``: trace every confirmed case, then link them (chains), group them (clusters) and publish sites.

Output, one directory per run (``STORE/outbreak/<run id>/`` from the CLI unless ``--out`` is given)::

    cases.parquet            the traced cases: onset, isolation, window, counts
    places.parquet           every case's places (one row per stay on the path)
    contacts.parquet         every case's contacts (one row per case and contact)
    evidence.parquet         the observations behind each contact
    chain_links.parquet      every (infector, infectee) pair the chain rule allows; ``likely`` marks the chosen
    chains.parquet           each case's likely infector, chain and generation
    clusters.parquet         venues with two or more cases inside their infectious windows
    exposure_sites.parquet   every candidate site with its status under the Korean rules (internal)
    exposure_sites.json      the sites that may be published, public fields only
    second_degree.parquet    contacts of close contacts (only with ``second_degree=True``)
    summary.json             counts, timings and parameters of the run

Persons are pseudonyms throughout; docs/outbreak.md documents every column.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from izquvar.errors import InvalidInput
from izquvar.i18n import Lang
from izquvar.outbreak._arrow import values
from izquvar.outbreak.cases import ConfirmedCase
from izquvar.outbreak.chains import candidate_links, chains
from izquvar.outbreak.clusters import clusters
from izquvar.outbreak.exposure_sites import exposure_sites, public_sites
from izquvar.outbreak.protocol import CaseTracer
from izquvar.outbreak.second_degree import second_degree
from izquvar.outbreak.trace_tables import TraceTables
from izquvar.outbreak.tracing import default_workers, progress_bar, trace_many

SUMMARY_VERSION = "izquvar.outbreak/1"


@dataclass(frozen=True)
class OutbreakRun:
    """What a run produced: counts per output and timings (``summary.json`` holds the same)."""

    out: Path
    as_of: dt.date
    cases: int
    traced: int
    #: Cases the store has no data for, as the caller named them (maybe raw ids: never written to disk).
    not_found: list[str]
    contacts: dict[str, int]
    chain_links: int
    chains: int
    largest_chain: int
    clusters: int
    exposure_sites: dict[str, int]
    second_degree: int | None
    trace_seconds: float
    seconds: float
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def cases_per_second(self) -> float:
        return self.traced / self.trace_seconds if self.trace_seconds > 0 else float("inf")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["out"] = self.out.name
        # as given by the caller, possibly raw identifiers: summary.json keeps only how many
        data["not_found"] = len(self.not_found)
        data["as_of"] = self.as_of.isoformat()
        data["cases_per_second"] = round(self.cases_per_second, 1)
        data["schema_version"] = SUMMARY_VERSION
        return data


def trace_cases(
    tracer: CaseTracer, cases: Sequence[ConfirmedCase], progress: bool = False, lang: Lang = "en", workers: int = 1
) -> tuple[TraceTables, list[str]]:
    """Trace each case once, in ``workers`` processes (see :mod:`.tracing`); persons the data does not know are
    listed, not fatal. The tables are the same, row for row, whatever the number of workers."""
    with progress_bar(progress, len(cases), "tracing cases") as done:
        return trace_many(tracer, cases, lang, workers, done)


def trace_all(
    tracer: CaseTracer,
    cases: Sequence[ConfirmedCase],
    out: Path,
    as_of: dt.date,
    identified_venues: Iterable[str] = (),
    with_second_degree: bool = False,
    progress: bool = False,
    lang: Lang = "en",
    workers: int | None = None,
) -> OutbreakRun:
    """Trace every case and write contacts, chains, clusters and exposure sites under ``out``. ``workers``:
    processes tracing at once (default: every core); the outputs are the same whatever their number."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise InvalidInput(f"trace-all: {out} is not empty; choose a new output directory.")
    if len({c.person for c in cases}) != len(cases):
        raise InvalidInput("trace-all: a person is listed as a case more than once.")
    workers = default_workers() if workers is None else workers
    began = time.perf_counter()
    tables, missing = trace_cases(tracer, cases, progress, lang, workers)
    trace_seconds = time.perf_counter() - began
    flat = tables.tables()
    links = candidate_links(flat["cases"], flat["contacts"], flat["evidence"])
    chain_table = chains(flat["cases"], links)
    cluster_table = clusters(flat["cases"], flat["places"])
    sites = exposure_sites(flat["cases"], flat["places"], as_of, identified_venues)
    outputs: dict[str, pa.Table] = {
        **flat,
        "chain_links": links,
        "chains": chain_table,
        "clusters": cluster_table,
        "exposure_sites": sites,
    }
    second: pa.Table | None = None
    if with_second_degree:
        second = second_degree(tracer, flat["cases"], flat["contacts"], progress=progress, workers=workers)
        outputs["second_degree"] = second
    out.mkdir(parents=True, exist_ok=True)
    # one after the other: measured, writing them in threads or while links are computed was slower (the
    # Parquet writer and DuckDB already use every core and the memory bandwidth)
    for name, table in outputs.items():
        _write_table(table, out / f"{name}.parquet")
    published = public_sites(sites)
    (out / "exposure_sites.json").write_text(
        json.dumps({"as_of": as_of.isoformat(), "sites": published}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    status = values(sites, "status")
    sizes: list[int] = values(chain_table.group_by("chain").aggregate([("person", "count")]), "person_count")
    run = OutbreakRun(
        out=out,
        as_of=as_of,
        cases=len(cases),
        traced=flat["cases"].num_rows,
        not_found=missing,
        contacts={k: _total(flat["cases"], k) for k in ("close", "casual", "possible")},
        chain_links=_total(links, "likely"),
        chains=sum(1 for s in sizes if s >= 2),
        largest_chain=max(sizes, default=0),
        clusters=cluster_table.num_rows,
        exposure_sites={s: status.count(s) for s in ("published", "withheld", "expired")},
        second_degree=None if second is None else len(set(values(second, "second"))),
        trace_seconds=round(trace_seconds, 3),
        seconds=round(time.perf_counter() - began, 3),
        parameters={"second_degree": with_second_degree, "lang": lang, "workers": workers},
    )
    (out / "summary.json").write_text(json.dumps(run.to_json(), indent=2) + "\n", encoding="utf-8")
    return run


def _write_table(table: pa.Table, path: Path) -> None:
    """``table`` as Parquet, with one chunk per column: how a table was chunked (per flush, per worker batch)
    must not change the file."""
    pq.write_table(table.combine_chunks(), path)


def _total(table: pa.Table, column: str) -> int:
    """The sum of an integer or boolean column (0 for no rows)."""
    total = pc.sum(table.column(column)).as_py()
    return int(total or 0)
