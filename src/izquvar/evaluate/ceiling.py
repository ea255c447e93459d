"""What the data can tell: the most of the true close contacts that any tracer could find with these feeds.

Measured for an evaluation sample (the cases and windows ``izquvar evaluate`` traces), from the store's feeds
(:mod:`izquvar.evaluate.links`), never from a tracer's output:

1. **Links of the true close contacts.** For every (case, true close contact, local day) the links that exist
   that day, summarised by the strongest (in the order of :data:`~izquvar.evaluate.links.LINKS`), per day and
   per pair (strongest over the pair's close days), and by where the two really met (truth stays).
2. **Oracle bound.** Candidates are all (case, person) pairs that some feed links on a day of the window,
   true or not. Each is described by what a tracer could know, bucketed into a *signature* (link types, minutes
   together, GPS distance, Bluetooth attenuation bucket, venue category, group size...). An oracle that knows
   every signature's true-close share takes whole signatures in decreasing share, and a random part of the
   last one, for as long as precision stays at or above the target: the recall it then reaches is an upper
   bound for *every* classifier (deterministic or randomised) that sees only those features, because taking
   signatures by decreasing share solves the linear programme "most true pairs at precision ≥ p". Pairs no
   feed links can never be found; they count against recall. Two feature sets: ``fine`` (everything above)
   and ``coarse`` (only which link types exist).
3. **Rule gaps.** True close contacts that a feed links *clearly* on one of their close days (same household,
   same roster group, ≥ 15 GAEN-weighted near Bluetooth minutes, GPS centroids within 10 m for ≥ 15 minutes, or
   ≥ 15 minutes of overlapping check-ins at one venue, zones not different) but that the tracer does not class
   close.

Caveat: with a few hundred true pairs, fine signatures hold few candidates each, and an oracle that ranks them
by their observed share partly memorises the sample (a signature holding one true pair has share 1).
``from_small_signatures`` says how much of the bound comes from signatures with fewer than
:data:`SMALL_SIGNATURE` candidates; the bound is optimistic by construction, never pessimistic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.evaluate.links import LINKS, FeedStore, connect, daily_links, local_day_range
from izquvar.evaluate.truth import SimTruth
from izquvar.localtime import local_midnight
from izquvar.trace.rules import DEFAULT_RULES

#: Precisions at which the oracle's recall is reported; the issue's target is 0.80.
PRECISIONS: tuple[float, ...] = (0.9, 0.8, 0.7, 0.5)
TARGET_PRECISION = 0.8
#: Minutes on one day that make a link "clear" (the close-contact definition's 15 minutes).
CLEAR_MINUTES = 15.0
#: Signatures with fewer candidates than this are where the oracle may memorise the sample.
SMALL_SIGNATURE = 5
EXAMPLES = 10
EXAMPLES_PER_LINK = 2
NO_LINK = "none"
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class OracleBound:
    """The oracle's recall at each precision for one feature set."""

    features: str
    candidates: int
    true_candidates: int
    true_pairs: int
    signatures: int
    recall_at: dict[float, float]
    #: Share of the true pairs found at :data:`TARGET_PRECISION` that come from small signatures.
    from_small_signatures: float
    #: The signatures taken at :data:`TARGET_PRECISION`, best first: (signature, candidates, true).
    chosen: list[tuple[str, int, int]]

    @property
    def ceiling(self) -> float:
        return self.recall_at[TARGET_PRECISION]

    def to_json(self) -> dict[str, Any]:
        return {
            "features": self.features,
            "candidates": self.candidates,
            "true_candidates": self.true_candidates,
            "signatures": self.signatures,
            "recall_at_precision": {f"{p:.2f}": round(r, 4) for p, r in self.recall_at.items()},
            "ceiling": round(self.ceiling, 4),
            "from_small_signatures": round(self.from_small_signatures, 4),
            "chosen": [{"signature": s, "candidates": n, "true": t} for s, n, t in self.chosen],
        }


