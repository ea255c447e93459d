"""The evidence frame every source produces, and the case every source looks at.

Why one columnar shape: sources differ in what they know (a distance, an attenuation, a venue, only a cell),
but fusion must union their minutes per contact and per day without caring where a row came from. Each row
says, besides where and when, how near the two probably were (``p_near``: the probability that this time was
spent within the close distance), what proximity the row supports on its own (``grade``) and whether it alone
meets the close-contact definition for its day (``qualifies``, e.g. 15 GAEN-weighted Bluetooth minutes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.trace.data import TraceData
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.numeric import grouped_sum
from izquvar.trace.result import Source

Grade = Literal["close", "casual", "possible"]

#: Evidence columns and their empty values.
COLUMNS: dict[str, Any] = {
    "contact": "",
    "source": "",
    "start_s": 0,
    "end_s": 0,
    "venue_id": None,
    "lat": np.nan,
    "lon": np.nan,
    "distance_m": np.nan,
    "attenuation_db": np.nan,
    "p_near": 0.0,
    "grade": "possible",
    "qualifies": False,
    #: What kind of place: home, school_class, department, a venue category, nearby, phone_proximity, cell.
    "setting": "",
    "detail": "",
}
_DTYPES = {
    "start_s": np.int64,
    "end_s": np.int64,
    "lat": np.float64,
    "lon": np.float64,
    "distance_m": np.float64,
    "attenuation_db": np.float64,
    "p_near": np.float64,
    "qualifies": np.bool_,
}


def frame(n: int, **columns: Any) -> pd.DataFrame:
    """An evidence frame of ``n`` rows: given columns (arrays or scalars), the rest at their empty value."""
    unknown = set(columns) - set(COLUMNS)
    if unknown:
        raise KeyError(f"not evidence columns: {sorted(unknown)}")
    data: dict[str, Any] = {}
    for name, default in COLUMNS.items():
        value = columns.get(name, default)
        if np.ndim(value) == 0:
            value = np.full(n, value, dtype=_DTYPES.get(name, object))
        data[name] = np.asarray(value, dtype=_DTYPES.get(name, object))
    return pd.DataFrame(data)


def evidence_columns(frames: list[pd.DataFrame], exclude: str | None = None) -> dict[str, npt.NDArray[Any]]:
    """The sources' evidence frames as one set of numpy columns (what ``pd.concat`` then ``to_numpy`` would
    give, without building the concatenated frame), rows of the contact ``exclude`` left out."""
    names = list(frames[0].columns) if frames else list(COLUMNS)
    columns = {name: np.concatenate([f[name].to_numpy() for f in frames]) if frames else np.empty(0) for name in names}
    if exclude is not None and frames:
        kept = columns["contact"] != exclude
        columns = {name: values[kept] for name, values in columns.items()}
    return columns


def empty() -> pd.DataFrame:
    """An evidence frame without rows (a copy of one built once: most sources find nothing for most cases)."""
    return _EMPTY.copy()


_EMPTY = frame(0)


@dataclass(frozen=True)
class Case:
    """The case as every source sees it: who, when infectious, and where the data put them."""

    person: str
    onset: dt.date
    start_s: int
    end_s: int
    profile: DiseaseProfile
    phone: str | None
    home: tuple[float, float] | None
    #: The case's GPS stays overlapping the window (columns of :meth:`TraceData.stays_of`).
    stays: pd.DataFrame

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.start_s, dt.UTC)

    @property
    def end(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.end_s, dt.UTC)

    def local_days(self) -> list[dt.date]:
        """The local calendar days the window touches."""
        if self.end_s <= self.start_s:
            return []
        offset = self.profile.utc_offset
        first = (self.start + offset).date()
        last = (self.end - dt.timedelta(seconds=1) + offset).date()
        return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


class EvidenceSource(Protocol):
    """One data source's rules: turn the store's data about the case into evidence rows."""

    name: Source

    def evidence(self, case: Case, data: TraceData) -> pd.DataFrame:
        """Evidence rows (see :data:`COLUMNS`) for everyone this source puts near ``case`` in its window."""
        ...


def clip(frame_: pd.DataFrame, case: Case) -> pd.DataFrame:
    """Rows clipped to the case's window; rows left empty are dropped."""
    if not len(frame_):
        return frame_
    out = frame_.copy()
    out["start_s"] = np.maximum(out["start_s"].to_numpy(np.int64), case.start_s)
    out["end_s"] = np.minimum(out["end_s"].to_numpy(np.int64), case.end_s)
    return out[out["end_s"] > out["start_s"]].reset_index(drop=True)


def qualify_by_day(rows: pd.DataFrame, case: Case) -> pd.DataFrame:
    """Keep ``qualifies`` only where the qualifying rows of a contact add up to the close minutes on their local
    day: a membership (household, roster) is close for the time actually spent together, so a block cut to a
    few minutes by the window or the data's end does not make a close contact."""
    if not len(rows):
        return rows
    offset = int(case.profile.utc_offset.total_seconds())
    day = (rows["start_s"].to_numpy(np.int64) + offset) // 86_400
    minutes = np.where(rows["qualifies"].to_numpy(bool), (rows["end_s"] - rows["start_s"]).to_numpy(np.float64), 0.0)
    daily = daily_sums(rows["contact"].to_numpy(object), day, minutes / 60.0)
    out = rows.copy()
    out["qualifies"] = rows["qualifies"].to_numpy(bool) & (daily >= case.profile.close_minutes)
    return out


def daily_sums(
    contact: npt.NDArray[np.object_], day: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per row, the sum of ``values`` over its (contact, day): a grouped transform, summed in row order with
    Kahan compensation exactly as pandas sums a group, so that thresholds on it decide as before."""
    who, _ = pd.factorize(contact)
    pair, group = np.unique(who.astype(np.int64) * (int(day.max() - day.min()) + 1) + (day - day.min()),
                            return_inverse=True)  # fmt: skip
    group = group.astype(np.int64)
    sums: npt.NDArray[np.float64] = grouped_sum(group, values.astype(np.float64), len(pair))[group]
    return sums


def overlapping_visits(
    mine: pd.DataFrame,
    theirs_at: Callable[[npt.NDArray[np.str_]], pd.DataFrame],
    person_column: str,
    case: Case,
) -> tuple[pd.DataFrame, npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """The case's visits (``start_s``/``end_s``) inside the window paired with other people's visits at the same
    venues (``theirs_at(venue_ids)``; case columns suffixed ``_case``), with each pair's overlap ``[start, end)``,
    which may be empty. ``None`` when the case has no visit in the window."""
    mine = mine[(mine["start_s"] < case.end_s) & (mine["end_s"] > case.start_s)]
    if not len(mine):
        return None
    theirs = theirs_at(mine["venue_id"].to_numpy(str))
    theirs = theirs[theirs[person_column] != case.person]
    pairs = mine.merge(theirs, on="venue_id", suffixes=("_case", ""))
    start = np.maximum(pairs["start_s_case"].to_numpy(np.int64), pairs["start_s"].to_numpy(np.int64))
    end = np.minimum(pairs["end_s_case"].to_numpy(np.int64), pairs["end_s"].to_numpy(np.int64))
    return pairs, start, end


def disc_share(radius_m: float, area_m2: float | np.ndarray) -> np.ndarray:
    """Chance that two people placed at random in a room of ``area_m2`` are within ``radius_m``: the disc's
    share of the room, capped at 1 (edge effects make it a slight overestimate, which errs toward tracing)."""
    return np.minimum(1.0, np.pi * radius_m * radius_m / np.maximum(np.asarray(area_m2, dtype=np.float64), 1.0))
