"""Home visits: GPS puts the case at another household's registered home, or someone else at the case's.

Households visit relatives and neighbours (*mehmon*) for an hour or three, and a home is small: this is where
many close contacts outside the household happen, yet no venue feed records it. The registry knows where each
household lives, GPS where people stayed. Rules:

* a stay *at* a home: not matched to a venue, at least :data:`MIN_MINUTES` long, its centroid within
  ``15 m + 2.5 σ`` of the home (``σ = accuracy / √pings``; 15 m for the home's own size and geocoding),
  at most :data:`MAX_RADIUS_M`;
* the case at another household's home → every member of that household (assumed at home: they are the
  hosts); someone else at the case's home → that person (the case assumed at home, unless GPS shows the case
  elsewhere then);
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
from izquvar.trace.data import TraceData, index_seconds
from izquvar.trace.evidence import Case, EvidenceBatch, clip, disc_share, empty
from izquvar.trace.index import cell_key
from izquvar.trace.result import Source

MIN_MINUTES = 30.0
HOME_SIZE_M = 15.0
SIGMAS = 2.5
MAX_RADIUS_M = 60.0
M2_PER_OCCUPANT = 15.0
#: A guest whose own registered home is this close is at home, not visiting.
OWN_HOME_M = 150.0


@dataclass(frozen=True)
class _Stays:
    person: npt.NDArray[np.object_]
    start_s: npt.NDArray[np.int64]
    end_s: npt.NDArray[np.int64]
    distance_m: npt.NDArray[np.float64]
    sigma_m: npt.NDArray[np.float64]


class VisitSource:
    name: Source = "gps"

    def evidence(self, case: Case, data: TraceData) -> EvidenceBatch:
        batches = [self._as_guest(case, data), self._as_host(case, data)]
        batches = [b for b in batches if len(b)]
        if not batches:
            return empty()
        rows = clip(EvidenceBatch.concat(batches), case)
        # expected close minutes, recomputed on the time left inside the window
        minutes = (rows["end_s"] - rows["start_s"]).astype(np.float64) / 60.0
        return rows.with_columns(qualifies=minutes * rows["p_near"] >= case.profile.close_minutes)

    def _as_guest(self, case: Case, data: TraceData) -> EvidenceBatch:
        """The case's stays at other households' homes → the hosts."""
        stays = case.stays
        if not len(stays) or not len(data.homes):
            return empty()
        minutes = (stays["end_s"] - stays["start_s"]).astype(np.float64) / 60.0
        sigma = _sigma(stays["accuracy_m"].astype(np.float64), stays["n_pings"].astype(np.float64))
        candidate = (stays["venue"] < 0) & (minutes >= MIN_MINUTES)
        own_code = data.household_of(case.person)
        own = str(data.people.households.names[own_code]) if own_code >= 0 else None
        hosts_of, stay_of, distances = [], [], []
        lats, lons = stays["lat"].astype(np.float64).tolist(), stays["lon"].astype(np.float64).tolist()
        for k in np.flatnonzero(candidate).tolist():  # the case's few long stays away from venues
            household, distance = _nearest_home(data, lats[k], lons[k])
            if household is None or household == own or distance > _radius(float(sigma[k])):
                continue
            hosts_of.append(data.people.members.rows(data.people.households.code(household))["person"])
            stay_of.append(k)
            distances.append(distance)
        if not hosts_of:
            return empty()
        n_hosts = np.asarray([len(h) for h in hosts_of], dtype=np.int64)
        occupants = np.repeat(n_hosts + 1, n_hosts)
        stay = np.repeat(np.asarray(stay_of, dtype=np.int64), n_hosts)
        p_near = disc_share(case.profile.close_distance_m, M2_PER_OCCUPANT * occupants.astype(np.float64))
        return EvidenceBatch.of(
            len(stay),
            contact=data.person_names(np.concatenate(hosts_of)),
            source="gps",
            start_s=stays["start_s"][stay],
            end_s=stays["end_s"][stay],
            lat=stays["lat"][stay],
            lon=stays["lon"][stay],
            distance_m=np.repeat(np.asarray(distances), n_hosts),
            p_near=p_near,
            grade="casual",
            qualifies=minutes[stay] * p_near >= case.profile.close_minutes,
            setting="visit",
            detail="case_visited",
        )

    def _as_host(self, case: Case, data: TraceData) -> EvidenceBatch:
        """Other people's stays at the case's home → the guests."""
        if case.home is None or data.stays.n_stays == 0:
            return empty()
        near = _stays_near(data, case.home, MAX_RADIUS_M, case.start_s, case.end_s)
        household_code = data.household_of(case.person)
        household = data.people.members.rows(household_code)["person"] if household_code >= 0 else np.empty(0, np.int64)
        household_names = set(data.person_names(household).tolist())
        keep = (
            (near.end_s - near.start_s >= MIN_MINUTES * 60)
            & (near.distance_m <= np.minimum(HOME_SIZE_M + SIGMAS * near.sigma_m, MAX_RADIUS_M))
            & ~np.isin(near.person, list(household_names | {case.person}))
        )
        if not keep.any():
            return empty()
        person = near.person[keep]
        codes = data.persons.encode_values(person)
        safe = np.maximum(codes, 0)
        lat = np.where(codes >= 0, data.people.home_lat[safe], np.nan)
        lon = np.where(codes >= 0, data.people.home_lon[safe], np.nan)
        registered = np.isfinite(lat) & np.isfinite(lon)
        distance_home = haversine_m(np.where(registered, lat, 0.0), np.where(registered, lon, 0.0), *case.home)
        lives_here = registered & (distance_home <= OWN_HOME_M)
        start, end = near.start_s[keep][~lives_here], near.end_s[keep][~lives_here]
        person = person[~lives_here]
        if not len(person):
            return empty()
        start, end = _while_case_home(case, start, end)
        occupants = max(len(household_names), 1) + 1
        p_near = float(disc_share(case.profile.close_distance_m, M2_PER_OCCUPANT * occupants))
        minutes = (end - start) / 60.0
        out = EvidenceBatch.of(
            len(person),
            contact=person,
            source="gps",
            start_s=start,
            end_s=end,
            lat=case.home[0],
            lon=case.home[1],
            distance_m=near.distance_m[keep][~lives_here],
            p_near=p_near,
            grade="casual",
            qualifies=minutes * p_near >= case.profile.close_minutes,
            setting="visit",
            detail="visited_case",
        )
        return out.take(out["end_s"] > out["start_s"])


def _project(lat: float, lon: float) -> tuple[float, float]:
    """A point in the stay index's national projection (metres)."""
    x, y = to_metres([lat], [lon])
    return float(x[0]), float(y[0])


