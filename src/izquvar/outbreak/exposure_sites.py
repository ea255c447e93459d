"""Exposure sites ready to publish, under Korea's October 2020 disclosure rules.

KDCA's "Guidelines on disclosing the movement paths of confirmed patients" (3rd edition, October 2020) say:

1. publish **places and time ranges**, not per-patient paths: nothing ties a site to an individual case;
2. publish **no** age, sex, nationality, workplace name or home address;
3. the period is from **2 days before onset** (specimen date when asymptomatic) **to isolation**;
4. **do not publish a place when all its contacts have been identified** (there is nobody left to warn);
5. **remove** a place **14 days after the last exposure** there.

How izquvar applies them, rule by rule (each is tested in tests/outbreak/test_exposure_sites.py):

* (1) Visits of all cases to one venue are rounded outwards to :data:`ROUND_MINUTES` and merged where they
  overlap or touch: a published range may cover several cases and never says how many.
* (2) Only venue fields are published (name, category, area names, the venue's own coordinates). Homes and
  guest visits are never sites: a place with no venue or with a private setting is left out entirely, and
  venues of category ``workplace`` are left out because naming them names the case's employer.
* (3) Each visit is clipped to ``[local midnight of onset - 2 days, local midnight of isolation)``; without an
  isolation date the trace's own window end is used.
* (4) A site is *withheld* when its venue is a closed setting (category in :data:`CLOSED_CATEGORIES`: a school
  admits only rostered pupils and staff, all identified from the rosters) or when the investigators list it as
  fully identified (``identified_venues``). Data alone cannot prove that nobody unknown was there, so the
  second case is the investigators' call.
* (5) A site whose last exposure ended more than :data:`REMOVE_AFTER_DAYS` days before ``as_of`` (local dates)
  is *expired*.

The internal table keeps every range with its status (``published``, ``withheld``, ``expired``) for audit;
:func:`public_sites` returns only what may be published, with only public fields.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import pyarrow as pa

from izquvar.localtime import UZBEKISTAN_UTC_OFFSET
from izquvar.outbreak._arrow import schema, where

ROUND_MINUTES = 30
REMOVE_AFTER_DAYS = 14
KOREA_DAYS_BEFORE_ONSET = 2
#: Settings of places that are somebody's home or a private visit: never published.
PRIVATE_SETTINGS = frozenset({"home", "household", "visit", "private", "guest"})
#: Venue categories never published because they would name a case's workplace (rule 2).
UNPUBLISHED_CATEGORIES = frozenset({"workplace"})
#: Venues whose every visitor is on a roster: their contacts are all identified (rule 4).
CLOSED_CATEGORIES = frozenset({"school"})

SITES_SCHEMA = schema(
    pa.field("venue_id", pa.string(), nullable=False),
    pa.field("venue_name", pa.string()),
    pa.field("category", pa.string()),
    pa.field("region", pa.string()),
    pa.field("district", pa.string()),
    pa.field("mahalla", pa.string()),
    pa.field("lat", pa.float64(), nullable=False),
    pa.field("lon", pa.float64(), nullable=False),
    pa.field("start", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("end", pa.timestamp("us", tz="UTC"), nullable=False),
    pa.field("remove_after", pa.date32(), nullable=False),
    pa.field("status", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
)
#: The only fields that leave izquvar in a published list.
PUBLIC_FIELDS = ("venue_name", "category", "region", "district", "mahalla", "lat", "lon", "start", "end",
                 "remove_after")  # fmt: skip

_SITES_SQL = """
WITH windows AS (
    SELECT person,
           CAST(onset AS TIMESTAMPTZ) - to_seconds({offset_s} + 86400 * {days_before}) AS ks,
           CASE WHEN isolation IS NULL THEN window_end
                ELSE CAST(isolation AS TIMESTAMPTZ) - to_seconds({offset_s}) END AS ke
    FROM cases
),
visits AS (
    SELECT p.venue_id, p.venue_name, p.category, p.region, p.district, p.mahalla, p.lat, p.lon,
           time_bucket(INTERVAL '{round_min} minutes', greatest(p.start, w.ks)) AS s,
           greatest(p.start, w.ks) AS raw_s,
           least(p."end", w.ke) AS raw_t
    FROM places p JOIN windows w ON w.person = p."case"
    WHERE p.venue_id IS NOT NULL
      AND lower(p.setting) NOT IN ({private})
      AND coalesce(p.category, '') NOT IN ({unpublished})
),
rounded AS (
    SELECT *, CASE WHEN time_bucket(INTERVAL '{round_min} minutes', raw_t) = raw_t THEN raw_t
                   ELSE time_bucket(INTERVAL '{round_min} minutes', raw_t) + INTERVAL '{round_min} minutes'
              END AS t
    FROM visits WHERE raw_s < raw_t
),
flagged AS (
    SELECT *, CASE WHEN s <= max(t) OVER (PARTITION BY venue_id ORDER BY s, t
                                          ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                   THEN 0 ELSE 1 END AS opens
    FROM rounded
),
grouped AS (
    SELECT *, sum(opens) OVER (PARTITION BY venue_id ORDER BY s, t ROWS UNBOUNDED PRECEDING) AS grp
    FROM flagged
)
-- deterministic whatever DuckDB's threads do: visits at a venue on an area boundary may name two areas (the
-- first in order is kept), and a mean is summed in sorted order
SELECT venue_id, min(venue_name) AS venue_name, min(category) AS category,
       min(region) AS region, min(district) AS district, min(mahalla) AS mahalla,
       list_avg(list(lat ORDER BY lat)) AS lat, list_avg(list(lon ORDER BY lon)) AS lon,
       min(s) AS start, max(t) AS "end"
