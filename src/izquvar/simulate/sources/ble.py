"""Bluetooth proximity between app users' phones: scans every 5 minutes see phones within range.

Each scan measures an attenuation from a log-distance path-loss model plus Gaussian noise (body shadowing,
phone models, pockets: σ ≈ 6 dB). Consecutive scans of a pair are merged into one encounter whose attenuation
is the mean of its scans, as exposure-notification APIs report "typical attenuation".
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from izquvar.simulate.clock import Clock
from izquvar.simulate.config import SimConfig
from izquvar.simulate.copresence import SLOT_MIN
from izquvar.simulate.sources.common import ArrowArray, table, take, timestamps

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def attenuation_db(distance_m: FloatArray, config: SimConfig, rng: np.random.Generator) -> FloatArray:
    """Measured attenuation of one scan at ``distance_m``: path loss plus N(0, σ) noise, in [0, 255] dB."""
    d = np.maximum(np.asarray(distance_m, dtype=np.float64), 0.1)
    mean = config.ble_attenuation_1m_db + 10.0 * config.ble_path_loss_exponent * np.log10(d)
    return np.clip(mean + rng.normal(0.0, config.ble_noise_db, len(d)), 0.0, 255.0)


def encounters(
    a: IntArray,
    b: IntArray,
    slot: IntArray,
    distance: FloatArray,
    person_id: ArrowArray,
    clock: Clock,
    day: int,
    config: SimConfig,
    rng: np.random.Generator,
) -> pa.Table:
    """Encounters from per-slot sightings (pairs of app users within range in the same zone).

    ``a`` and ``b`` are already ordered (``a`` is the pair's ``person_a``).
    """
    every = config.ble_scan_interval_s // (SLOT_MIN * 60)
    keep = slot % every == 0
    a, b, slot, distance = a[keep], b[keep], slot[keep], distance[keep]
    lo, hi = a, b
    att = attenuation_db(distance, config, rng)
    order = np.lexsort((slot, hi, lo))
    lo, hi, slot, att = lo[order], hi[order], slot[order], att[order]
    new = np.r_[True, (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1]) | (slot[1:] != slot[:-1] + every)]
    starts = np.flatnonzero(new)
    scans = np.diff(np.r_[starts, len(lo)])
    mean_att = np.add.reduceat(att, starts) / scans if len(starts) else np.zeros(0)
    minute: FloatArray = slot[starts].astype(np.float64) * SLOT_MIN
    return table(
        "ble",
        {
            "person_a": take(person_id, lo[starts]),
            "person_b": take(person_id, hi[starts]),
            "time": timestamps(clock.to_utc_us(day, minute)),
            "duration_s": (scans * config.ble_scan_interval_s).astype(np.int64),
            "attenuation_db": np.round(mean_att, 1),
        },
    )
