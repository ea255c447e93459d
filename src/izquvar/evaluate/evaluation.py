"""``evaluate``: trace every confirmed case of a simulated outbreak and score the result against the truth.

Which cases, with which dates: the confirmed cases are the store's (first positive lab result per person), as
``trace-all`` finds them. With ``onset="truth"`` (the default) each is traced with what a case interview would
establish: the true symptom onset (local date) or, when asymptomatic, the first positive specimen date, and the
true first day of isolation. With ``onset="lab"`` the specimen date stands in for the onset and no isolation is
known, exactly as ``trace-all`` does without a cases file. A positive result with no truth case behind it (a
false positive) is traced from its specimen date either way.

``onset="infected"`` goes beyond the issue's "every confirmed case" to get a larger sample from a small
simulation: every infected person with a symptom onset or a positive specimen in the truth, dated as with
``"truth"``, whether or not the store's lab results confirm them.

``ceiling=True`` adds :mod:`izquvar.evaluate.ceiling` for the same cases and windows: which feeds link the
true close contacts at all, and the most recall any tracer could reach at precision 0.80 with these feeds.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import pyarrow as pa

from izquvar.errors import NotFound
from izquvar.evaluate.ceiling import Ceiling
from izquvar.evaluate.ceiling import ceiling as measure_ceiling
from izquvar.evaluate.metrics import InfectorScore, Score, score_close, score_infectors, true_close_contacts
from izquvar.evaluate.truth import SimTruth, read_truth_stays
from izquvar.outbreak.cases import ConfirmedCase, LabSource, cases_from_lab
from izquvar.outbreak.chains import candidate_links
from izquvar.outbreak.protocol import CaseTracer
from izquvar.outbreak.trace_all import trace_cases
from izquvar.store.protocol import Pseudonyms
from izquvar.trace.rules import TracingRules
from izquvar.trace.sources import InterviewSource

OnsetMode = Literal["truth", "lab", "infected"]
EVALUATION_VERSION = "izquvar.evaluation/1"


@dataclass(frozen=True)
class Evaluation:
    """Scores of one evaluation run."""

    people: int
    days: int
    cases: int
    traced: int
    close: Score
    any_class: Score
    per_source: dict[str, Score]
    infectors: InfectorScore
    onset: OnsetMode
    trace_seconds: float
    seconds: float
    #: What the feeds could tell at best (only when asked for: it reads every feed again).
    ceiling: Ceiling | None = None
    #: The close contacts of the interview alone (the Go.Data/SORMAS method), scored the same way; ``None``
    #: when the tracer cannot be narrowed to one source.
    interview_only: Score | None = None

    def to_json(self) -> dict[str, Any]:
        out = {
            "schema_version": EVALUATION_VERSION,
            "people": self.people,
            "days": self.days,
            "cases": self.cases,
            "traced": self.traced,
            "onset": self.onset,
            "close": self.close.to_json(),
            "any_class_recall": None if self.any_class.recall is None else round(self.any_class.recall, 4),
            "per_source": {name.strip(): score.to_json() for name, score in self.per_source.items()},
            "infectors": self.infectors.to_json(),
            "trace_seconds": round(self.trace_seconds, 3),
            "cases_per_second": round(self.traced / self.trace_seconds, 1) if self.trace_seconds else None,
            "seconds": round(self.seconds, 3),
        }
        out["interview_only"] = None if self.interview_only is None else self.interview_only.to_json()
        if self.ceiling is not None:
            out["ceiling"] = self.ceiling.to_json()
        return out


class EvaluationStore(LabSource, Pseudonyms, Protocol):
    """What evaluation needs from a store: its tables (lab results; every feed for the ceiling) and the
    pseudonym key."""

    def table(
        self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None
    ) -> pa.Table: ...


def evaluation_cases(store: LabSource, truth: SimTruth, onset: OnsetMode) -> list[ConfirmedCase]:
    """The store's confirmed cases, dated as ``onset`` says (see the module docstring)."""
    confirmed = cases_from_lab(store)
    if onset == "lab":
        return confirmed
    known = truth.onsets()
    if onset == "infected":
        confirmed = []
        for person, (symptoms, specimen, _) in known.items():
            day = symptoms or specimen
            if day is not None:
                confirmed.append(ConfirmedCase(onset=day, person=person))
    chosen: list[ConfirmedCase] = []
    for case in confirmed:
        if case.person not in known:
            chosen.append(case)
            continue
        symptom_onset, specimen, isolation = known[case.person]
        day = symptom_onset or specimen or case.onset
        if isolation is not None and isolation <= day - dt.timedelta(days=2):
            isolation = None  # isolated (as a contact) before the window could open: trace to the default end
        chosen.append(ConfirmedCase(onset=day, person=case.person, isolation=isolation))
    return sorted(chosen)


def evaluate(
    sim_dir: Path,
    store: EvaluationStore,
    tracer: CaseTracer,
    onset: OnsetMode = "truth",
    progress: bool = False,
    ceiling: bool = False,
) -> Evaluation:
    """Trace every confirmed case and score the close contacts and the chains against the truth (and, with
    ``ceiling``, measure what the feeds could tell at best)."""
    began = time.perf_counter()
    truth = SimTruth.load(sim_dir).pseudonymised(store)
    cases = evaluation_cases(store, truth, onset)
    if not cases:
        raise NotFound("evaluate: the store has no confirmed cases (no positive lab result) to trace.")
    traced_at = time.perf_counter()
    tables, _missing = trace_cases(tracer, cases, progress)
    trace_seconds = time.perf_counter() - traced_at
    flat = tables.tables()
    truth_pairs = true_close_contacts(flat["cases"], truth.close_contacts, truth.utc_offset)
    close, any_class, per_source = score_close(flat["contacts"], truth_pairs)
    links = candidate_links(flat["cases"], flat["contacts"], flat["evidence"], truth.utc_offset)
    infectors = score_infectors(flat["cases"], flat["contacts"], links, truth.infections)
    interview_only = _interview_only(tracer, cases, truth_pairs)
    bound = None
    if ceiling:
        stays = read_truth_stays(sim_dir, store, persons=_persons(truth_pairs))
        bound = measure_ceiling(store, flat["cases"], truth, stays, flat["contacts"])
    return Evaluation(
        people=truth.people,
        days=truth.days,
        cases=len(cases),
        traced=flat["cases"].num_rows,
        close=close,
        any_class=any_class,
        per_source=per_source,
        infectors=infectors,
        onset=onset,
        trace_seconds=trace_seconds,
        seconds=time.perf_counter() - began,
        ceiling=bound,
        interview_only=interview_only,
    )


def _interview_only(tracer: CaseTracer, cases: list[ConfirmedCase], truth_pairs: pa.Table) -> Score | None:
    """The same cases traced with the interview as the only source, their close contacts scored."""
    narrowed = getattr(tracer, "with_sources", None)
    rules = getattr(tracer, "rules", None)
    if narrowed is None or not isinstance(rules, TracingRules):
        return None
    alone: CaseTracer = narrowed([InterviewSource(rules.interview)])
    tables, _missing = trace_cases(alone, cases, False)
    close, _any, _per_source = score_close(tables.tables()["contacts"], truth_pairs)
    return close


def _persons(pairs: pa.Table) -> pa.Array[Any]:
    """Everyone in the (case, contact) pairs: whose truth stays say where the pairs met."""
    both = pa.concat_arrays([pairs.column("case").combine_chunks(), pairs.column("contact").combine_chunks()])
    unique: pa.Array[Any] = both.unique()
    return unique
