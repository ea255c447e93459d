"""Lab results as the lab reports them: by specimen date, with the test used and the result."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from izquvar.simulate.clock import Clock
from izquvar.simulate.epidemic import LabRows
from izquvar.simulate.sources.common import ArrowArray, dates, table, take

RESULTS = np.array(["negative", "positive", "inconclusive"])


def results(rows: LabRows, person_id: ArrowArray, clock: Clock, last_day: int) -> pa.Table:
    """Results reported by the end of the simulation (later ones do not exist yet)."""
    keep = rows.result_day <= last_day
    return table(
        "lab",
        {
            "person": take(person_id, rows.person[keep]),
            "specimen_date": dates(clock.epoch_days(rows.specimen_day[keep])),
            "result_date": dates(clock.epoch_days(rows.result_day[keep])),
            "test": np.where(rows.pcr[keep], "PCR", "antigen"),
            "result": RESULTS[rows.result[keep]],
        },
    )
