"""Small hand-made feeds for ingest and store tests: a few Tashkent venues, towers, merchants and pings.

Everything is written by the tests themselves (CSV text exactly as given, Parquet typed by formats/feeds.py), so
each test states the rows it relies on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from izquvar.config import Settings
from izquvar.formats import KINDS

UTC = dt.UTC
#: The ingest clock of the tests: later than every event below.
NOW = dt.datetime(2026, 3, 5, 12, 0, tzinfo=UTC)
DAY1 = dt.datetime(2026, 3, 2, tzinfo=UTC)
DAY2 = dt.datetime(2026, 3, 3, tzinfo=UTC)

#: Raw phone numbers used as person identifiers: must never appear in a store's bytes.
PHONE_A = "+998901234567"
PHONE_B = "+998907654321"
PHONE_C = "+998935550011"

VENUES = [
    {
        "venue_id": "v-school",
        "name": "School 12",
        "category": "school",
        "indoor": "true",
        "capacity": "600",
        "lat": "41.3110",
        "lon": "69.2790",
        "zones": "20",
        "accepts_cards": "false",
    },
    {
        "venue_id": "v-bazaar",
        "name": "Chorsu bazaar",
        "category": "bazaar",
        "indoor": "false",
        "capacity": "5000",
        "lat": "41.3265",
        "lon": "69.2340",
        "zones": "",
        "accepts_cards": "true",
    },
    {
        "venue_id": "v-choyxona",
        "name": "Choyxona",
        "category": "choyxona",
        "indoor": "true",
        "capacity": "80",
        "lat": "41.3000",
        "lon": "69.2500",
        "zones": "2",
        "accepts_cards": "true",
    },
]
TOWERS = [
    {"cell_id": "c-1", "lat": "41.3100", "lon": "69.2800", "range_m": "1500"},
    {"cell_id": "c-2", "lat": "41.3260", "lon": "69.2350", "range_m": "800"},
]
MERCHANTS = [
    {"merchant_id": "m-1", "venue_id": "v-bazaar", "name": "Chorsu stall 7"},
    {"merchant_id": "m-2", "venue_id": "v-choyxona", "name": ""},
]


def settings(**overrides: Any) -> Settings:
    """Development settings with a test key (never the environment's)."""
    values: dict[str, Any] = {"pseudonym_key": "test-key-0123456789abcdef0123456789", **overrides}
    return Settings(**values)


def iso(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Mapping[str, str] | Sequence[str]]) -> Path:
    """CSV text exactly as given (a row may be a mapping or the raw list of fields)."""
    lines = [",".join(header)]
    for row in rows:
        fields = [row.get(h, "") for h in header] if isinstance(row, Mapping) else list(row)
        lines.append(",".join(fields))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def typed_table(kind: str, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Rows (text or typed values) as an Arrow table of the kind's schema."""
    schema = KINDS[kind].arrow_schema()
    columns = {}
    for field in schema:
        values = [_typed(row.get(field.name), field.type) for row in rows]
        columns[field.name] = pa.array(values, type=field.type)
    return pa.table(columns, schema=pa.schema([pa.field(f.name, f.type) for f in schema]))


def _typed(value: Any, arrow_type: pa.DataType) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value
    if pa.types.is_timestamp(arrow_type):
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if pa.types.is_date32(arrow_type):
        return dt.date.fromisoformat(value)
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_integer(arrow_type):
        return int(value)
    if pa.types.is_boolean(arrow_type):
        return value.lower() == "true"
    return value


def write_parquet(path: Path, kind: str, rows: Sequence[Mapping[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(typed_table(kind, rows), path)
    return path


def write_kind(directory: Path, kind: str, rows: Sequence[Mapping[str, str]], fmt: str = "csv") -> Path:
    """``<directory>/<kind>.<fmt>`` holding ``rows``."""
    header = [c.name for c in KINDS[kind].columns]
    if fmt == "csv":
        return write_csv(directory / f"{kind}.csv", header, rows)
    return write_parquet(directory / f"{kind}.parquet", kind, rows)


def write_world(directory: Path, fmt: str = "csv") -> list[Path]:
    """Venues, towers and merchants: the reference data the event fixtures point at."""
    return [
        write_kind(directory, "venues", VENUES, fmt),
        write_kind(directory, "towers", TOWERS, fmt),
        write_kind(directory, "merchants", MERCHANTS, fmt),
    ]


def stay_pings(
    person: str,
    lat: float,
    lon: float,
    start: dt.datetime,
    minutes: int,
    every: int = 5,
    accuracy: float = 10.0,
) -> list[dict[str, str]]:
    """Pings every ``every`` minutes for ``minutes`` minutes at one place (a stay), as CSV text."""
    return [
        {
            "person": person,
            "time": iso(start + dt.timedelta(minutes=m)),
            "lat": f"{lat:.6f}",
            "lon": f"{lon:.6f}",
            "accuracy_m": f"{accuracy}",
        }
        for m in range(0, minutes + 1, every)
    ]


def gps_rows() -> list[dict[str, str]]:
    """Two people, two days: A at school, then travelling, then the bazaar; B at the choyxona overnight."""
    rows = stay_pings(PHONE_A, 41.3110, 69.2790, DAY1 + dt.timedelta(hours=8), 60)
    rows += stay_pings(PHONE_A, 41.3200, 69.2600, DAY1 + dt.timedelta(hours=9, minutes=5), 0)
    rows += stay_pings(PHONE_A, 41.3265, 69.2340, DAY1 + dt.timedelta(hours=10), 30)
    rows += stay_pings(PHONE_A, 41.3500, 69.3000, DAY1 + dt.timedelta(hours=10, minutes=35), 0)
    # B stays at the choyxona from 23:00 on day 1 to 01:00 on day 2: one stay across midnight.
    rows += stay_pings(PHONE_B, 41.3000, 69.2500, DAY1 + dt.timedelta(hours=23), 120)
    rows += stay_pings(PHONE_B, 41.3600, 69.3100, DAY2 + dt.timedelta(hours=1, minutes=5), 0)
    return rows
