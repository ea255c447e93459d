"""Evidence → contacts: union the minutes, decide the class, score the risk, explain in one line.

Rules (docs/tracing.md):

* Rows are split at local midnight, so "a day" is the local calendar day of the 24-hour rule.
* ``minutes`` is the union of all evidence intervals of a contact (a minute seen by GPS and Bluetooth counts
  once); ``max_daily_minutes`` the largest such union on one day.
* **close** when some row qualifies on its own (household night, roster with a likely close day, 15
  GAEN-weighted Bluetooth minutes) or when on one day the union of close-grade rows (any source) reaches the
  close minutes (15); **casual** when any row is close- or casual-grade; otherwise **possible**.
* risk = ``1 - exp(-ln 2 · E / close_minutes)``, where ``E`` sums over days the largest, over sources, of
  ``Σ minutes × p_near × infectiousness(day since onset)``: 15 minutes surely within 2 m at peak
  infectiousness is a risk of 0.5. More minutes never lower it.
* Rows whose detail is ``gps_not_home`` (household time GPS contradicts) are listed but count for nothing.
* Rows of a dated-only source (:data:`DATED_ONLY`: the interview, which gives days, not times) span their local
  day: they date the contact and count for its class and risk, but none of their minutes is counted (their
  evidence shows 0 minutes), and the explanation adds what the case said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from izquvar.i18n import Lang
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.evidence import TracedCase, evidence_columns
from izquvar.trace.explain import explanation_lines
from izquvar.trace.numeric import grouped_sum, union_arrays
from izquvar.trace.result import AreaRef, Contact, ContactClass, Evidence, Source, VenueRef
from izquvar.trace.trace_data import TraceData

#: Order in which sources are listed (most specific first; the interview, added later, last: masks keep their bits).
SOURCE_ORDER: tuple[Source, ...] = ("household", "roster", "ble", "gps", "checkins", "card", "cell", "interview")
#: Sources whose rows give a day, not a time: never counted as minutes.
DATED_ONLY: tuple[Source, ...] = ("interview",)
_CLASS_RANK: dict[ContactClass, int] = {"close": 0, "casual": 1, "possible": 2}
_SOURCE_CODE: dict[str, int] = {s: k for k, s in enumerate(SOURCE_ORDER)}
IGNORED_DETAIL = "gps_not_home"


def split_days(evidence: pd.DataFrame, profile: DiseaseProfile) -> pd.DataFrame:
    """Rows cut at local midnights, with a ``day`` column (days since the Unix epoch, local)."""
    rows, start, end, day = _day_pieces(
        evidence["start_s"].to_numpy(np.int64), evidence["end_s"].to_numpy(np.int64), profile
    )
    out = evidence.iloc[rows].reset_index(drop=True)
    out["start_s"], out["end_s"], out["day"] = start, end, day
    return out


def _split_columns(columns: dict[str, npt.NDArray[Any]], profile: DiseaseProfile) -> dict[str, npt.NDArray[Any]]:
    """:func:`split_days` on numpy columns, rows left empty dropped: fusion reads columns, never rows."""
    rows, start, end, day = _day_pieces(columns["start_s"].astype(np.int64), columns["end_s"].astype(np.int64), profile)
    kept = end > start
    rows = rows[kept]  # one gather per column
    out = {name: values[rows] for name, values in columns.items()}
    out["start_s"], out["end_s"], out["day"] = start[kept], end[kept], day[kept]
    return out


def _day_pieces(
    start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], profile: DiseaseProfile
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each interval cut at local midnights: per piece, its interval's row, start, end and local day."""
    offset = int(profile.utc_offset.total_seconds())
    first = (start + offset) // 86_400
    last = (end - 1 + offset) // 86_400
    count = np.maximum(last - first + 1, 1)
    rows = np.repeat(np.arange(len(start)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    day = first[rows] + k
    return rows, np.maximum(start[rows], day * 86_400 - offset), np.minimum(end[rows], (day + 1) * 86_400 - offset), day


def fuse(evidence: pd.DataFrame, case: TracedCase, data: TraceData, lang: Lang, areas: Any) -> list[Contact]:
    """Contacts ranked by risk (then minutes), each with its evidence and explanation."""
    return fuse_columns(evidence_columns([evidence]), case, data, lang, areas)


def fuse_columns(
    evidence: dict[str, npt.NDArray[Any]], case: TracedCase, data: TraceData, lang: Lang, areas: Any
) -> list[Contact]:
    """:func:`fuse` on evidence already in numpy columns (see :func:`evidence_columns`)."""
    return fuse_contacts(evidence, case, data, lang, areas).models()


def fuse_contacts(
    evidence: dict[str, npt.NDArray[Any]],
    case: TracedCase,
    data: TraceData,
    lang: Lang,
    areas: Any,
    venue_cache: VenueCache | None = None,
) -> FusedContacts:
    """:func:`fuse_columns` as columns (:class:`FusedContacts`): no per-row Python objects. ``venue_cache``
    keeps venue references across traces of one load (a venue's area names are looked up once per language).
    The stages, in order: rows cut into local days (:class:`_DayRows`), minutes and class (:func:`_classify`),
    exposure dose and risk (:func:`_risk`), what each contact is shown as (:func:`_summarise`), then ranking,
    explanations and the evidence grouped by contact (:func:`_assemble`)."""
    if not len(evidence["contact"]):
        return FusedContacts.empty()
    rows = _DayRows.of(evidence, case.profile)
    if rows is None:
        return FusedContacts.empty()
    minutes, max_daily, rank = _classify(rows, case.profile)
    risk, dose_rows, source_code = _risk(rows, case)
    summary = _summarise(rows, dose_rows, source_code)
    return _assemble(rows, minutes, max_daily, rank, risk, summary, _Refs(data, lang, areas, venue_cache), lang)


@dataclass(frozen=True)
class _DayRows:
    """The evidence rows cut at local midnights, with each contact as a code and each (contact, day) as a key."""

    ev: dict[str, npt.NDArray[Any]]
    #: Rows that count (a row GPS contradicts is listed but counts for nothing).
    counted: npt.NDArray[np.bool_]
    #: Counted rows whose minutes count (not a dated-only source's).
    timed: npt.NDArray[np.bool_]
    code: npt.NDArray[np.int64]
    contacts: npt.NDArray[Any]
    start: npt.NDArray[np.int64]
    end: npt.NDArray[np.int64]
    day_key: npt.NDArray[np.int64]
    n_days: int

    @classmethod
    def of(cls, evidence: dict[str, npt.NDArray[Any]], profile: DiseaseProfile) -> _DayRows | None:
        ev = _split_columns(evidence, profile)
        if not len(ev["contact"]):
            return None
        code, contacts = _factorize(ev["contact"])
        day = ev["day"].astype(np.int64)
        n_days = int(day.max() - day.min() + 1)
        counted = ev["detail"].astype(object) != IGNORED_DETAIL
        return cls(
            ev=ev,
            counted=counted,
            timed=counted & ~dated_only(ev["source"]),
            code=code,
            contacts=contacts,
            start=ev["start_s"].astype(np.int64),
            end=ev["end_s"].astype(np.int64),
            day_key=code * n_days + (day - day.min()),
            n_days=n_days,
        )

    @property
    def n(self) -> int:
        """The number of contacts."""
        return len(self.contacts)


def _classify(
    rows: _DayRows, profile: DiseaseProfile
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per contact: the union of its minutes, the largest union on one day, and its class rank (close when a
    row qualifies on its own or one day's close-grade rows reach the close minutes; casual when any row is
    close- or casual-grade; else possible)."""
    counted, timed, n, n_days = rows.counted, rows.timed, rows.n, rows.n_days
    daily_keys, daily_s = union_arrays(rows.day_key[timed], rows.start[timed], rows.end[timed])
    grade = rows.ev["grade"].astype(object)
    close_rows = timed & (grade == "close")
    close_keys, close_s = union_arrays(rows.day_key[close_rows], rows.start[close_rows], rows.end[close_rows])
    minutes = np.zeros(n)
    max_daily = np.zeros(n)
    max_daily_close = np.zeros(n)
    np.add.at(minutes, daily_keys // n_days, daily_s.astype(np.float64) / 60.0)
    np.maximum.at(max_daily, daily_keys // n_days, daily_s.astype(np.float64) / 60.0)
    if len(close_keys):
        np.maximum.at(max_daily_close, close_keys // n_days, close_s / 60.0)
    qualifies = np.zeros(n, dtype=bool)
    np.logical_or.at(qualifies, rows.code[counted], rows.ev["qualifies"].astype(bool)[counted])
    graded = np.zeros(n, dtype=bool)
    near_grade = counted & ((grade == "close") | (grade == "casual"))
    np.logical_or.at(graded, rows.code[near_grade], True)
    rank = np.where(
        qualifies | (max_daily_close >= profile.close_minutes),
        _CLASS_RANK["close"],
        np.where(graded, _CLASS_RANK["casual"], _CLASS_RANK["possible"]),
    )
    return minutes, max_daily, rank


def _risk(
    rows: _DayRows, case: TracedCase
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per contact the risk from its exposure dose (per day, the strongest source's Σ minutes × p_near ×
    infectiousness, summed over days); also each row's dose and source code, which the summary reads."""
    start, end, n, n_days = rows.start, rows.end, rows.n, rows.n_days
    mid = (start + end) // 2
    p_near = rows.ev["p_near"].astype(np.float64)
    dose_rows = (end - start) / 60.0 * p_near * case.profile.infectiousness_at(mid, case.onset)
    dose_rows = np.where(rows.counted, dose_rows, 0.0)
    source_of, source_names = _factorize(rows.ev["source"])
    source_code = np.asarray([_SOURCE_CODE[s] for s in source_names.tolist()], dtype=np.int64)[source_of]
    pairs, pair_of = np.unique(rows.day_key * len(SOURCE_ORDER) + source_code, return_inverse=True)
    by_source = grouped_sum(pair_of.astype(np.int64), dose_rows.astype(np.float64), len(pairs))
    pair_day = pairs // len(SOURCE_ORDER)
    day_heads = np.flatnonzero(np.r_[True, pair_day[1:] != pair_day[:-1]])
    dose = np.zeros(n)
    np.add.at(dose, pair_day[day_heads] // n_days, np.maximum.reduceat(by_source, day_heads))
    risk = 1.0 - np.exp(-np.log(2.0) * dose / case.profile.close_minutes)
    return risk, dose_rows, source_code


@dataclass(frozen=True)
class _Summary:
    """Per contact: the row it is shown by (the largest dose, then most minutes), its sources as a bit mask,
    closest distance, strongest attenuation, first and last second seen, and rows that contradict it."""

    lead: npt.NDArray[np.int64]
    source_mask: npt.NDArray[np.int64]
    closest: npt.NDArray[np.float64]
    strongest: npt.NDArray[np.float64]
    first_seen: npt.NDArray[np.int64]
    last_seen: npt.NDArray[np.int64]
    contradicted: npt.NDArray[np.int64]


def _summarise(rows: _DayRows, dose_rows: npt.NDArray[np.float64], source_code: npt.NDArray[np.int64]) -> _Summary:
    code, n, start, end = rows.code, rows.n, rows.start, rows.end
    row_minutes = (end - start) / 60.0
    strength = dose_rows + 1e-6 * row_minutes
    by_strength = np.lexsort((np.arange(len(code)), -strength, code))  # first row of the largest, per contact
    lead = by_strength[np.searchsorted(code[by_strength], np.arange(n))]
    source_mask = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(source_mask, code, np.left_shift(1, source_code))
    closest = np.full(n, np.inf)
    np.fmin.at(closest, code, rows.ev["distance_m"].astype(np.float64))
    strongest = np.full(n, np.inf)
    np.fmin.at(strongest, code, rows.ev["attenuation_db"].astype(np.float64))
    first_seen = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, code, start)
    last_seen = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_seen, code, end)
    contradicted = np.bincount(code[~rows.counted], minlength=n)
    return _Summary(lead, source_mask, closest, strongest, first_seen, last_seen, contradicted)


def _assemble(
    rows: _DayRows,
    minutes: npt.NDArray[np.float64],
    max_daily: npt.NDArray[np.float64],
    rank: npt.NDArray[np.int64],
    risk: npt.NDArray[np.float64],
    summary: _Summary,
    refs: _Refs,
    lang: Lang,
) -> FusedContacts:
    """Contacts ranked (close first, then by risk, then by minutes) with their explanations and venues, and the
    evidence rows grouped by contact in that order, by start within a contact (ties: as the sources gave them)."""
    ev, code, n, start, end = rows.ev, rows.code, rows.n, rows.start, rows.end
    venue_of, venue_ids = _factorize(ev["venue_id"])
    known = [refs.venue(v) for v in venue_ids.tolist()]
    # per venue code (the last slot: rows without a venue), the id and the name results show
    shown_id = np.full(len(known) + 1, None, dtype=object)
    shown_id[:-1] = [v if r is not None else None for v, (r, _a) in zip(venue_ids.tolist(), known, strict=True)]
    shown_name = [r.name if r is not None else None for r, _a in known] + [None]

    order = np.lexsort((-minutes, -risk, rank))
    lead = summary.lead[order]
    settings = _strings(ev["setting"][lead])
    klass = _CLASS_NAMES[rank[order]]
    explanations = explanation_lines(
        lang,
        klass.tolist(),
        np.rint(minutes[order]).astype(np.int64).tolist(),
        settings.tolist(),
        [shown_name[k] for k in venue_of[lead].tolist()],
        [_SOURCES_OF_MASK[m] for m in summary.source_mask[order].tolist()],
        summary.contradicted[order].tolist(),
        said=_statements(rows, order),
    )
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    row_position = position[code]
    grouped = np.lexsort((start, row_position))
    distance = _rounded(_finite(ev["distance_m"][grouped]), 1)
    return FusedContacts(
        person=_strings(rows.contacts[order]),
        klass=klass,
        risk=np.clip(risk[order], 0.0, 1.0),
        minutes=_rounded(minutes[order], 2),
        max_daily_minutes=_rounded(max_daily[order], 2),
        closest_m=_rounded(_finite(summary.closest[order]), 2),
        strongest_attenuation_db=_finite(summary.strongest[order]),
        setting=settings,
        source_mask=summary.source_mask[order],
        first_seen_s=summary.first_seen[order],
        last_seen_s=summary.last_seen[order],
        explanation=np.asarray(explanations, dtype=object),
        offsets=np.searchsorted(row_position[grouped], np.arange(n + 1)).astype(np.int64),
        evidence={
            "source": ev["source"][grouped].astype(object),
            "start_s": start[grouped],
            "end_s": end[grouped],
            # equal to round() for whole seconds; a dated-only row (a day the case said they met) has no minutes
            "minutes": np.where(
                dated_only(ev["source"][grouped]),
                0.0,
                np.round((end[grouped] - start[grouped]) / 60.0, 2),
            ),
            "venue_id": shown_id[venue_of[grouped]],
            "lat": _finite(ev["lat"][grouped]),
            "lon": _finite(ev["lon"][grouped]),
            "distance_m": distance,
            "attenuation_db": _finite(ev["attenuation_db"][grouped]),
            "detail": ev["detail"][grouped],
        },
        venues={v: (r, a) for v, (r, a) in zip(venue_ids.tolist(), known, strict=True) if r is not None},
    )


def dated_only(sources: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    """Which rows come from a dated-only source (one comparison per source, no sort of the strings)."""
    values = sources.astype(object)
    out = np.zeros(len(values), dtype=bool)
    for source in DATED_ONLY:
        out |= values == source
    return out


def _statements(rows: _DayRows, order: npt.NDArray[np.int64]) -> list[str | None] | None:
    """Per ranked contact, what the case said of them (the detail of their first interview row: relation;
    first day; last day; how identified), ``None`` for a contact the case did not name; ``None`` when nobody
    was named."""
    interview = np.flatnonzero(dated_only(rows.ev["source"]))
    if not len(interview):
        return None
    said: list[str | None] = [None] * rows.n
    for k in interview[::-1].tolist():
        said[int(rows.code[k])] = str(rows.ev["detail"][k])
    return [said[c] for c in order.tolist()]


#: Per language, each venue id's references as results show them (``None`` for an unknown venue).
VenueCache = dict[str, dict[object, tuple[VenueRef | None, AreaRef | None]]]
#: The columns of :attr:`FusedContacts.evidence`, in the order of :class:`Evidence`'s fields.
EVIDENCE_FIELDS = (
    "source", "start_s", "end_s", "minutes", "venue_id", "lat", "lon", "distance_m", "attenuation_db", "detail"
)  # fmt: skip
_CLASS_NAMES = np.asarray(list(_CLASS_RANK), dtype=object)
#: Each source mask's sources, in :data:`SOURCE_ORDER`.
_SOURCES_OF_MASK: tuple[tuple[Source, ...], ...] = tuple(
    tuple(s for k, s in enumerate(SOURCE_ORDER) if mask >> k & 1) for mask in range(1 << len(SOURCE_ORDER))
)


@dataclass(frozen=True)
class FusedContacts:
    """A trace's contacts as columns, ranked (class, risk, minutes), each value as the result shows it.

    Why columns: the pydantic :class:`Contact` models of one trace are thousands of objects, right for one
    report but most of a bulk run's time; ``trace-all`` turns these columns into Arrow tables directly and
    :meth:`models` builds the models only when a :class:`TraceResult` is asked for. Contact ``i``'s evidence
    rows are ``evidence[name][offsets[i]:offsets[i + 1]]``, by start. Absent floats are NaN (``None`` in
    models); ``evidence["venue_id"]`` holds only venues the store knows (else ``None``), like the models.
    """

    person: npt.NDArray[np.object_]
    klass: npt.NDArray[np.object_]
    risk: npt.NDArray[np.float64]
    minutes: npt.NDArray[np.float64]
    max_daily_minutes: npt.NDArray[np.float64]
    closest_m: npt.NDArray[np.float64]
    strongest_attenuation_db: npt.NDArray[np.float64]
    setting: npt.NDArray[np.object_]
    #: Bit ``k`` set: ``SOURCE_ORDER[k]`` is among the contact's sources.
    source_mask: npt.NDArray[np.int64]
    first_seen_s: npt.NDArray[np.int64]
    last_seen_s: npt.NDArray[np.int64]
    explanation: npt.NDArray[np.object_]
    offsets: npt.NDArray[np.int64]
    #: ``source``, ``start_s``, ``end_s``, ``minutes``, ``venue_id``, ``lat``, ``lon``, ``distance_m``,
    #: ``attenuation_db``, ``detail`` (as the sources gave it: models hold it as ``str``).
    evidence: dict[str, npt.NDArray[Any]]
    #: The venue and area references of every venue id in ``evidence["venue_id"]``.
    venues: dict[str, tuple[VenueRef, AreaRef | None]]

    def __len__(self) -> int:
        return len(self.person)

    def sources(self) -> list[list[Source]]:
        """Each contact's sources, in :data:`SOURCE_ORDER`."""
        return [list(_SOURCES_OF_MASK[m]) for m in self.source_mask.tolist()]

    def counts(self) -> dict[ContactClass, int]:
        """Contacts per class."""
        klass = self.klass.tolist()
        return {k: klass.count(k) for k in _CLASS_RANK}

    def models(self) -> list[Contact]:
        """The contacts as the result's pydantic models (values already checked: built without validation)."""
        ev = self.evidence
        stamps = np.unique(np.concatenate([ev["start_s"], ev["end_s"], self.first_seen_s, self.last_seen_s])).tolist()
        when = dict(zip(stamps, map(_utc, stamps), strict=True))  # each instant's datetime made once
        no_venue: tuple[None, None] = (None, None)
        refs = [self.venues.get(v, no_venue) if v is not None else no_venue for v in ev["venue_id"].tolist()]
        rows = [
            trusted(
                Evidence,
                {
                    "source": source,
                    "start": when[start],
                    "end": when[end],
                    "minutes": minutes,
                    "venue": venue,
                    "area": area,
                    "lat": None if lat != lat else lat,
                    "lon": None if lon != lon else lon,
                    "distance_m": None if distance != distance else distance,
                    "attenuation_db": None if attenuation != attenuation else attenuation,
                    "detail": str(detail),
                },
            )
            for source, start, end, minutes, (venue, area), lat, lon, distance, attenuation, detail in zip(
                *(ev[name].tolist() for name in EVIDENCE_FIELDS[:4]),
                refs,
                *(ev[name].tolist() for name in EVIDENCE_FIELDS[5:]),
                strict=True,
            )
        ]
        bounds = self.offsets.tolist()
        return [
            trusted(
                Contact,
                {
                    "person": person,
                    "klass": klass,
                    "risk": risk,
                    "minutes": minutes,
                    "max_daily_minutes": max_daily,
                    "closest_m": None if closest != closest else closest,
                    "strongest_attenuation_db": None if strongest != strongest else strongest,
                    "setting": setting,
                    "sources": list(_SOURCES_OF_MASK[mask]),
                    "first_seen": when[first],
                    "last_seen": when[last],
                    "explanation": line,
                    "evidence": rows[bounds[i] : bounds[i + 1]],
                },
            )
            for i, (person, klass, risk, minutes, max_daily, closest, strongest, setting, mask, first, last, line)
            in enumerate(
                zip(
                    self.person.tolist(), self.klass.tolist(), self.risk.tolist(), self.minutes.tolist(),
                    self.max_daily_minutes.tolist(), self.closest_m.tolist(),
                    self.strongest_attenuation_db.tolist(), self.setting.tolist(), self.source_mask.tolist(),
                    self.first_seen_s.tolist(), self.last_seen_s.tolist(), self.explanation.tolist(),
                    strict=True,
                )
            )
        ]  # fmt: skip

    @classmethod
    def empty(cls) -> FusedContacts:
        """No contacts."""
        text, real, whole = np.empty(0, object), np.empty(0, np.float64), np.empty(0, np.int64)
        return cls(
            person=text, klass=text, risk=real, minutes=real, max_daily_minutes=real, closest_m=real,
            strongest_attenuation_db=real, setting=text, source_mask=whole, first_seen_s=whole, last_seen_s=whole,
            explanation=text, offsets=np.zeros(1, np.int64),
            evidence={f: whole if f.endswith("_s") else real if f in _REAL else text for f in EVIDENCE_FIELDS},
            venues={},
        )  # fmt: skip


_REAL = ("minutes", "lat", "lon", "distance_m", "attenuation_db")


def _factorize(values: npt.NDArray[Any]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.object_]]:
    """Codes (``-1`` for missing values) and the distinct values in order of first appearance."""
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), np.asarray(uniques, dtype=object)


def _strings(values: npt.NDArray[Any]) -> npt.NDArray[np.object_]:
    """Values as Python ``str`` objects, what the models hold."""
    return np.asarray(list(map(str, values.tolist())), dtype=object)


def _finite(values: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Floats with every non-finite value (no measure) as NaN."""
    v = values.astype(np.float64)
    return np.where(np.isfinite(v), v, np.nan)


def _rounded(values: npt.NDArray[np.float64], digits: int) -> npt.NDArray[np.float64]:
    """Python's ``round(v, digits)`` of every finite value, vectorised (results show these values).

    ``round`` rounds the exact binary value half to even, then takes the double nearest that decimal;
    ``np.round`` rounds ``v × 10^digits`` as computed in floating point. The two agree unless that product lies
    within a few ulps of a half (2.675 → 267.49999999999997): such values, rare, are left to ``round`` itself.
    Otherwise ``rint`` gives the same integer ``k`` and ``k / 10^digits``, correctly rounded division, is the
    double nearest the decimal."""
    out = values.astype(np.float64, copy=True)
    finite = np.isfinite(out)
    scale = 10.0**digits
    scaled = out[finite] * scale
    halfway = np.abs(scaled - np.floor(scaled) - 0.5) <= 4 * np.spacing(np.abs(scaled))
    exact = np.rint(scaled) / scale
    exact[halfway] = [round(v, digits) for v in out[finite][halfway].tolist()]
    out[finite] = exact
    return out


class _Refs:
    """Venue and area references of one trace, each built once however many rows name them."""

    def __init__(self, data: TraceData, lang: Lang, areas: Any, cache: VenueCache | None = None) -> None:
        self.data, self.lang, self.areas = data, lang, areas
        self._venues: dict[object, tuple[VenueRef | None, AreaRef | None]] = (
            {} if cache is None else cache.setdefault(lang, {})
        )

    def venue(self, venue_id: object) -> tuple[VenueRef | None, AreaRef | None]:
        if venue_id not in self._venues:
            ref = venue_ref(self.data, venue_id)
            area = None
            if ref is not None:
                v = self.data.venues.loc[ref.venue_id]
                area = area_ref(self.areas, v.get("region_id"), v.get("district_id"), v.get("mahalla_id"), self.lang)
            self._venues[venue_id] = (ref, area)
        return self._venues[venue_id]

    def venue_name(self, venue_id: object) -> str | None:
        ref = self.venue(venue_id)[0]
        return None if ref is None else ref.name


_M = TypeVar("_M", bound=BaseModel)
_set = object.__setattr__


def trusted(model: type[_M], fields: dict[str, Any]) -> _M:
    """``model.model_construct(**fields)`` for a dict of every field, in declaration order, without its per-field
    alias and default handling: a trace builds tens of thousands of evidence rows from values it has already
    checked. The JSON stays schema-valid because the values are the ones validated construction would keep."""
    instance = model.__new__(model)
    _set(instance, "__dict__", fields)
    _set(instance, "__pydantic_fields_set__", set(fields))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance


def venue_ref(data: TraceData, venue_id: object) -> VenueRef | None:
    """The venue as results show it (``None`` for an unknown venue); one model per venue per load."""
    if not isinstance(venue_id, str) or venue_id not in data.venue_slot:
        return None
    ref = data.venue_refs.get(venue_id)
    if ref is None:
        row = data.venues.iloc[data.venue_slot[venue_id]]
        ref = VenueRef(
            venue_id=venue_id, name=str(row["name"]), category=str(row["category"]), indoor=bool(row["indoor"])
        )
        data.venue_refs[venue_id] = ref
    return ref


def area_ref(areas: Any, region: object, district: object, mahalla: object, lang: Lang) -> AreaRef | None:
    """Area ids with their names in ``lang`` (``None`` when nothing is known)."""
    ids = [x if isinstance(x, str) else None for x in (region, district, mahalla)]
    if not any(ids):
        return None
    names = [areas.name(i, lang) if i is not None and i in areas else None for i in ids]
    return AreaRef(
        region_id=ids[0], region=names[0], district_id=ids[1], district=names[1], mahalla_id=ids[2], mahalla=names[2]
    )


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