FROM grouped
GROUP BY venue_id, grp
ORDER BY start, venue_id
"""


def _sql_list(values: Iterable[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(values)) or "''"


def exposure_sites(
    cases: pa.Table,
    places: pa.Table,
    as_of: dt.date,
    identified_venues: Iterable[str] = (),
    utc_offset: dt.timedelta = UZBEKISTAN_UTC_OFFSET,
) -> pa.Table:
    """Every candidate exposure site (venue, merged time range) with its status under the Korean rules."""
    query = _SITES_SQL.format(
        offset_s=int(utc_offset.total_seconds()),
        days_before=KOREA_DAYS_BEFORE_ONSET,
        round_min=ROUND_MINUTES,
        private=_sql_list(PRIVATE_SETTINGS),
        unpublished=_sql_list(UNPUBLISHED_CATEGORIES),
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("cases", cases.select(["person", "onset", "isolation", "window_end"]))
        con.register("places", places)
        merged = con.sql(query).to_arrow_table()
    finally:
        con.close()
    identified = set(identified_venues)
    rows: list[dict[str, Any]] = merged.to_pylist()
    for row in rows:
        last_local_day = (row["end"] + utc_offset - dt.timedelta(microseconds=1)).date()
        row["remove_after"] = last_local_day + dt.timedelta(days=REMOVE_AFTER_DAYS)
        if row["category"] in CLOSED_CATEGORIES:
            row["status"], row["reason"] = "withheld", "closed setting: every contact is on a roster"
        elif row["venue_id"] in identified:
            row["status"], row["reason"] = "withheld", "investigators identified every contact"
        elif as_of > row["remove_after"]:
            row["status"], row["reason"] = "expired", f"last exposure over {REMOVE_AFTER_DAYS} days before {as_of}"
        else:
            row["status"], row["reason"] = "published", ""
    return pa.Table.from_pylist(rows, schema=SITES_SCHEMA)


def public_sites(sites: pa.Table) -> list[dict[str, Any]]:
    """The published sites with public fields only, times as ISO 8601 UTC, in time order."""
    published = where(sites, "status", "published").select(list(PUBLIC_FIELDS))
    out: list[dict[str, Any]] = []
    for row in published.to_pylist():
        row["start"] = row["start"].isoformat().replace("+00:00", "Z")
        row["end"] = row["end"].isoformat().replace("+00:00", "Z")
        row["remove_after"] = row["remove_after"].isoformat()
        row["lat"], row["lon"] = round(row["lat"], 5), round(row["lon"], 5)
        out.append(row)
    return out
