"""``info()["people"]`` counts persons: a phone number is its registered owner, not a second person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from feedkit import DAY1, NOW, PHONE_A, PHONE_B, iso, write_kind, write_world

from izquvar.store import EmbeddedStore

PINFL_A = "31203950123456"
PINFL_C = "42005880654321"


def test_phone_of_a_registered_person_is_that_person(store: EmbeddedStore, feeds: Path) -> None:
    people = [
        {"person": PINFL_A, "household": "h1", "birth_year": "1990", "sex": "F", "phone": PHONE_A,
         "home_lat": "", "home_lon": ""},
        {"person": PINFL_C, "household": "h2", "birth_year": "1980", "sex": "M", "phone": "",
         "home_lat": "", "home_lon": ""},
    ]  # fmt: skip
    cell = [
        {"subscriber": PHONE_A, "time": iso(DAY1 + dt.timedelta(hours=9)), "cell_id": "c-1"},
        {"subscriber": PHONE_B, "time": iso(DAY1 + dt.timedelta(hours=9)), "cell_id": "c-2"},
    ]
    gps = [{"person": PINFL_A, "time": iso(DAY1 + dt.timedelta(hours=9)), "lat": "41.31", "lon": "69.28",
            "accuracy_m": "10"}]  # fmt: skip
    paths = [*write_world(feeds), write_kind(feeds, "people", people), write_kind(feeds, "cell", cell)]
    paths.append(write_kind(feeds, "gps", gps))
    report = store.ingest(paths, now=NOW)
    assert report.reject_count == 0
    # PINFL_A (also seen as PHONE_A), PINFL_C, and PHONE_B whose owner is not registered.
    assert store.info()["people"] == 3
