"""The evidence frame every source produces, and the case every source looks at.

Why one columnar shape: sources differ in what they know (a distance, an attenuation, a venue, only a cell),
but fusion must union their minutes per contact and per day without caring where a row came from. Each row
says, besides where and when, how near the two probably were (``p_near``: the probability that this time was
spent within the close distance), what proximity the row supports on its own (``grade``) and whether it alone
meets the close-contact definition for its day (``qualifies``, e.g. 15 GAEN-weighted Bluetooth minutes).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from izquvar.trace.columnar import Columns, Grouped
from izquvar.trace.disease import DiseaseProfile
from izquvar.trace.numeric import grouped_sum
from izquvar.trace.result import Source
from izquvar.trace.trace_data import TraceData

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


_SCHEMA = [(name, default, _DTYPES.get(name, object)) for name, default in COLUMNS.items()]


class EvidenceBatch(Columns):
    """One source's evidence rows as numpy columns: every name of :data:`COLUMNS`, in that order."""

    @classmethod
    def of(cls, n: int, **columns: Any) -> EvidenceBatch:
        """``n`` rows: given columns (arrays or scalars), the rest at their empty value."""
        unknown = set(columns) - set(COLUMNS)
        if unknown:
            raise KeyError(f"not evidence columns: {sorted(unknown)}")
        data: dict[str, npt.NDArray[Any]] = {}
        for name, default, dtype in _SCHEMA:
            value = columns.get(name, default)
            if isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim):
                data[name] = np.asarray(value, dtype=dtype)
            else:
                data[name] = np.full(n, value, dtype=dtype)
        return cls(data, n)

    @staticmethod
    def concat(batches: Sequence[EvidenceBatch]) -> EvidenceBatch:
        """Rows of several batches, in order."""
        if not batches:
            return empty()
        if len(batches) == 1:
            return batches[0]
        data = {name: np.concatenate([b[name] for b in batches]) for name in COLUMNS}
        return EvidenceBatch(data, sum(len(b) for b in batches))


def frame(n: int, **columns: Any) -> pd.DataFrame:
    """An evidence frame of ``n`` rows as a pandas DataFrame (for tests and :func:`fuse.fuse`)."""
    return pd.DataFrame(dict(EvidenceBatch.of(n, **columns).items()))


def evidence_columns(
    frames: Sequence[EvidenceBatch | pd.DataFrame], exclude: str | None = None
) -> dict[str, npt.NDArray[Any]]:
    """The sources' evidence (batches or frames) as one set of numpy columns, rows of the contact ``exclude``
    left out: what ``pd.concat`` then ``to_numpy`` would give, without building the concatenated frame."""
    if not frames:
        return {name: np.empty(0) for name in COLUMNS}
    first = frames[0]
    names = list(first.columns) if isinstance(first, pd.DataFrame) else list(first)
    columns = {name: np.concatenate([_column(f, name) for f in frames]) for name in names}
    if exclude is not None:
        kept = columns["contact"] != exclude
        columns = {name: values[kept] for name, values in columns.items()}
    return columns


def _column(frame_: EvidenceBatch | pd.DataFrame, name: str) -> npt.NDArray[Any]:
    if isinstance(frame_, pd.DataFrame):
        return np.asarray(frame_[name].to_numpy())
    return frame_[name]


def empty() -> EvidenceBatch:
    """A batch without rows (shared: batches are never modified in place)."""
    return _EMPTY


_EMPTY = EvidenceBatch.of(0)


@dataclass(frozen=True)
class TracedCase:
    """The case as every source sees it: who, when infectious, and where the data put them."""

    person: str
    onset: dt.date
    start_s: int
    end_s: int
    profile: DiseaseProfile
    phone: str | None
    home: tuple[float, float] | None
    #: The case's GPS stays overlapping the window (columns of :meth:`TraceData.stays_of`).
    stays: Columns

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

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        """Evidence rows (see :data:`COLUMNS`) for everyone this source puts near ``case`` in its window."""
        ...


def clip(rows: EvidenceBatch, case: TracedCase) -> EvidenceBatch:
    """Rows clipped to the case's window; rows left empty are dropped."""
    if not len(rows):
        return rows
    start = np.maximum(rows["start_s"], case.start_s)
    end = np.minimum(rows["end_s"], case.end_s)
    return rows.with_columns(start_s=start, end_s=end).take(end > start)


def qualify_by_day(
    rows: EvidenceBatch, case: TracedCase, contact: npt.NDArray[np.int64] | None = None
) -> EvidenceBatch:
    """Keep ``qualifies`` only where the qualifying rows of a contact add up to the close minutes on their local
    day: a membership (household, roster) is close for the time actually spent together, so a block cut to a
    few minutes by the window or the data's end does not make a close contact. ``contact``: the rows' person
    codes, when the source has them (grouping by them is grouping by name, without hashing strings)."""
    if not len(rows):
        return rows
    offset = int(case.profile.utc_offset.total_seconds())
    day = (rows["start_s"] + offset) // 86_400
    qualifies = rows["qualifies"]
    minutes = np.where(qualifies, (rows["end_s"] - rows["start_s"]).astype(np.float64), 0.0)
    daily = daily_sums(rows["contact"] if contact is None else contact, day, minutes / 60.0)
    return rows.with_columns(qualifies=qualifies & (daily >= case.profile.close_minutes))


def daily_sums(
    contact: npt.NDArray[Any], day: npt.NDArray[np.int64], values: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Per row, the sum of ``values`` over its (contact, day): a grouped transform, summed in row order with
    Kahan compensation exactly as pandas sums a group, so that thresholds on it decide as before. ``contact``
    may be names or integer codes (codes group alike and cost no string hashing)."""
    if contact.dtype.kind in "iu":
        who = np.unique(contact, return_inverse=True)[1]
    else:
        who, _ = pd.factorize(contact)
    pair, group = np.unique(who.astype(np.int64) * (int(day.max() - day.min()) + 1) + (day - day.min()),
                            return_inverse=True)  # fmt: skip
    group = group.astype(np.int64)
    sums: npt.NDArray[np.float64] = grouped_sum(group, values.astype(np.float64), len(pair))[group]
    return sums


def visit_pairs(
    mine_venue: npt.NDArray[np.int64], theirs_at: Grouped, case_person: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each of the case's visits (venue codes) paired with other people's visits at the same venue: indexes
    into ``mine_venue`` and rows of ``theirs_at`` (grouped by venue, with a ``person`` code column), ordered
    as an inner join keeping the case's order (each visit's partners in the table's order)."""
    rows, owner = theirs_at.positions(mine_venue)
    others = theirs_at.columns["person"][rows] != case_person
    return owner[others], rows[others]


def disc_share(radius_m: float, area_m2: float | np.ndarray) -> np.ndarray:
    """Chance that two people placed at random in a room of ``area_m2`` are within ``radius_m``: the disc's
    share of the room, capped at 1 (edge effects make it a slight overestimate, which errs toward tracing)."""
    return np.minimum(1.0, np.pi * radius_m * radius_m / np.maximum(np.asarray(area_m2, dtype=np.float64), 1.0))
