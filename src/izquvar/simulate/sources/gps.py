"""Phone GPS pings of app users: a fix every 5 minutes while still, every minute while moving.

Imperfections: Gaussian position error (larger indoors, where the fix comes from Wi-Fi and weak satellite
signal), a share of fixes lost (the OS throttles background location, the battery saver kicks in), and no
fix at all underground in the metro.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.simulate.city import to_lat_lon
from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.copresence import SLOT_MIN, PlaceGeometry, SlotRows, absolute_xy
from izquvar.simulate.schedule import RIDE, Stays
from izquvar.simulate.sources.common import ArrowArray, table, take, timestamps

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


def _noisy(
    x: FloatArray, y: FloatArray, sigma: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Add horizontal error with RMS ``sigma`` (per axis σ/√2) and report an accuracy near ``sigma``."""
    per_axis = sigma / np.sqrt(2.0)
    nx = x + rng.normal(0.0, 1.0, len(x)) * per_axis
    ny = y + rng.normal(0.0, 1.0, len(y)) * per_axis
    reported = np.round(sigma * rng.uniform(0.8, 1.25, len(x)), 1)
    return nx, ny, reported


def still_pings(
    rows: SlotRows,
    stays: Stays,
    geometry: PlaceGeometry,
    phase_s: IntArray,
    app_user: BoolArray,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """One fix per 5-minute slot per app user present in a place (slot rows of one chunk).

    A slot's fix is taken at the phone's own phase within the slot, and only if the person is in this stay at
    that moment (stays are half-open, so two stays never share a fix). Rides are left to
    :func:`moving_pings`: a moving phone fixes every minute.
    """
    every = max(1, config.gps_interval_still_s // (SLOT_MIN * 60))
    keep = app_user[rows.person] & (rows.slot % every == 0) & (stays.kind[rows.stay] != RIDE)
    if not config.gps_fix_in_metro:
        keep &= ~geometry.underground[rows.place]
    minute_all = rows.slot * float(SLOT_MIN) + phase_s[rows.person] / 60.0
    keep &= (minute_all >= stays.start[rows.stay]) & (minute_all < stays.end[rows.stay])
    keep &= rng.random(len(keep)) >= config.gps_loss
    sel = np.flatnonzero(keep)
    person = rows.person[sel]
    place = rows.place[sel]
    minute = minute_all[sel]
    x, y = absolute_xy(rows, geometry, sel)
    sigma = np.where(geometry.indoor[place], config.gps_sigma_indoor_m, config.gps_sigma_outdoor_m)
    return _table(person, minute, x, y, sigma, person_id, clock, day, rng)


def moving_pings(
    stays: Stays,
    geometry: PlaceGeometry,
    phase_s: IntArray,
    app_user: BoolArray,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """Fixes every minute while travelling between stays and during bus rides (not underground)."""
    step = config.gps_interval_moving_s / 60.0
    user = app_user[stays.person]
    nxt = np.r_[stays.person[1:] == stays.person[:-1], False]
    # travel legs between consecutive stays of the same person
    legs = np.flatnonzero(user & nxt)
    leg_start = stays.end[legs]
    leg_end = stays.start[legs + 1]
    leg_x0, leg_y0 = stays.x1[legs], stays.y1[legs]
    leg_x1, leg_y1 = stays.x0[legs + 1], stays.y0[legs + 1]
    leg_sigma = np.full(len(legs), config.gps_sigma_outdoor_m)
    leg_person = stays.person[legs]
    # rides
    rides = np.flatnonzero(user & (stays.kind == RIDE))
    if not config.gps_fix_in_metro:
        rides = rides[~geometry.underground[stays.place[rides]]]
    start = np.r_[leg_start, stays.start[rides]]
    end = np.r_[leg_end, stays.end[rides]]
    x0 = np.r_[leg_x0, stays.x0[rides]]
    y0 = np.r_[leg_y0, stays.y0[rides]]
    x1 = np.r_[leg_x1, stays.x1[rides]]
    y1 = np.r_[leg_y1, stays.y1[rides]]
    sigma_leg = np.r_[leg_sigma, np.full(len(rides), config.gps_sigma_indoor_m)]
    person = np.r_[leg_person, stays.person[rides]]
    # fixes strictly inside each interval, offset by half a step so they never coincide with still fixes
    # k-th fix at start + (k + ½) step, strictly (by more than a second) before the next stay starts
    count = np.maximum(np.ceil((end - start - 1.0 / 60.0) / step - 0.5).astype(np.int64), 0)
    total = int(count.sum())
    leg = np.repeat(np.arange(len(count)), count)
    k = np.arange(total) - np.repeat(np.r_[0, np.cumsum(count)][:-1], count)
    minute = start[leg] + (k + 0.5) * step
    frac = (minute - start[leg]) / np.maximum(end[leg] - start[leg], 1e-9)
    x = x0[leg] + (x1[leg] - x0[leg]) * frac
    y = y0[leg] + (y1[leg] - y0[leg]) * frac
    lost = rng.random(total) < config.gps_loss
    keep = ~lost
    return _table(person[leg][keep], minute[keep], x[keep], y[keep], sigma_leg[leg][keep], person_id, clock, day, rng)


def _table(
    person: IntArray,
    minute: FloatArray,
    x: FloatArray,
    y: FloatArray,
    sigma: FloatArray,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    rng: np.random.Generator,
) -> pa.Table:
    nx, ny, accuracy = _noisy(x, y, sigma, rng)
    lat, lon = to_lat_lon(nx, ny)
    return table(
        "gps",
        {
            "person": take(person_id, person),
            "time": timestamps(clock.to_utc_us(day, minute)),
            "lat": lat,
            "lon": lon,
            "accuracy_m": accuracy,
        },
    )