@dataclass(frozen=True)
class RuleGaps:
    """True close contacts a feed links clearly that the tracer does not class close."""

    pairs: int
    by_link: dict[str, int]
    by_tracer_class: dict[str, int]
    examples: list[dict[str, Any]]
    #: Per clear link: of all pairs it links clearly on some day of the window, the share truly close. A rule
    #: "this link alone makes a contact close" would have this precision: low means the gap is not a bug.
    clear_precision: dict[str, float | None]

    def to_json(self) -> dict[str, Any]:
        return {
            "pairs": self.pairs,
            "by_link": self.by_link,
            "by_tracer_class": self.by_tracer_class,
            "clear_link_precision": {k: None if v is None else round(v, 4) for k, v in self.clear_precision.items()},
            "examples": self.examples,
        }


@dataclass(frozen=True)
class Ceiling:
    """Everything :func:`ceiling` measures (see the module docstring)."""

    cases: int
    true_pairs: int
    true_pair_days: int
    strongest_by_pair: dict[str, int]
    strongest_by_day: dict[str, int]
    #: True pairs with each link on one of their close days (a pair counts under each of its links).
    with_link: dict[str, int]
    #: Where the pairs met (truth stays) → strongest link → pairs.
    settings: dict[str, dict[str, int]]
    #: Share of true pairs linked by some feed on some day of the window (precision ignored).
    any_link_recall: float | None
    any_link_precision: float | None
    #: The same without operator cells.
    non_cell_link_recall: float | None
    oracles: dict[str, OracleBound]
    gaps: RuleGaps | None = None
    #: True pairs the tracer lists in no class, by their strongest link in the window.
    unlisted_by_tracer: dict[str, int] | None = None
    #: Contacts the tracer classes close that no feed links here (a consistency check: should be 0).
    tracer_close_unlinked: int | None = None
    #: The tracer's own close-class recall and precision on this sample, and the fine oracle's recall at the
    #: tracer's precision: never below the tracer's recall unless the tracer knows something the features lack.
    tracer_recall: float | None = None
    tracer_precision: float | None = None
    oracle_at_tracer_precision: float | None = None

    @property
    def recall_ceiling(self) -> float:
        return self.oracles["fine"].ceiling

    def to_json(self) -> dict[str, Any]:
        def rate(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "cases": self.cases,
            "true_pairs": self.true_pairs,
            "true_pair_days": self.true_pair_days,
            "strongest_link": {"pairs": self.strongest_by_pair, "pair_days": self.strongest_by_day},
            "with_link": self.with_link,
            "settings": self.settings,
            "any_link_recall": rate(self.any_link_recall),
            "any_link_precision": rate(self.any_link_precision),
            "non_cell_link_recall": rate(self.non_cell_link_recall),
            "recall_ceiling": round(self.recall_ceiling, 4),
            "oracle": {name: o.to_json() for name, o in self.oracles.items()},
            "rule_gaps": None if self.gaps is None else self.gaps.to_json(),
            "unlisted_by_tracer": self.unlisted_by_tracer,
            "tracer_close_unlinked": self.tracer_close_unlinked,
            "tracer": {
                "recall": rate(self.tracer_recall),
                "precision": rate(self.tracer_precision),
                "oracle_recall_at_tracer_precision": rate(self.oracle_at_tracer_precision),
            },
        }


