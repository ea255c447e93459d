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
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.i18n import Lang
from izquvar.trace.data import TraceData
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.evidence import Case
from izquvar.trace.explain import explanation
from izquvar.trace.result import AreaRef, Contact, ContactClass, Evidence, Source, VenueRef

#: Order in which sources are listed (most specific first).
SOURCE_ORDER: tuple[Source, ...] = ("household", "roster", "ble", "gps", "checkins", "card", "cell")
_CLASS_RANK: dict[ContactClass, int] = {"close": 0, "casual": 1, "possible": 2}
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


def union_seconds(group: npt.NDArray[np.int64], start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]) -> pd.Series:
    """Length of the union of intervals per group (seconds), vectorised: sort, running max, new runs."""
    if not len(group):
        return pd.Series(dtype=np.int64)
    order = np.lexsort((start, group))
    g, s, e = group[order], start[order], end[order]
    frame = pd.DataFrame({"g": g, "s": s, "e": e})
    reach = frame.groupby("g")["e"].cummax().to_numpy(np.int64)
    prev_reach = np.r_[np.int64(-1), reach[:-1]]
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_run = new_group | (s > prev_reach)
    run = np.cumsum(new_run) - 1
    run_start = s[new_run]
    run_end = pd.Series(reach).groupby(run).max().to_numpy(np.int64)
    run_group = g[new_run]
    return pd.Series(run_end - run_start).groupby(run_group).sum()


