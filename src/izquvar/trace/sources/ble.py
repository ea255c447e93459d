"""Bluetooth proximity: GAEN v2-style attenuation buckets and weighted minutes.

The Google/Apple Exposure Notification v2 risk model (Apple's ``ENExposureConfiguration``: three
``attenuationDurationThresholds`` cut scan time into immediate, near, medium and other, each with a duration
weight of 0-250 %; Google's ``DailySummariesConfig`` is the same) is configured per health authority. izquvar
uses immediate ≤ 55 dB (150 %), near ≤ 63 dB (100 %), medium ≤ 73 dB (50 %), other (0 %) by default (the
``ble`` section of :mod:`izquvar.trace.rules`). Rules:

* a row qualifies as close when the pair's immediate + near weighted minutes on that local day reach the
  close-contact minutes (15);
* grade: immediate and near → close, medium → casual, other → possible;
* ``p_near`` by bucket (0.95, 0.7, 0.25, 0.05): attenuation varies ±6 dB with phone pose and bodies in between,
  so even "immediate" is not certainty.
"""

from __future__ import annotations

import numpy as np

from izquvar.trace.evidence import EvidenceBatch, TracedCase, daily_sums, empty
from izquvar.trace.result import Source
from izquvar.trace.rules import DEFAULT_RULES, BleRules
from izquvar.trace.trace_data import TraceData

BUCKETS = ("immediate", "near", "medium", "other")


class BleSource:
    name: Source = "ble"

    def __init__(self, rules: BleRules = DEFAULT_RULES.ble) -> None:
        self.rules = rules

    def evidence(self, case: TracedCase, data: TraceData) -> EvidenceBatch:
        rows = data.ble.rows(data.person_code(case.person))
        if not len(rows):
            return empty()
        # clipped to the window (rows left empty dropped) before anything is derived from them
        start = np.maximum(rows["start_s"], case.start_s)
        end = np.minimum(rows["end_s"], case.end_s)
        inside = (rows["start_s"] < case.end_s) & (rows["end_s"] > case.start_s) & (end > start)
        if not inside.any():
            return empty()
        start, end, other = start[inside], end[inside], rows["other"][inside]
        attenuation = rows["attenuation_db"][inside]
        bucket = np.searchsorted(np.asarray(self.rules.thresholds_db), attenuation, side="left")
        weight = np.asarray(self.rules.weights)[bucket]
        close_weight = np.where(weight >= 1.0, weight, 0.0)
        offset = int(case.profile.utc_offset.total_seconds())
        day = (start + offset) // 86_400
        per_day = daily_sums(other, day, (end - start).astype(np.float64) / 60.0 * close_weight)
        return EvidenceBatch.of(
            len(start),
            contact=data.person_names(other),
            source="ble",
            start_s=start,
            end_s=end,
            attenuation_db=attenuation,
            p_near=np.asarray(self.rules.p_near)[bucket],
            grade=np.asarray(self.rules.grades, dtype=object)[bucket],
            qualifies=(per_day >= case.profile.close_minutes) & (close_weight > 0),
            setting="phone_proximity",
            detail=np.asarray(BUCKETS, dtype=object)[bucket],
        )
