"""Home visits: GPS puts the case at another household's registered home, or someone else at the case's.

Households visit relatives and neighbours (*mehmon*) for an hour or three, and a home is small: this is where
many close contacts outside the household happen, yet no venue feed records it. The registry knows where each
household lives, GPS where people stayed. Rules (the ``visits`` section of :mod:`izquvar.trace.rules`):

* a stay *at* a home: not matched to a venue, at least ``min_minutes`` (30) long, its centroid within
  ``15 m + 2.5 σ`` of the home (``σ = accuracy / √pings``; 15 m for the home's own size and geocoding),
  at most ``max_radius_m`` (60 m);
* the case at another household's home → every member of that household (assumed at home: they are the
  hosts); someone else at the case's home → that person (the case assumed at home, unless GPS shows the case
  elsewhere then: at home is within ``home_radius_m`` of it), unless the stay lies nearer to that person's own
  registered home: neighbours live closer together than GPS can separate, so only the nearer home tells a
  visit from a neighbour at home;
* people walk about a home, so ``p_near`` is the share of the time two people spend within 2 m: the disc
  share of a home of 15 m² per occupant (hosts and guest); the visit qualifies as close when the expected
  close minutes (minutes × ``p_near``) reach the close minutes; grade casual otherwise. (In a seated venue the
  same arithmetic would be wrong: a fixed seat is near another for the whole visit or not at all.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from izquvar.geo.distance import haversine_m, to_metres
from izquvar.trace.columnar import ranges
from izquvar.trace.evidence import EvidenceBatch, TracedCase, clip, disc_share, empty
from izquvar.trace.index import cell_key
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, VisitRules
from izquvar.trace.trace_data import TraceData, index_seconds


@dataclass(frozen=True)
class _Stays:
    person: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.int64]
    end_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.float64]
    sigma_m: npt.NDArray[np.float64]
    #: The stay's position in the national projection, metres.
    x_m: npt.NDArray[np.float64]
    y_m: npt.NDArray[np.float64]


class VisitSource:
    name: Source = "gps"

    def __init__(
        self, rules: VisitRules = DEFAULT_RULES.visits, home_radius_m: float = DEFAULT_RULES.home_radius_m
    ) -> None:
        self.rules = rules
        self.home_radius_m = home_radius_m

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        batches = [self._as_guest(case, data), self._as_host(case, data)]
        batches = [b for b in batches if len(b)]
        if not batches:
            return empty()
        rows = clip(EvidenceBatch.concat(batches), case)
        # expected close minutes, recomputed on the time left inside the window
        minutes = (rows["end_s"] - rows["start_s"]).astype(np.float64) / 60.0
        return rows.with_columns(qualifies=minutes * rows["p_near"] >= case.profile.close_minutes)

    def _as_guest(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        """The case's stays at other households' homes → the hosts."""
        stays = case.stays
        if not len(stays) or not len(data.homes):
            return empty()
        minutes = (stays["end_s"] - stays["start_s"]).astype(np.float64) / 60.0
        sigma = _sigma(stays["accuracy_m"].astype(np.float64), stays["n_pings"].astype(np.float64))
        candidate = np.flatnonzero((stays["venue"] < 0) & (minutes >= self.rules.min_minutes))
        lat, lon = stays["lat"].astype(np.float64)[candidate], stays["lon"].astype(np.float64)[candidate]
        household, distance = nearest_homes(data, lat, lon)
        own = data.household_of(case.person)
        hosted = (household >= 0) & (household != own) & (distance <= _radius(sigma[candidate], self.rules))
        if not hosted.any():
            return empty()
        rows, owner = data.people.members.positions(household[hosted])
        hosts = data.people.members.columns["person"][rows]
        n_hosts = np.bincount(owner, minlength=int(hosted.sum()))
        stay = candidate[hosted][owner]
        occupants = (n_hosts + 1)[owner].astype(np.float64)
        p_near = disc_share(case.profile.close_distance_m, self.rules.m2_per_occupant * occupants)
        return EvidenceBatch.of(
            len(stay),
            contact=data.person_names(hosts),
            source="gps",
            start_s=stays["start_s"][stay],
            end_s=stays["end_s"][stay],
            lat=stays["lat"][stay],
            lon=stays["lon"][stay],
            distance_m=distance[hosted][owner],
            p_near=p_near,
            grade="casual",
            qualifies=minutes[stay] * p_near >= case.profile.close_minutes,
            setting="visit",
            detail="case_visited",
        )

    def _as_host(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        """Other people's stays at the case's home → the guests."""
        if case.home is None or data.stays.n_stays == 0:
            return empty()
        near = _stays_near(data, case.home, self.rules.max_radius_m, case.start_s, case.end_s)
        household_code = data.household_of(case.person)
        household = data.people.members.rows(household_code)["person"] if household_code >= 0 else np.empty(0, np.int64)
        household_names = set(data.person_names(household).tolist())
        ids = [data.stays.person_id(p) for p in household_names | {case.person}]
        residents = np.asarray([i for i in ids if i is not None], dtype=np.int64)
        keep = (
            (near.end_s - near.start_s >= self.rules.min_minutes * 60)
            & (near.distance_m <= _radius(near.sigma_m, self.rules))
            & ~np.isin(near.person, residents)
        )
        if not keep.any():
            return empty()
        person = near.person[keep]
        codes = data.stay_person_code[person]
        safe = np.maximum(codes, 0)
        lat = np.where(codes >= 0, data.people.home_lat[safe], np.nan)
        lon = np.where(codes >= 0, data.people.home_lon[safe], np.nan)
        registered = np.isfinite(lat) & np.isfinite(lon)
        # a neighbour's stay is at their own home when it lies nearer to it than to the case's: neighbours live
        # tens of metres apart, closer than GPS can separate, so distance alone would drop every neighbour's visit
        own_x, own_y = to_metres(np.where(registered, lat, 0.0), np.where(registered, lon, 0.0))
        to_own = np.hypot(own_x - near.x_m[keep], own_y - near.y_m[keep])
        guest = ~(registered & (to_own <= near.distance_m[keep]))
        start, end = near.start_s[keep][guest], near.end_s[keep][guest]
        person = person[guest]
        if not len(person):
            return empty()
        start, end = _while_case_home(case, start, end, self.home_radius_m)
        occupants = max(len(household_names), 1) + 1
        p_near = float(disc_share(case.profile.close_distance_m, self.rules.m2_per_occupant * occupants))
        minutes = (end - start) / 60.0
        out = EvidenceBatch.of(
            len(person),
            contact=data.stay_persons[person],
            source="gps",
            start_s=start,
            end_s=end,
            lat=case.home[0],
            lon=case.home[1],
            distance_m=near.distance_m[keep][guest],
            p_near=p_near,
            grade="casual",
            qualifies=minutes * p_near >= case.profile.close_minutes,
            setting="visit",
            detail="visited_case",
        )
        return out.take(out["end_s"] > out["start_s"])


def within_m(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64], point: tuple[float, float], radius_m: float
) -> npt.NDArray[np.bool_]:
    """``haversine_m(lat, lon, *point) <= radius_m`` for each point, decided exactly as a call per point decides:
    numpy's one-element and array paths may differ in the last bit, so the rare distances within a micrometre
    of the radius are computed again one by one."""
    distance = np.asarray(haversine_m(lat, lon, point[0], point[1]), dtype=np.float64)
    for k in np.flatnonzero(np.abs(distance - radius_m) < 1e-6).tolist():
        distance[k] = float(haversine_m(float(lat[k]), float(lon[k]), point[0], point[1]))
    inside: npt.NDArray[np.bool_] = distance <= radius_m
    return inside


def _sigma(accuracy: npt.NDArray[np.float64], pings: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    accuracy = np.where(np.isfinite(accuracy), accuracy, 25.0)
    sigma: npt.NDArray[np.float64] = accuracy / np.sqrt(np.maximum(pings, 1.0))
    return sigma


def at_someones_home(
    data: TraceData,
    lat: npt.NDArray[np.float64],
    lon: npt.NDArray[np.float64],
    sigma_m: npt.NDArray[np.float64],
    rules: VisitRules = DEFAULT_RULES.visits,
) -> npt.NDArray[np.bool_]:
    """Whether each position of error ``sigma_m`` is at a registered home (by :func:`nearest_homes`' rule)."""
    household, distance = nearest_homes(data, lat, lon)
    at_home: npt.NDArray[np.bool_] = (household >= 0) & (distance <= _radius(sigma_m, rules))
    return at_home


def _radius(sigma: npt.NDArray[np.float64], rules: VisitRules) -> npt.NDArray[np.float64]:
    radius: npt.NDArray[np.float64] = np.minimum(rules.home_size_m + rules.sigmas * sigma, rules.max_radius_m)
    return radius


def nearest_homes(
    data: TraceData, lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """For each point, the household code of the nearest registered home in the 3×3 grid cells around it (-1
    when there is none) and its distance (m; infinite when none), all points in one grid lookup. Ties go to
    the home met first, cells in (dx, dy) order."""
    homes = data.homes
    household = np.full(len(lat), -1, dtype=np.int64)
    distance = np.full(len(lat), math.inf)
    if not len(lat) or not len(homes):
        return household, distance
    px, py = to_metres(lat, lon)
    cx = np.floor_divide(px, homes.cell_m).astype(np.int64)
    cy = np.floor_divide(py, homes.cell_m).astype(np.int64)
    dx, dy = np.repeat([-1, 0, 1], 3), np.tile([-1, 0, 1], 3)
    keys = cell_key((cx[:, None] + dx).reshape(-1), (cy[:, None] + dy).reshape(-1))
    rows, cell = ranges(np.searchsorted(homes.keys, keys, "left"), np.searchsorted(homes.keys, keys, "right"))
    point = cell // 9
    d = np.hypot(homes.x[rows] - px[point], homes.y[rows] - py[point])
    np.minimum.at(distance, point, d)
    best = np.flatnonzero(d == distance[point])
    found, first = np.unique(point[best], return_index=True)
    household[found] = homes.household[rows[best[first]]]
    return household, distance


def _stays_near(data: TraceData, point: tuple[float, float], radius_m: float, start_s: int, end_s: int) -> _Stays:
    """Stays within ``radius_m`` of a point overlapping ``[start_s, end_s)``, read from the stay index's grid;
    ``person`` is the stay index's person id."""
    index = data.stays
    x, y = to_metres([point[0]], [point[1]])
    x_dm, y_dm = float(x[0]) * 10.0, float(y[0]) * 10.0
    ring = math.ceil(radius_m * 10.0 / index.cell_dm)
    gx, gy = int(x_dm // index.cell_dm), int(y_dm // index.cell_dm)
    offsets = np.arange(-ring, ring + 1, dtype=np.int64)
    keys = cell_key(np.repeat(gx + offsets, len(offsets)), np.tile(gy + offsets, len(offsets)))
    slots = np.searchsorted(index.cell_keys, keys)
    valid = slots < len(index.cell_keys)
    valid[valid] = index.cell_keys[slots[valid]] == keys[valid]
    slots = slots[valid]
    pos = ranges(index.cell_offsets[slots].astype(np.int64), index.cell_offsets[slots + 1].astype(np.int64))[0]
    s = index_seconds(index.start_s[pos])
    e = index_seconds(index.end_s[pos])
    d = np.hypot(index.x_dm[pos] - x_dm, index.y_dm[pos] - y_dm) / 10.0
    keep = (s < end_s) & (e > start_s) & (d <= radius_m)
    if "venue" in data.stay_columns:
        keep &= data.stay_columns["venue"][pos] < 0
    pos = pos[keep]
    accuracy = data.stay_columns["accuracy_m"][pos].astype(np.float64) if "accuracy_m" in data.stay_columns else 25.0
    pings = data.stay_columns["n_pings"][pos].astype(np.float64) if "n_pings" in data.stay_columns else 1.0
    person = index.person[pos].astype(np.int64)
    sigma = _sigma(np.asarray(accuracy), np.asarray(pings))
    x_m, y_m = index.x_dm[pos].astype(np.float64) / 10.0, index.y_dm[pos].astype(np.float64) / 10.0
    return _Stays(person, s[keep], e[keep], d[keep], sigma, x_m, y_m)


def _while_case_home(
    case: TracedCase, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64], home_radius_m: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each guest stay cut to the case's presence at home: to the case's longest overlapping home stay when GPS
    has one, to nothing when GPS puts the case elsewhere throughout, whole when GPS says nothing then."""
    stays = case.stays
    if not len(stays) or case.home is None:
        return start, end
    lat, lon = stays["lat"].astype(np.float64), stays["lon"].astype(np.float64)
    home = np.asarray(haversine_m(lat, lon, *case.home) <= home_radius_m, dtype=bool)
    cs = stays["start_s"]
    ce = stays["end_s"]
    lo = np.maximum(start[:, None], cs[None, :])
    hi = np.minimum(end[:, None], ce[None, :])
    overlap = np.where(hi > lo, hi - lo, 0)
    seen = (overlap > 0).any(axis=1)
    at_home = np.where(home[None, :], overlap, 0)
    best = np.argmax(at_home, axis=1)
    rows = np.arange(len(start))
    found = at_home[rows, best] > 0
    new_start = np.where(found, lo[rows, best], np.where(seen, start, start))
    new_end = np.where(found, hi[rows, best], np.where(seen, start, end))
    return new_start, new_end