def fuse(
    evidence: pd.DataFrame, case: Case, data: TraceData, lang: Lang, areas: Any
) -> list[Contact]:
    """Contacts ranked by risk (then minutes), each with its evidence and explanation."""
    if not len(evidence):
        return []
    ev = split_days(evidence, case.profile)
    ev = ev[ev["end_s"] > ev["start_s"]].reset_index(drop=True)
    counted = ev["detail"].to_numpy(object) != IGNORED_DETAIL
    contact_codes, contacts = pd.factorize(ev["contact"])
    code = contact_codes.astype(np.int64)
    day = ev["day"].to_numpy(np.int64)
    start = ev["start_s"].to_numpy(np.int64)
    end = ev["end_s"].to_numpy(np.int64)
    n_days = int(day.max() - day.min() + 1)
    day_key = code * n_days + (day - day.min())
    daily = union_seconds(day_key[counted], start[counted], end[counted])
    close_rows = counted & (ev["grade"].to_numpy(object) == "close")
    daily_close = union_seconds(day_key[close_rows], start[close_rows], end[close_rows])

    n = len(contacts)
    minutes = np.zeros(n)
    max_daily = np.zeros(n)
    max_daily_close = np.zeros(n)
    keys = daily.index.to_numpy(np.int64)
    np.add.at(minutes, keys // n_days, daily.to_numpy(np.float64) / 60.0)
    np.maximum.at(max_daily, keys // n_days, daily.to_numpy(np.float64) / 60.0)
    if len(daily_close):
        np.maximum.at(max_daily_close, daily_close.index.to_numpy(np.int64) // n_days, daily_close.to_numpy() / 60.0)
    qualifies = np.zeros(n, dtype=bool)
    np.logical_or.at(qualifies, code[counted], ev["qualifies"].to_numpy(bool)[counted])
    graded = np.zeros(n, dtype=bool)
    near_grade = counted & np.isin(ev["grade"].to_numpy(object), ["close", "casual"])
    np.logical_or.at(graded, code[near_grade], True)
    klass = np.where(
        qualifies | (max_daily_close >= case.profile.close_minutes), "close", np.where(graded, "casual", "possible")
    )

    # exposure dose: per (contact, day), the strongest source's Σ minutes × p_near × infectiousness
    mid = (start + end) // 2
    dose_rows = (end - start) / 60.0 * ev["p_near"].to_numpy(np.float64) * case.profile.infectiousness_at(
        mid, case.onset
    )
    dose_rows = np.where(counted, dose_rows, 0.0)
    per_source = pd.DataFrame({"k": day_key, "src": ev["source"].to_numpy(object), "d": dose_rows})
    by_source = per_source.groupby(["k", "src"])["d"].sum()
    best = by_source.groupby(level=0).max()
    dose = np.zeros(n)
    np.add.at(dose, best.index.to_numpy(np.int64) // n_days, best.to_numpy(np.float64))
    risk = 1.0 - np.exp(-np.log(2.0) * dose / case.profile.close_minutes)
    # the setting shown is that of the contact's strongest source
    src_dose = per_source.assign(c=code).groupby(["c", "src"])["d"].sum().reset_index()
    src_dose = src_dose.sort_values(["c", "d"], ascending=[True, False], kind="stable")
    top_source = src_dose.drop_duplicates("c").set_index("c")["src"]

    order = np.lexsort((-minutes, -risk, np.vectorize(_CLASS_RANK.__getitem__)(klass)))
    row_groups = pd.Series(np.arange(len(ev))).groupby(code).indices
    out = []
    for c in order:
        rows = ev.iloc[row_groups[c]].sort_values("start_s", kind="stable")
        out.append(
            _contact(str(contacts[c]), rows, str(klass[c]), float(risk[c]), float(minutes[c]),
                     float(max_daily[c]), str(top_source.get(c, rows["source"].iloc[0])), data, lang, areas)
        )  # fmt: skip
    return out


def _contact(
    person: str,
    rows: pd.DataFrame,
    klass: str,
    risk: float,
    minutes: float,
    max_daily: float,
    top_source: str,
    data: TraceData,
    lang: Lang,
    areas: Any,
) -> Contact:
    sources = [s for s in SOURCE_ORDER if s in set(rows["source"])]
    top = rows[rows["source"] == top_source]
    setting = str(top["setting"].mode().iloc[0]) if len(top) else str(rows["setting"].iloc[0])
    venue_ids = top["venue_id"].dropna()
    venue_id = str(venue_ids.mode().iloc[0]) if len(venue_ids) else None
    distance = rows["distance_m"].to_numpy(np.float64)
    attenuation = rows["attenuation_db"].to_numpy(np.float64)
    contradicted = int((rows["detail"] == IGNORED_DETAIL).sum())
    evidence = [_evidence(r, data, lang, areas) for r in rows.itertuples(index=False)]
    return Contact(
        person=person,
        klass=klass,  # type: ignore[arg-type]
        risk=min(max(risk, 0.0), 1.0),
        minutes=round(minutes, 2),
        max_daily_minutes=round(max_daily, 2),
        closest_m=float(np.nanmin(distance)) if np.isfinite(distance).any() else None,
        strongest_attenuation_db=float(np.nanmin(attenuation)) if np.isfinite(attenuation).any() else None,
        setting=setting,
        sources=sources,
        first_seen=_utc(int(rows["start_s"].min())),
        last_seen=_utc(int(rows["end_s"].max())),
        explanation=explanation(
            lang=lang,
            klass=klass,
            minutes=minutes,
            setting=setting,
            venue=_venue_name(data, venue_id),
            sources=sources,
            contradicted=contradicted,
        ),
        evidence=evidence,
    )


def _venue_name(data: TraceData, venue_id: str | None) -> str | None:
    if venue_id is None or venue_id not in data.venues.index:
        return None
    return str(data.venues.at[venue_id, "name"])


def venue_ref(data: TraceData, venue_id: object) -> VenueRef | None:
    if not isinstance(venue_id, str) or venue_id not in data.venues.index:
        return None
    row = data.venues.loc[venue_id]
    return VenueRef(venue_id=venue_id, name=str(row["name"]), category=str(row["category"]), indoor=bool(row["indoor"]))


def area_ref(areas: Any, region: object, district: object, mahalla: object, lang: Lang) -> AreaRef | None:
    """Area ids with their names in ``lang`` (``None`` when nothing is known)."""
    ids = [x if isinstance(x, str) else None for x in (region, district, mahalla)]
    if not any(ids):
        return None
    names = [areas.name(i, lang) if i is not None and i in areas else None for i in ids]
    return AreaRef(
        region_id=ids[0], region=names[0], district_id=ids[1], district=names[1], mahalla_id=ids[2], mahalla=names[2]
    )


def _evidence(row: Any, data: TraceData, lang: Lang, areas: Any) -> Evidence:
    venue = venue_ref(data, row.venue_id)
    area = None
    if venue is not None:
        v = data.venues.loc[venue.venue_id]
        area = area_ref(areas, v.get("region_id"), v.get("district_id"), v.get("mahalla_id"), lang)
    return Evidence(
        source=row.source,
        start=_utc(int(row.start_s)),
        end=_utc(int(row.end_s)),
        minutes=round((int(row.end_s) - int(row.start_s)) / 60.0, 2),
        venue=venue,
        area=area,
        lat=None if not np.isfinite(row.lat) else float(row.lat),
        lon=None if not np.isfinite(row.lon) else float(row.lon),
        distance_m=None if not np.isfinite(row.distance_m) else round(float(row.distance_m), 1),
        attenuation_db=None if not np.isfinite(row.attenuation_db) else float(row.attenuation_db),
        detail=str(row.detail),
    )


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)