def ceiling(
    store: FeedStore,
    cases: pa.Table,
    truth: SimTruth,
    truth_stays: pa.Table,
    contacts: pa.Table | None = None,
    precisions: Sequence[float] = PRECISIONS,
) -> Ceiling:
    """Links, oracle bound and rule gaps for ``cases`` (``person``, ``window_start``, ``window_end``).

    ``truth`` must be pseudonymised like the store; ``truth_stays`` likewise (``read_truth_stays``).
    ``contacts`` (``case``, ``contact``, ``klass``: the tracer's output) adds the rule gaps and the checks
    against the tracer; without it only the tracer-free parts are measured.
    """
    precisions = sorted({*precisions, TARGET_PRECISION}, reverse=True)
    n_cases = cases.num_rows
    cases = _within_data(cases, truth)
    links = daily_links(store, cases, truth.utc_offset).to_pandas()
    days = _true_days(cases, truth)
    day_rows = days.merge(links, on=["case", "contact", "day"], how="left")
    day_rows["strongest"] = _strongest(day_rows)
    day_rows["setting"] = _settings(days, truth_stays, store, truth.utc_offset)["setting"].to_numpy()
    pairs = _pair_features(links)
    true_keys = days[["case", "contact"]].drop_duplicates()
    pairs = pairs.merge(true_keys.assign(true=True), on=["case", "contact"], how="left")
    pairs["true"] = pairs["true"].fillna(False).astype(bool)
    n_true = len(true_keys)
    # the pair's strongest link over its close days, and its setting from its longest close day
    ranked = day_rows.assign(rank=day_rows["strongest"].map(_RANK))
    ranked = ranked.sort_values(["case", "contact", "rank", "minutes"], ascending=[True, True, True, False])
    by_pair = ranked.groupby(["case", "contact"], sort=False).agg(strongest=("strongest", "first"))
    longest = day_rows.sort_values(["case", "contact", "minutes"], ascending=[True, True, False])
    by_pair["setting"] = longest.groupby(["case", "contact"], sort=False)["setting"].first()
    present = _present(day_rows)
    with_link = {
        link: int(present[link].groupby([day_rows["case"], day_rows["contact"]]).any().sum()) for link in LINKS
    }
    linked = pairs[pairs["true"]]
    non_cell = pairs[pairs["true"] & _present(pairs)[list(LINKS[:-1])].any(axis=1)]
    oracles = {
        "fine": oracle_bound("fine", fine_signatures(pairs), pairs["true"].to_numpy(bool), n_true, precisions),
        "coarse": oracle_bound("coarse", coarse_signatures(pairs), pairs["true"].to_numpy(bool), n_true, precisions),
    }
    settings: dict[str, dict[str, int]] = {}
    counts = by_pair.groupby(["setting", "strongest"]).size().reset_index(name="pairs")
    for setting, strongest, count in zip(
        counts["setting"].astype(str), counts["strongest"].astype(str), counts["pairs"].astype(int), strict=True
    ):
        settings.setdefault(setting, {})[strongest] = count
    settings = dict(sorted(settings.items(), key=lambda kv: -sum(kv[1].values())))
    result = Ceiling(
        cases=n_cases,
        true_pairs=n_true,
        true_pair_days=len(days),
        strongest_by_pair=_ordered_counts(by_pair["strongest"]),
        strongest_by_day=_ordered_counts(day_rows["strongest"]),
        with_link=with_link,
        settings=settings,
        any_link_recall=len(linked) / n_true if n_true else None,
        any_link_precision=len(linked) / len(pairs) if len(pairs) else None,
        non_cell_link_recall=len(non_cell) / n_true if n_true else None,
        oracles=oracles,
    )
    if contacts is None:
        return result
    traced = contacts.select(["case", "contact", "klass"]).to_pandas()
    window_strongest = pairs.assign(strongest=_strongest(pairs))[["case", "contact", "strongest", "true"]]
    unlisted = true_keys.merge(traced, on=["case", "contact"], how="left")
    unlisted = unlisted[unlisted["klass"].isna()].merge(window_strongest, on=["case", "contact"], how="left")
    close = traced[traced["klass"] == "close"].merge(window_strongest, on=["case", "contact"], how="left")
    hits = int(close.merge(true_keys, on=["case", "contact"]).shape[0])
    tracer_precision = hits / len(close) if len(close) else None
    return replace(
        result,
        tracer_recall=hits / n_true if n_true else None,
        tracer_precision=tracer_precision,
        oracle_at_tracer_precision=(
            None
            if tracer_precision is None
            else oracle_recall(fine_signatures(pairs), pairs["true"].to_numpy(bool), n_true, tracer_precision)
        ),
        gaps=rule_gaps(day_rows, traced, clear_precision(links, true_keys)),
        unlisted_by_tracer=_ordered_counts(unlisted["strongest"].fillna(NO_LINK)),
        tracer_close_unlinked=int(close["strongest"].isna().sum()),
    )


