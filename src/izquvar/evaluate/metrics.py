"""Recall and precision of traced close contacts against ground truth, overall and per source.

Definitions (docs/evaluation.md):

* **True close contacts of a case**: every person paired with the case in ``truth/close_contacts`` (within
  2 m for at least 15 minutes in total on one local day) on a local day that overlaps the case's traced
  infectious window ``[window_start, window_end)``. Persons are compared as store pseudonyms.
* **Traced close contacts**: the case's contacts of class ``close``.
* Counted over all (case, contact) pairs of all traced cases (micro-average): recall = TP / (TP + FN),
  precision = TP / (TP + FP).
* **Per source** *s*: the traced close contacts whose sources include *s* (for ``registry``: ``household`` or
  ``roster``). Recall of *s* alone = true close contacts that *s* backs / all true close contacts; precision of
  *s* = those / all close contacts that *s* backs.
* **Interview alone** (``interview_only``): the case traced with the interview as its only source (what Go.Data
  and SORMAS do: the contacts are whom the case names), its close contacts scored as above.
* **True infectors found**: among traced cases whose true infector is known, the share whose infector and the
  case are linked by tracing (either lists the other as a contact, any class); and, among those whose true
  infector is itself a traced case (the only ones chains can link), the share where the chain rule chose the
  true infector as the likely one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

from izquvar.evaluate.links import connect

#: Source rows of the evaluation table: the issue's names and the trace sources behind each.
SOURCE_GROUPS: dict[str, tuple[str, ...]] = {
    "GPS": ("gps",),
    "operator": ("cell",),
    "card": ("card",),
    "QR": ("checkins",),
    "Bluetooth": ("ble",),
    "registry": ("household", "roster"),
    "  household": ("household",),
    "  roster": ("roster",),
    "interview": ("interview",),
}


@dataclass(frozen=True)
class Score:
    """Counts and rates of one comparison."""

    predicted: int
    true_positive: int
    truth: int

    @property
    def recall(self) -> float | None:
        return self.true_positive / self.truth if self.truth else None

    @property
    def precision(self) -> float | None:
        return self.true_positive / self.predicted if self.predicted else None

    def to_json(self) -> dict[str, Any]:
        return {
            "predicted": self.predicted,
            "true_positive": self.true_positive,
            "truth": self.truth,
            "recall": None if self.recall is None else round(self.recall, 4),
            "precision": None if self.precision is None else round(self.precision, 4),
        }


@dataclass(frozen=True)
class InfectorScore:
    with_known_infector: int
    linked_by_tracing: int
    infector_is_traced_case: int
    likely_in_chains: int

    def to_json(self) -> dict[str, Any]:
        n = self.with_known_infector
        return {
            "cases_with_known_infector": n,
            "linked_by_tracing": self.linked_by_tracing,
            "share_linked_by_tracing": round(self.linked_by_tracing / n, 4) if n else None,
            "infector_is_traced_case": self.infector_is_traced_case,
            "likely_in_chains": self.likely_in_chains,
            "share_likely_in_chains": (
                round(self.likely_in_chains / self.infector_is_traced_case, 4) if self.infector_is_traced_case else None
            ),
        }


_TRUTH_SQL = """
SELECT DISTINCT c.person AS "case", CASE WHEN t.person_a = c.person THEN t.person_b ELSE t.person_a END AS contact
FROM truth t
JOIN cases c ON (t.person_a = c.person OR t.person_b = c.person)
WHERE CAST(t.day AS TIMESTAMPTZ) - to_seconds({offset_s}) < c.window_end
  AND CAST(t.day AS TIMESTAMPTZ) - to_seconds({offset_s}) + INTERVAL 1 DAY > c.window_start
"""


def true_close_contacts(cases: pa.Table, truth: pa.Table, utc_offset: dt.timedelta) -> pa.Table:
    """(case, contact) pairs of the truth within each case's window, by local day."""
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("cases", cases.select(["person", "window_start", "window_end"]))
        con.register("truth", truth.select(["person_a", "person_b", "day"]))
        # two joins on equality beat one join on OR at scale
        query = _TRUTH_SQL.format(offset_s=int(utc_offset.total_seconds()))
        a_side = query.replace("(t.person_a = c.person OR t.person_b = c.person)", "t.person_a = c.person")
        b_side = query.replace("(t.person_a = c.person OR t.person_b = c.person)", "t.person_b = c.person")
        found: pa.Table = con.sql(f"SELECT DISTINCT * FROM ({a_side} UNION ALL {b_side})").to_arrow_table()
    finally:
        con.close()
    return found


def score_close(contacts: pa.Table, truth_pairs: pa.Table) -> tuple[Score, Score, dict[str, Score]]:
    """Overall close-class score, any-class recall, and the per-source scores."""
    con = connect()
    try:
        con.register("contacts", contacts.select(["case", "contact", "klass", "sources"]))
        con.register("truth", truth_pairs)
        n_truth = _count(con, "SELECT count(*) FROM truth")

        def score(where: str) -> Score:
            predicted = _count(con, f"SELECT count(*) FROM contacts WHERE {where}")
            hits = _count(
                con,
                f'SELECT count(*) FROM contacts p JOIN truth t ON p."case" = t."case" AND p.contact = t.contact '
                f"WHERE {where}",
            )
            return Score(predicted, hits, n_truth)

        overall = score("klass = 'close'")
        any_class = score("TRUE")
        per_source = {
            name: score("klass = 'close' AND list_has_any(sources, [" + ", ".join(f"'{s}'" for s in group) + "])")
            for name, group in SOURCE_GROUPS.items()
        }
    finally:
        con.close()
    return overall, any_class, per_source


def score_infectors(cases: pa.Table, contacts: pa.Table, candidates: pa.Table, infections: pa.Table) -> InfectorScore:
    """How often tracing links a case to its true infector, and how often the chain rule picks it."""
    con = connect()
    try:
        con.register("cases", cases.select(["person"]))
        con.register("contacts", contacts.select(["case", "contact"]))
        con.register("links", candidates.select(["infector", "infectee", "likely"]))
        con.register("infections", infections.select(["infector", "infectee"]))
        base = "FROM infections i JOIN cases c ON c.person = i.infectee WHERE i.infector IS NOT NULL"
        known = _count(con, f"SELECT count(*) {base}")
        linked = _count(
            con,
            f"SELECT count(*) {base} AND EXISTS (SELECT 1 FROM contacts k WHERE "
            '(k."case" = i.infectee AND k.contact = i.infector) OR (k."case" = i.infector AND k.contact = i.infectee))',
        )
        both = _count(con, f"SELECT count(*) {base} AND i.infector IN (SELECT person FROM cases)")
        likely = _count(
            con,
            f"SELECT count(*) {base} AND EXISTS (SELECT 1 FROM links l WHERE l.likely "
            "AND l.infector = i.infector AND l.infectee = i.infectee)",
        )
    finally:
        con.close()
    return InfectorScore(known, linked, both, likely)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(query).fetchone()
    return int(row[0]) if row else 0
