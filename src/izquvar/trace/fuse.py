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
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from izquvar.i18n import Lang
from izquvar.trace.data import TraceData
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.evidence import Case, evidence_columns
from izquvar.trace.explain import explanation
from izquvar.trace.numeric import grouped_sum, union_arrays
from izquvar.trace.result import AreaRef, Contact, ContactClass, Evidence, Source, VenueRef

#: Order in which sources are listed (most specific first).
SOURCE_ORDER: tuple[Source, ...] = ("household", "roster", "ble", "gps", "checkins", "card", "cell")
_CLASS_RANK: dict[ContactClass, int] = {"close": 0, "casual": 1, "possible": 2}
_SOURCE_CODE: dict[str, int] = {s: k for k, s in enumerate(SOURCE_ORDER)}
IGNORED_DETAIL = "gps_not_home"


def split_days(evidence: pd.DataFrame, profile: DiseaseProfile) -> pd.DataFrame:
    """Rows cut at local midnights, with a ``day`` column (days since the Unix epoch, local)."""
    offset = int(profile.utc_offset.total_seconds())
    start = evidence["start_s"].to_numpy(np.int64)
    end = evidence["end_s"].to_numpy(np.int64)
    first = (start + offset) // 86_400
    last = (end - 1 + offset) // 86_400
    count = np.maximum(last - first + 1, 1)
    rows = np.repeat(np.arange(len(evidence)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    day = first[rows] + k
    out = evidence.iloc[rows].reset_index(drop=True)
    out["start_s"] = np.maximum(start[rows], day * 86_400 - offset)
    out["end_s"] = np.minimum(end[rows], (day + 1) * 86_400 - offset)
    out["day"] = day
    return out


def _split_columns(columns: dict[str, npt.NDArray[Any]], profile: DiseaseProfile) -> dict[str, npt.NDArray[Any]]:
    """:func:`split_days` on numpy columns, rows left empty dropped: fusion reads columns, never rows."""
    offset = int(profile.utc_offset.total_seconds())
    start = columns["start_s"].astype(np.int64)
    end = columns["end_s"].astype(np.int64)
    first = (start + offset) // 86_400
    last = (end - 1 + offset) // 86_400
    count = np.maximum(last - first + 1, 1)
    rows = np.repeat(np.arange(len(start)), count)
    k = np.arange(len(rows)) - np.repeat(np.cumsum(count) - count, count)
    day = first[rows] + k
    out = {name: values[rows] for name, values in columns.items()}
    out["start_s"] = np.maximum(start[rows], day * 86_400 - offset)
    out["end_s"] = np.minimum(end[rows], (day + 1) * 86_400 - offset)
    out["day"] = day
    kept = out["end_s"] > out["start_s"]
    return {name: values[kept] for name, values in out.items()}


def fuse(evidence: pd.DataFrame, case: Case, data: TraceData, lang: Lang, areas: Any) -> list[Contact]:
    """Contacts ranked by risk (then minutes), each with its evidence and explanation."""
    return fuse_columns(evidence_columns([evidence]), case, data, lang, areas)


def fuse_columns(
    evidence: dict[str, npt.NDArray[Any]], case: Case, data: TraceData, lang: Lang, areas: Any
) -> list[Contact]:
    """:func:`fuse` on evidence already in numpy columns (see :func:`evidence_columns`)."""
    if not len(evidence["contact"]):
        return []
    ev = _split_columns(evidence, case.profile)
    counted = ev["detail"].astype(object) != IGNORED_DETAIL
    contact_codes, unique_contacts = pd.factorize(ev["contact"])
    contacts = np.asarray(unique_contacts, dtype=object)  # plain Python strings: read once per contact below
    code = contact_codes.astype(np.int64)
    day = ev["day"].astype(np.int64)
    start = ev["start_s"].astype(np.int64)
    end = ev["end_s"].astype(np.int64)
    n_days = int(day.max() - day.min() + 1)
    day_key = code * n_days + (day - day.min())
    daily_keys, daily_s = union_arrays(day_key[counted], start[counted], end[counted])
    grade = ev["grade"].astype(object)
    close_rows = counted & (grade == "close")
    close_keys, close_s = union_arrays(day_key[close_rows], start[close_rows], end[close_rows])

    n = len(contacts)
    minutes = np.zeros(n)
    max_daily = np.zeros(n)
    max_daily_close = np.zeros(n)
    np.add.at(minutes, daily_keys // n_days, daily_s.astype(np.float64) / 60.0)
    np.maximum.at(max_daily, daily_keys // n_days, daily_s.astype(np.float64) / 60.0)
    if len(close_keys):
        np.maximum.at(max_daily_close, close_keys // n_days, close_s / 60.0)
    qualifies = np.zeros(n, dtype=bool)
    np.logical_or.at(qualifies, code[counted], ev["qualifies"].astype(bool)[counted])
    graded = np.zeros(n, dtype=bool)
    near_grade = counted & ((grade == "close") | (grade == "casual"))
    np.logical_or.at(graded, code[near_grade], True)
    klass = np.where(
        qualifies | (max_daily_close >= case.profile.close_minutes), "close", np.where(graded, "casual", "possible")
    )

    # exposure dose: per (contact, day), the strongest source's Σ minutes × p_near × infectiousness
    mid = (start + end) // 2
    dose_rows = (end - start) / 60.0 * ev["p_near"].astype(np.float64) * case.profile.infectiousness_at(mid, case.onset)
    dose_rows = np.where(counted, dose_rows, 0.0)
    source_code = np.asarray([_SOURCE_CODE[s] for s in ev["source"].astype(object).tolist()], dtype=np.int64)
    pairs, pair_of = np.unique(day_key * len(SOURCE_ORDER) + source_code, return_inverse=True)
    by_source = grouped_sum(pair_of.astype(np.int64), dose_rows.astype(np.float64), len(pairs))
    pair_day = pairs // len(SOURCE_ORDER)
    day_heads = np.flatnonzero(np.r_[True, pair_day[1:] != pair_day[:-1]])
    dose = np.zeros(n)
    np.add.at(dose, pair_day[day_heads] // n_days, np.maximum.reduceat(by_source, day_heads))
    risk = 1.0 - np.exp(-np.log(2.0) * dose / case.profile.close_minutes)
    # what a contact is shown as: the setting and venue of its row with the largest dose (then most minutes)
    row_minutes = (end - start) / 60.0
    strength = dose_rows + 1e-6 * row_minutes
    by_strength = np.lexsort((np.arange(len(code)), -strength, code))  # first row of the largest, per contact
    lead = by_strength[np.searchsorted(code[by_strength], np.arange(n))]
    settings = ev["setting"].astype(object)
    venues = ev["venue_id"].astype(object)
    source_mask = np.zeros(n, dtype=np.int64)
    np.bitwise_or.at(source_mask, code, np.left_shift(1, source_code))
    closest = np.full(n, np.inf)
    np.fmin.at(closest, code, ev["distance_m"].astype(np.float64))
    strongest = np.full(n, np.inf)
    np.fmin.at(strongest, code, ev["attenuation_db"].astype(np.float64))
    first_seen = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_seen, code, start)
    last_seen = np.zeros(n, dtype=np.int64)
    np.maximum.at(last_seen, code, end)
    contradicted = np.bincount(code[~counted], minlength=n)

    by_contact = np.lexsort((start, code))
    bounds = np.searchsorted(code[by_contact], np.arange(n + 1))
    refs = _Refs(data, lang, areas)
    evidence_rows = _evidence_rows({name: values[by_contact] for name, values in ev.items()}, refs)
    rank = np.vectorize(_CLASS_RANK.__getitem__, otypes=[np.int64])(klass) if n else np.zeros(0, np.int64)
    order = np.lexsort((-minutes, -risk, rank))
    out = []
    # per contact, Python values read once (numpy scalars are slow one at a time)
    mask_of, lead_of, klass_of, risk_of = source_mask.tolist(), lead.tolist(), klass.tolist(), risk.tolist()
    minutes_of, max_daily_of, first_of, last_of = (
        minutes.tolist(),
        max_daily.tolist(),
        first_seen.tolist(),
        last_seen.tolist(),
    )
    closest_of, strongest_of, contradicted_of = closest.tolist(), strongest.tolist(), contradicted.tolist()
    bounds_of = bounds.tolist()
    for c in order.tolist():
        sources = [s for k, s in enumerate(SOURCE_ORDER) if mask_of[c] >> k & 1]
        setting = str(settings[lead_of[c]])
        venue_id = venues[lead_of[c]]
        out.append(
            trusted(
                Contact,
                {
                    "person": str(contacts[c]),
                    "klass": klass_of[c],
                    "risk": min(max(risk_of[c], 0.0), 1.0),
                    "minutes": round(minutes_of[c], 2),
                    "max_daily_minutes": round(max_daily_of[c], 2),
                    "closest_m": round(closest_of[c], 2) if math.isfinite(closest_of[c]) else None,
                    "strongest_attenuation_db": strongest_of[c] if math.isfinite(strongest_of[c]) else None,
                    "setting": setting,
                    "sources": sources,
                    "first_seen": _utc(first_of[c]),
                    "last_seen": _utc(last_of[c]),
                    "explanation": explanation(
                        lang=lang,
                        klass=klass_of[c],
                        minutes=minutes_of[c],
                        setting=setting,
                        venue=refs.venue_name(venue_id),
                        sources=sources,
                        contradicted=contradicted_of[c],
                    ),
                    "evidence": evidence_rows[bounds_of[c] : bounds_of[c + 1]],
                },
            )
        )
    return out


class _Refs:
    """Venue and area references of one trace, each built once however many rows name them."""

    def __init__(self, data: TraceData, lang: Lang, areas: Any) -> None:
        self.data, self.lang, self.areas = data, lang, areas
        self._venues: dict[object, tuple[VenueRef | None, AreaRef | None]] = {}

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


def _evidence_rows(ev: dict[str, npt.NDArray[Any]], refs: _Refs) -> list[Evidence]:
    """Evidence models of every row (columns read once as Python lists, no per-row pandas access)."""
    sources, starts, ends, venue_ids, details = (
        ev[name].tolist() for name in ("source", "start_s", "end_s", "venue_id", "detail")
    )
    lats, lons, distances, attenuations = (
        np.where(np.isfinite(v := ev[name].astype(np.float64)), v, np.nan).tolist()
        for name in ("lat", "lon", "distance_m", "attenuation_db")
    )
    stamps = np.unique(np.concatenate([ev["start_s"], ev["end_s"]]).astype(np.int64)).tolist()
    when = dict(zip(stamps, map(_utc, stamps), strict=True))  # each instant's datetime made once
    out = []
    for k in range(len(sources)):
        venue, area = refs.venue(venue_ids[k])
        lat, lon, distance, attenuation = lats[k], lons[k], distances[k], attenuations[k]
        out.append(
            trusted(
                Evidence,
                {
                    "source": sources[k],
                    "start": when[starts[k]],
                    "end": when[ends[k]],
                    "minutes": round((ends[k] - starts[k]) / 60.0, 2),
                    "venue": venue,
                    "area": area,
                    "lat": None if lat != lat else lat,
                    "lon": None if lon != lon else lon,
                    "distance_m": None if distance != distance else round(distance, 1),
                    "attenuation_db": None if attenuation != attenuation else attenuation,
                    "detail": str(details[k]),
                },
            )
        )
    return out


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