# -- truth ------------------------------------------------------------------------------------------------------


def _within_data(cases: pa.Table, truth: SimTruth) -> pa.Table:
    """Windows cut to the simulated days: before and after them no feed and no truth exist, and a registry link
    on such a day (a household member "linked" after the data end) would be a candidate no tracer sees."""
    first = int(local_midnight(truth.start, truth.utc_offset).timestamp()) * 1_000_000
    last = int(local_midnight(truth.start + dt.timedelta(days=truth.days), truth.utc_offset).timestamp()) * 1_000_000

    def micros(name: str) -> npt.NDArray[np.int64]:
        values: npt.NDArray[np.int64] = cases.column(name).cast(pa.int64()).to_numpy(zero_copy_only=False)
        return values

    utc = pa.timestamp("us", tz="UTC")
    start = pa.array(np.maximum(micros("window_start"), first)).cast(utc)
    end = pa.array(np.minimum(micros("window_end"), last)).cast(utc)
    clipped = pa.table({"person": cases.column("person").combine_chunks(), "window_start": start, "window_end": end})
    return clipped.filter(pc.less(clipped.column("window_start"), clipped.column("window_end")))


def _true_days(cases: pa.Table, truth: SimTruth) -> pd.DataFrame:
    """(case, contact, day, minutes): true close contacts on each local day of each case's window."""
    windows = local_day_range(cases, truth.utc_offset)
    con = connect()
    try:
        con.register("windows", windows)
        con.register("truth", truth.close_contacts.select(["person_a", "person_b", "day", "minutes"]))
        out: pd.DataFrame = con.sql(
            """
            WITH t AS (
              SELECT person_a AS p, person_b AS q, (day - DATE '1970-01-01')::BIGINT AS day, minutes FROM truth
              UNION ALL
              SELECT person_b, person_a, (day - DATE '1970-01-01')::BIGINT, minutes FROM truth
            )
            SELECT w.person AS "case", t.q AS contact, t.day, max(t.minutes)::DOUBLE AS minutes
            FROM t JOIN windows w ON t.p = w.person AND t.day BETWEEN w.day_lo AND w.day_hi
            WHERE t.q <> w.person
            GROUP BY ALL ORDER BY ALL
            """
        ).df()
    finally:
        con.close()
    return out


def _settings(days: pd.DataFrame, stays: pa.Table, store: FeedStore, utc_offset: dt.timedelta) -> pd.DataFrame:
    """Where each true (case, contact, day) met: the place of their longest time together in the truth stays,
    as a venue category, ``household`` (the home both live in), ``home visit`` (someone else's home), ``other``
    (a place the store does not know) or ``unknown`` (the truth stays never put them in one place that day)."""
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("days", days[["case", "contact", "day"]])
        con.register("stays", stays.select(["person", "venue", "start", "end"]))
        con.register("venues", store.table("venues", ["venue_id", "category"]))
        con.register("people", store.table("people", ["person", "household"]))
        off = int(utc_offset.total_seconds())
        out: pd.DataFrame = con.sql(
            f"""
            WITH d AS (SELECT *, day * 86400 - {off} AS lo, (day + 1) * 86400 - {off} AS hi FROM days),
            s AS (SELECT person, venue, epoch(start)::BIGINT AS s, epoch("end")::BIGINT AS e FROM stays),
            a AS (SELECT d.*, s.venue, greatest(s.s, d.lo) AS s, least(s.e, d.hi) AS e
                  FROM d JOIN s ON s.person = d."case" AND s.s < d.hi AND s.e > d.lo),
            b AS (SELECT d."case", d.contact, d.day, s.venue, greatest(s.s, d.lo) AS s, least(s.e, d.hi) AS e
                  FROM d JOIN s ON s.person = d.contact AND s.s < d.hi AND s.e > d.lo),
            together AS (
              SELECT a."case", a.contact, a.day, a.venue, sum(least(a.e, b.e) - greatest(a.s, b.s)) AS seconds
              FROM a JOIN b ON a."case" = b."case" AND a.contact = b.contact AND a.day = b.day
                AND a.venue = b.venue AND a.s < b.e AND b.s < a.e
              GROUP BY ALL
            ),
            place AS (SELECT "case", contact, day, arg_max(venue, seconds) AS venue FROM together GROUP BY ALL)
            SELECT d."case", d.contact, d.day, CASE
                WHEN p.venue IS NULL THEN 'unknown'
                WHEN v.category IS NOT NULL THEN v.category
                WHEN hc.household = p.venue AND hk.household = p.venue THEN 'household'
                WHEN p.venue IN (SELECT household FROM people) THEN 'home visit'
                ELSE 'other' END AS setting
            FROM d LEFT JOIN place p USING ("case", contact, day)
            LEFT JOIN venues v ON v.venue_id = p.venue
            LEFT JOIN people hc ON hc.person = d."case"
            LEFT JOIN people hk ON hk.person = d.contact
            """
        ).df()
    finally:
        con.close()
    order = days[["case", "contact", "day"]].reset_index()
    return order.merge(out, on=["case", "contact", "day"], how="left").sort_values("index").reset_index(drop=True)