def _sigma(accuracy: npt.NDArray[np.float64], pings: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    accuracy = np.where(np.isfinite(accuracy), accuracy, 25.0)
    sigma: npt.NDArray[np.float64] = accuracy / np.sqrt(np.maximum(pings, 1.0))
    return sigma


def at_someones_home(data: TraceData, lat: float, lon: float, sigma_m: float) -> bool:
    """Whether a position of error ``sigma_m`` is at a registered home (by :func:`_nearest_home`'s rule)."""
    household, distance = _nearest_home(data, lat, lon)
    return household is not None and distance <= _radius(sigma_m)


def _radius(sigma: float) -> float:
    return min(HOME_SIZE_M + SIGMAS * sigma, MAX_RADIUS_M)


def _nearest_home(data: TraceData, lat: float, lon: float) -> tuple[str | None, float]:
    """The registered home nearest to a point (within :data:`MAX_RADIUS_M`), by a grid lookup."""
    homes = data.homes
    px, py = _project(lat, lon)
    cx, cy = int(px // homes.cell_m), int(py // homes.cell_m)
    best: tuple[str | None, float] = (None, math.inf)
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            key = cell_key(np.asarray([cx + dx], np.int64), np.asarray([cy + dy], np.int64))[0]
            lo = int(np.searchsorted(homes.keys, key, side="left"))
            hi = int(np.searchsorted(homes.keys, key, side="right"))
            if hi == lo:
                continue
            d = np.hypot(homes.x[lo:hi] - px, homes.y[lo:hi] - py)
            j = int(np.argmin(d))
            if d[j] < best[1]:
                best = (str(homes.household[lo + j]), float(d[j]))
    return best


def _stays_near(data: TraceData, point: tuple[float, float], radius_m: float, start_s: int, end_s: int) -> _Stays:
    """Stays within ``radius_m`` of a point overlapping ``[start_s, end_s)``, read from the stay index's grid."""
    index = data.stays
    px, py = _project(point[0], point[1])
    x_dm, y_dm = px * 10.0, py * 10.0
    ring = math.ceil(radius_m * 10.0 / index.cell_dm)
    gx, gy = int(x_dm // index.cell_dm), int(y_dm // index.cell_dm)
    offsets = np.arange(-ring, ring + 1, dtype=np.int64)
    keys = cell_key(np.repeat(gx + offsets, len(offsets)), np.tile(gy + offsets, len(offsets)))
    slots = np.searchsorted(index.cell_keys, keys)
    valid = slots < len(index.cell_keys)
    valid[valid] = index.cell_keys[slots[valid]] == keys[valid]
    slots = slots[valid]
    rows = [np.arange(index.cell_offsets[s], index.cell_offsets[s + 1]) for s in slots]
    if not rows:
        return _Stays(*(np.empty(0, dtype=t) for t in (object, np.int64, np.int64, np.float64, np.float64)))
    pos = np.concatenate(rows)
    s = index_seconds(index.start_s[pos])
    e = index_seconds(index.end_s[pos])
    d = np.hypot(index.x_dm[pos] - x_dm, index.y_dm[pos] - y_dm) / 10.0
    keep = (s < end_s) & (e > start_s) & (d <= radius_m)
    if "venue" in data.stay_columns:
        keep &= data.stay_columns["venue"][pos] < 0
    pos = pos[keep]
    accuracy = data.stay_columns["accuracy_m"][pos].astype(np.float64) if "accuracy_m" in data.stay_columns else 25.0
    pings = data.stay_columns["n_pings"][pos].astype(np.float64) if "n_pings" in data.stay_columns else 1.0
    person = np.asarray(index.persons.take(index.person[pos].astype(np.int64)).to_pylist(), dtype=object)
    return _Stays(person, s[keep], e[keep], d[keep], _sigma(np.asarray(accuracy), np.asarray(pings)))


def _while_case_home(
    case: Case, start: npt.NDArray[np.int64], end: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Each guest stay cut to the case's presence at home: to the case's longest overlapping home stay when GPS
    has one, to nothing when GPS puts the case elsewhere throughout, whole when GPS says nothing then."""
    stays = case.stays
    if not len(stays) or case.home is None:
        return start, end
    lat, lon = stays["lat"].astype(np.float64), stays["lon"].astype(np.float64)
    home = np.asarray(haversine_m(lat, lon, *case.home) <= OWN_HOME_M, dtype=bool)
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
