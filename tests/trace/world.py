"""A hand-made world for tracer tests: a case, the people each source should find, and a store built by
ingesting CSVs written here. Times are UTC; Tashkent is UTC+5, so local midnight is 19:00 UTC the day before.

The case (onset 2026-03-04, isolated 2026-03-06) is infectious from 2026-03-02 00:00 local (2026-03-01 19:00Z)
to 2026-03-06 00:00 local (2026-03-05 19:00Z): local days 2-5 March (Monday to Thursday).
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from izquvar import LocationStore, open_store

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ingest"))

from feedkit import settings  # type: ignore[import-not-found]

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
ONSET = dt.date(2026, 3, 4)
ISOLATION = dt.date(2026, 3, 6)
CASE = "P-CASE"
HOME = (41.3000, 69.2500)
FAR = (41.3600, 69.3300)
PARK = (41.3200, 69.2700)
CHOYXONA = (41.3050, 69.2600)
VISITED = (41.2900, 69.2200)
#: Neighbours of the case: one lives 40 m north (and visits), one 25 m north (and stays at home).
NEIGHBOUR_HOME = (HOME[0] + 0.00036, HOME[1])
NEXT_DOOR_HOME = (HOME[0] + 0.000225, HOME[1])
BIG_DEPT = [f"P-BIG{k:02d}" for k in range(40)]

PEOPLE = {
    # person: (household, phone)
    CASE: ("H1", "+998900000001"),
    "P-SPOUSE": ("H1", "+998900000002"),
    "P-AWAY": ("H1", "+998900000003"),
    "P-COL": ("H2", "+998900000004"),
    "P-BLE1": ("H3", ""),
    "P-BLE2": ("H4", ""),
    "P-BLE15": ("H5", ""),
    "P-BLE14": ("H6", ""),
    "P-CHK1": ("H7", ""),
    "P-CHK2": ("H8", ""),
    "P-CARD": ("H9", ""),
    "P-CARD2": ("H10", ""),
    "P-CELL": ("H11", "+998900000011"),
    "P-GPS": ("H12", ""),
    "P-NOBODY": ("H13", ""),
    "P-HOST": ("H20", ""),
    "P-HOST2": ("H20", ""),
    "P-GUEST": ("H21", ""),
    **{p: (f"HB{k}", "") for k, p in enumerate(BIG_DEPT)},
    "P-NEIGHBOUR": ("H22", ""),
    "P-NEXTDOOR": ("H23", ""),
}
#: Registered homes other than the far-away default.
HOMES = {"H1": HOME, "H20": VISITED, "H22": NEIGHBOUR_HOME, "H23": NEXT_DOOR_HOME}


def z(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A UTC time on March ``day``."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


def _write(path: Path, rows: Iterable[Mapping[str, object]], header: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})


def _pings(person: str, start: dt.datetime, minutes: int, where: tuple[float, float], accuracy: float,
           step_min: int = 1, jitter: float = 0.0) -> list[dict[str, object]]:  # fmt: skip
    """Pings at ``where`` then two a kilometre away: stay detection ends a stay at the first ping that left."""
    rows: list[dict[str, object]] = [
        {
            "person": person,
            "time": z(start + dt.timedelta(minutes=k)),
            "lat": f"{where[0] + jitter * ((k % 3) - 1) * 1e-6:.7f}",
            "lon": f"{where[1]:.7f}",
            "accuracy_m": accuracy,
        }
        for k in range(0, minutes + 1, step_min)
    ]
    for k in (1, 2):
        when = z(start + dt.timedelta(minutes=minutes + 5 * k))
        rows.append(
            {
                "person": person,
                "time": when,
                "lat": f"{where[0] + 0.01 * k:.7f}",
                "lon": f"{where[1]:.7f}",
                "accuracy_m": accuracy,
            }
        )
    return rows


def write_feeds(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    _write(
        directory / "venues.csv",
        [
            {
                "venue_id": "v-office",
                "name": "Office 7",
                "category": "workplace",
                "indoor": "true",
                "capacity": "60",
                "lat": "41.3100",
                "lon": "69.2800",
                "zones": "3",
                "accepts_cards": "false",
            },
            {
                "venue_id": "v-choy",
                "name": "Choyxona Navro'z",
                "category": "choyxona",
                "indoor": "true",
                "capacity": "60",
                "lat": f"{CHOYXONA[0]}",
                "lon": f"{CHOYXONA[1]}",
                "zones": "2",
                "accepts_cards": "true",
            },
        ],
        ["venue_id", "name", "category", "indoor", "capacity", "lat", "lon", "zones", "accepts_cards"],
    )
    _write(
        directory / "people.csv",
        [
            {
                "person": p,
                "household": h,
                "birth_year": 1985,
                "sex": "F",
                "phone": phone,
                "home_lat": HOMES[h][0] if h in HOMES else FAR[0] + 0.01 * k,
                "home_lon": HOMES[h][1] if h in HOMES else FAR[1],
            }
            for k, (p, (h, phone)) in enumerate(PEOPLE.items())
        ],
        ["person", "household", "birth_year", "sex", "phone", "home_lat", "home_lon"],
    )
    rosters = [
        {"person": p, "group_id": "v-office/small", "group_kind": "department", "venue_id": "v-office", "zone": 0}
        for p in (CASE, "P-COL")
    ] + [
        {"person": p, "group_id": "v-office/big", "group_kind": "department", "venue_id": "v-office", "zone": 1}
        for p in (CASE, *BIG_DEPT)
    ]
    _write(directory / "rosters.csv", rosters, ["person", "group_id", "group_kind", "venue_id", "zone"])
    _write(
        directory / "towers.csv",
        [
            {"cell_id": "c1", "lat": CHOYXONA[0], "lon": CHOYXONA[1], "range_m": 800},
            {"cell_id": "c2", "lat": FAR[0], "lon": FAR[1], "range_m": 800},
        ],
        ["cell_id", "lat", "lon", "range_m"],
    )
    _write(directory / "merchants.csv", [{"merchant_id": "m-choy", "venue_id": "v-choy", "name": "Navro'z"}],
           ["merchant_id", "venue_id", "name"])  # fmt: skip
    _write(
        directory / "checkins.csv",
        [
            {"person": CASE, "venue_id": "v-choy", "check_in": z(at(3, 10)), "check_out": z(at(3, 11))},
            {"person": "P-CHK1", "venue_id": "v-choy", "check_in": z(at(3, 10, 30)), "check_out": None},
            {"person": "P-CHK2", "venue_id": "v-choy", "check_in": z(at(3, 12)), "check_out": z(at(3, 13))},
        ],
        ["person", "venue_id", "check_in", "check_out", "zone"],
    )
    _write(
        directory / "card.csv",
        [
            {"card_holder": CASE, "time": z(at(3, 10, 55)), "merchant_id": "m-choy", "amount_uzs": 50000},
            {"card_holder": "P-CARD", "time": z(at(3, 10, 58)), "merchant_id": "m-choy", "amount_uzs": 30000},
            {"card_holder": "P-CARD2", "time": z(at(3, 11, 50)), "merchant_id": "m-choy", "amount_uzs": 20000},
        ],
        ["card_holder", "time", "merchant_id", "amount_uzs"],
    )
    _write(
        directory / "ble.csv",
        [
            {"person_a": CASE, "person_b": "P-BLE1", "time": z(at(3, 5)), "duration_s": 1200, "attenuation_db": 50},
            {"person_a": "P-BLE2", "person_b": CASE, "time": z(at(3, 6)), "duration_s": 1200, "attenuation_db": 70},
            {"person_a": CASE, "person_b": "P-BLE15", "time": z(at(4, 5)), "duration_s": 900, "attenuation_db": 60},
            {"person_a": CASE, "person_b": "P-BLE14", "time": z(at(4, 6)), "duration_s": 840, "attenuation_db": 60},
        ],
        ["person_a", "person_b", "time", "duration_s", "attenuation_db"],
    )
    _write(
        directory / "cell.csv",
        [
            {"subscriber": "+998900000001", "time": z(at(3, 10, 20)), "cell_id": "c1"},
            {"subscriber": "+998900000011", "time": z(at(3, 10, 40)), "cell_id": "c1"},
            {"subscriber": "+998900000001", "time": z(at(4, 14, 0)), "cell_id": "c2"},
            # a stranger's phone far away at both ends of the window: the feeds cover all of it
            {"subscriber": "+998909999999", "time": z(at(1, 19, 0)), "cell_id": "c2"},
            {"subscriber": "+998909999999", "time": z(at(5, 19, 0)), "cell_id": "c2"},
        ],
        ["subscriber", "time", "cell_id"],
    )
    gps = (
        _pings(CASE, at(4, 8), 40, PARK, 5.0, jitter=1.0)
        + _pings("P-GPS", at(4, 8), 40, PARK, 5.0, jitter=1.0)
        # the case visits household H20 for two hours; P-GUEST visits the case's home for 90 minutes
        + _pings(CASE, at(2, 14), 120, VISITED, 10.0, step_min=5)
        + _pings("P-GUEST", at(3, 14), 90, HOME, 10.0, step_min=5)
        # a neighbour from 40 m away visits the case's home for an hour; the next-door neighbour, 25 m away,
        # spends two hours at their own home, which imprecise GPS also puts within reach of the case's
        + _pings("P-NEIGHBOUR", at(3, 17), 60, HOME, 10.0, step_min=5)
        + _pings("P-NEXTDOOR", at(3, 16), 120, NEXT_DOOR_HOME, 25.0, step_min=5)
        # P-AWAY spends the local night of 3-4 March (19:00Z on the 3rd to 02:00Z on the 4th) far from home
        + _pings("P-AWAY", at(3, 19), 7 * 60, FAR, 10.0, step_min=5)
    )
    _write(directory / "gps.csv", gps, ["person", "time", "lat", "lon", "accuracy_m"])
    return directory


def build_store(tmp: Path) -> LocationStore:
    feeds = write_feeds(tmp / "feeds")
    store = open_store(tmp / "store", settings=settings())
    store.ingest(sorted(feeds.iterdir()), now=NOW)
    return store