# -- links per row ------------------------------------------------------------------------------------------------

_RANK = {link: i for i, link in enumerate((*LINKS, NO_LINK))}


def _present(rows: pd.DataFrame) -> pd.DataFrame:
    """Per row of a daily or pair link frame: which link types it holds."""
    return pd.DataFrame(
        {
            "household": rows["household"].fillna(False).astype(bool).to_numpy(),
            "roster": rows["roster"].notna().to_numpy(),
            "bluetooth": rows["ble_min"].notna().to_numpy(),
            "gps": rows["gps_min"].notna().to_numpy(),
            "visit": rows["visit_min"].notna().to_numpy(),
            "checkins": rows["checkin_min"].notna().to_numpy(),
            "card": rows["card_gap_min"].notna().to_numpy(),
            "venue": rows["venue_min"].notna().to_numpy(),
            "cell": rows["cell_events"].notna().to_numpy(),
        },
        index=rows.index,
    )


def _strongest(rows: pd.DataFrame) -> npt.NDArray[np.object_]:
    present = _present(rows)
    chosen: npt.NDArray[np.object_] = np.select(
        [present[link].to_numpy() for link in LINKS], list(LINKS), default=NO_LINK
    ).astype(object)
    return chosen


def _ordered_counts(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts()
    return {link: int(counts[link]) for link in (*LINKS, NO_LINK) if link in counts.index}


def _pair_features(links: pd.DataFrame) -> pd.DataFrame:
    """One row per linked (case, contact): the strongest value of each feature over the window's days."""
    con = connect()
    try:
        con.register("links", links)
        pairs: pd.DataFrame = con.sql(
            """
            SELECT "case", contact,
              bool_or(household) AS household, max(household_size) AS household_size,
              max(roster) AS roster, max(roster_size) AS roster_size,
              count(*) FILTER (WHERE roster IS NOT NULL AND (day + 3) % 7 < 5) AS roster_weekdays,
              max(ble_near_min) AS ble_near_min, max(ble_min) AS ble_min, min(ble_db) AS ble_db,
              max(gps_min) AS gps_min, max(gps_near_min) AS gps_near_min, min(gps_m) AS gps_m,
              arg_max(gps_setting, gps_min) AS gps_setting,
              max(visit_min) AS visit_min,
              max(checkin_min) AS checkin_min, arg_max(checkin_category, checkin_min) AS checkin_category,
              CASE max(CASE checkin_zone WHEN 'same' THEN 2 WHEN 'unknown' THEN 1 WHEN 'other' THEN 0 END)
                WHEN 2 THEN 'same' WHEN 1 THEN 'unknown' WHEN 0 THEN 'other' END AS checkin_zone,
              min(card_gap_min) AS card_gap_min, arg_min(card_category, card_gap_min) AS card_category,
              max(venue_min) AS venue_min, arg_max(venue_category, venue_min) AS venue_category,
              max(cell_events) AS cell_events
            FROM links GROUP BY ALL ORDER BY ALL
            """
        ).df()
    finally:
        con.close()
    pairs["household"] = pairs["household"].fillna(False).astype(bool)
    return pairs


# -- signatures ---------------------------------------------------------------------------------------------------


def _bucket(values: pd.Series, edges: Sequence[float], labels: Sequence[str], side: str = "right") -> pd.Series:
    """``labels[i]`` for the values between ``edges[i-1]`` and ``edges[i]``; missing values give ``""``."""
    v = values.to_numpy(dtype=np.float64, na_value=np.nan)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), np.nan_to_num(v), side=side)  # type: ignore[call-overload]
    out = np.asarray(labels, dtype=object)[index]
    return pd.Series(np.where(np.isnan(v), "", out), index=values.index, dtype=object)


def _join(parts: list[pd.Series]) -> npt.NDArray[np.object_]:
    frame = pd.concat(parts, axis=1).fillna("")
    joined = [" + ".join(p for p in row if p) or NO_LINK for row in frame.itertuples(index=False)]
    return np.asarray(joined, dtype=object)


def _tagged(present: pd.Series, text: pd.Series) -> pd.Series:
    return pd.Series(np.where(present.to_numpy(bool), text.astype(str).to_numpy(), ""), index=present.index)


def fine_signatures(pairs: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Every feature a tracer could know, bucketed: see the module docstring."""
    p = _present(pairs)
    minutes = ["<15", "15-60", "60+"]
    ble_bucket = pd.Series(
        np.asarray(["immediate", "near", "medium", "other"], dtype=object)[
            np.searchsorted(
                np.asarray(DEFAULT_RULES.ble.thresholds_db), pairs["ble_db"].fillna(255.0).to_numpy(), side="left"
            )
        ],
        index=pairs.index,
    )
    parts = [
        _tagged(p["household"], "household/" + _bucket(pairs["household_size"], [4, 7], ["≤3", "4-6", "7+"])),
        _tagged(
            p["roster"],
            pairs["roster"].fillna("")
            + "/"
            + _bucket(pairs["roster_size"], [11, 21], ["≤10", "11-20", "21+"])
            + "/weekdays-"
            + _bucket(pairs["roster_weekdays"], [1, 3, 5, 8], ["0", "1-2", "3-4", "5-7", "8+"]),
        ),
        _tagged(
            p["bluetooth"],
            "ble/"
            + _bucket(pairs["ble_near_min"], [1e-9, 5, 15, 30], ["0", "<5", "5-15", "15-30", "30+"])
            + "/"
            + ble_bucket,
        ),
        _tagged(
            p["gps"],
            "gps10m/"
            + _bucket(pairs["gps_near_min"], [1e-9, 15, 60], ["0", *minutes])
            + "/50m/"
            + _bucket(pairs["gps_min"], [15, 60], minutes)
            + "/"
            + pairs["gps_setting"].fillna(""),
        ),
        _tagged(p["visit"], "visit/" + _bucket(pairs["visit_min"], [30, 90], ["<30", "30-90", "90+"])),
        _tagged(
            p["checkins"],
            "checkin/"
            + pairs["checkin_category"].fillna("")
            + "/"
            + _bucket(pairs["checkin_min"], [15, 60], minutes)
            + "/zone-"
            + pairs["checkin_zone"].fillna(""),
        ),
        _tagged(
            p["card"],
            "card/"
            + pairs["card_category"].fillna("")
            + "/"
            + _bucket(pairs["card_gap_min"], [5, 15], ["≤5", "≤15", "≤60"], side="left"),
        ),
        _tagged(
            p["venue"],
            "venue/" + pairs["venue_category"].fillna("") + "/" + _bucket(pairs["venue_min"], [15, 60], minutes),
        ),
        _tagged(p["cell"], "cell/" + _bucket(pairs["cell_events"], [2, 4, 10], ["1", "2-3", "4-9", "10+"])),
    ]
    return _join(parts)


def coarse_signatures(pairs: pd.DataFrame) -> npt.NDArray[np.object_]:
    """Only which link types exist."""
    p = _present(pairs)
    return _join([_tagged(p[link], pd.Series(link, index=pairs.index)) for link in LINKS])


# -- the oracle ---------------------------------------------------------------------------------------------------


def oracle_bound(
    features: str,
    signature: npt.NDArray[np.object_],
    is_true: npt.NDArray[np.bool_],
    true_pairs: int,
    precisions: Sequence[float],
) -> OracleBound:
    """Most recall reachable at each precision by choosing signatures (see the module docstring).

    ``true_pairs`` counts every true pair, linked or not: the recall denominator.
    """
    names, n, tp = _ranked(signature, is_true)
    recall_at = {p: _best(n, tp, p)[0] / true_pairs if true_pairs else 0.0 for p in precisions}
    found, whole, part = _best(n, tp, TARGET_PRECISION)
    small = n < SMALL_SIGNATURE
    small_tp = float(tp[:whole][small[:whole]].sum()) + (part * tp[whole] if part > 0 and small[whole] else 0.0)
    taken = whole + (1 if part > 0 else 0)
    return OracleBound(
        features=features,
        candidates=int(n.sum()),
        true_candidates=int(tp.sum()),
        true_pairs=true_pairs,
        signatures=len(names),
        recall_at=recall_at,
        from_small_signatures=small_tp / found if found else 0.0,
        chosen=[(str(names[i]), int(n[i]), int(tp[i])) for i in range(min(taken, 12))],
    )


def oracle_recall(signature: npt.NDArray[np.object_], is_true: npt.NDArray[np.bool_], true_pairs: int,
                  precision: float) -> float:  # fmt: skip
    """The oracle's recall at one precision (see :func:`oracle_bound`)."""
    _, n, tp = _ranked(signature, is_true)
    return _best(n, tp, precision)[0] / true_pairs if true_pairs else 0.0


def _ranked(
    signature: npt.NDArray[np.object_], is_true: npt.NDArray[np.bool_]
) -> tuple[npt.NDArray[np.object_], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Signatures with their candidates and true pairs, by decreasing true share (then size)."""
    codes, uniques = pd.factorize(pd.Series(signature, dtype=object))
    n: npt.NDArray[np.float64] = np.bincount(codes, minlength=len(uniques)).astype(np.float64)
    tp = np.bincount(codes, weights=is_true.astype(np.float64), minlength=len(uniques)).astype(np.float64)
    order = np.lexsort((-n, -(tp / np.maximum(n, 1.0))))
    names: npt.NDArray[np.object_] = np.asarray(uniques, dtype=object)[order]
    return names, n[order], tp[order]


def _best(n: npt.NDArray[np.float64], tp: npt.NDArray[np.float64], precision: float) -> tuple[float, int, float]:
    """True pairs found at ``precision``: whole signatures while the cumulative precision holds (it never rises,
    shares decreasing), then the part of the next one that brings it down to exactly ``precision``. Returns
    (true pairs found, whole signatures taken, part of the next)."""
    cum_n, cum_tp = np.cumsum(n), np.cumsum(tp)
    whole = int(np.sum(cum_tp >= precision * cum_n - 1e-9))
    got_tp = float(cum_tp[whole - 1]) if whole else 0.0
    got_n = float(cum_n[whole - 1]) if whole else 0.0
    if whole >= len(n) or precision * n[whole] <= tp[whole]:
        return got_tp, whole, 0.0
    part = min(1.0, max(0.0, (got_tp - precision * got_n) / (precision * n[whole] - tp[whole])))
    return got_tp + part * float(tp[whole]), whole, part


# -- rule gaps ----------------------------------------------------------------------------------------------------


def _clear(day_rows: pd.DataFrame) -> pd.DataFrame:
    """Per true (case, contact, day): which links say "close" plainly enough for any rule to see it."""
    return pd.DataFrame(
        {
            "household": day_rows["household"].fillna(False).astype(bool).to_numpy(),
            "roster": day_rows["roster"].notna().to_numpy(),
            "bluetooth": (day_rows["ble_near_min"].fillna(0.0) >= CLEAR_MINUTES).to_numpy(),
            "gps": (day_rows["gps_near_min"].fillna(0.0) >= CLEAR_MINUTES).to_numpy(),
            "checkins": (
                (day_rows["checkin_min"].fillna(0.0) >= CLEAR_MINUTES) & (day_rows["checkin_zone"] != "other")
            ).to_numpy(),
        },
        index=day_rows.index,
    )


def clear_precision(links: pd.DataFrame, true_keys: pd.DataFrame) -> dict[str, float | None]:
    """Per clear link: the share of the (case, contact) pairs it links clearly on some window day that are true
    close contacts (``links``: :func:`~izquvar.evaluate.links.daily_links` rows)."""
    flags = _clear(links).groupby([links["case"].to_numpy(), links["contact"].to_numpy()]).any()
    flags.index.names = ["case", "contact"]
    truth = flags.reset_index().merge(true_keys.assign(true=True), on=["case", "contact"], how="left")
    is_true = truth["true"].fillna(False).astype(bool).to_numpy()
    out: dict[str, float | None] = {}
    for link in flags.columns:
        clear = truth[link].to_numpy(bool)
        out[str(link)] = float(is_true[clear].mean()) if clear.any() else None
    return out


def rule_gaps(day_rows: pd.DataFrame, traced: pd.DataFrame, precision: dict[str, float | None]) -> RuleGaps:
    """True pairs with a clear link on a close day that the tracer (``traced``: case, contact, klass) does not
    class close; counts per link (a pair under each of its clear links) and per tracer class, and examples (a
    few per link). ``precision``: :func:`clear_precision`."""
    clear = _clear(day_rows)
    names = [f"clear_{link}" for link in clear.columns]
    rows = day_rows.join(clear.set_axis(names, axis=1))[clear.any(axis=1).to_numpy()]
    rows = rows.merge(traced, on=["case", "contact"], how="left")
    rows["klass"] = rows["klass"].fillna("not listed")
    gaps = rows[rows["klass"] != "close"]
    flags = gaps.groupby(["case", "contact"])[names].any()
    klass = gaps.drop_duplicates(["case", "contact"])["klass"].value_counts()
    first = gaps.sort_values(["case", "contact", "day"]).drop_duplicates(["case", "contact"])
    picked: list[int] = []
    for name in names:  # a few of each kind of gap, not the first few of the commonest kind
        with_link = flags[name].reindex(pd.MultiIndex.from_frame(first[["case", "contact"]])).to_numpy(bool)
        picked.extend(i for i in first.index[with_link][:EXAMPLES_PER_LINK] if i not in picked)
    shown = first.loc[picked[:EXAMPLES]]
    pair_flags = flags.loc[pd.MultiIndex.from_frame(shown[["case", "contact"]])].to_numpy(bool)
    examples = [
        {
            "case": case,
            "contact": contact,
            "day": (_EPOCH + dt.timedelta(days=day)).isoformat(),
            "minutes_within_2m": minutes,
            "setting": setting,
            "clear_links": [link for link, on in zip(clear.columns, row, strict=True) if on],
            "tracer_class": klass_name,
        }
        for case, contact, day, minutes, setting, klass_name, row in zip(
            shown["case"].astype(str),
            shown["contact"].astype(str),
            shown["day"].astype(int),
            shown["minutes"].astype(float),
            shown["setting"].astype(str),
            shown["klass"].astype(str),
            pair_flags,
            strict=True,
        )
    ]
    return RuleGaps(
        clear_precision=precision,
        pairs=len(flags),
        by_link={link: int(flags[name].sum()) for link, name in zip(clear.columns, names, strict=True)},
        by_tracer_class={str(k): int(v) for k, v in klass.items()},
        examples=examples,
    )
