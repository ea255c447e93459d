"""Which feeds link a case to another person on a local day, read straight from the store's feeds.

Why not from the tracer's output: the question is what the data could tell *any* tracer, so the links must
not depend on one tracer's rules, caps or bugs. For every case, every local day its infectious window
touches, and every other person, :func:`daily_links` says which of these links exist and how strong each is:

``household``  same registered household (people registry), every day of the window;
``roster``     same school class or department (rosters), every day of the window;
``bluetooth``  a Bluetooth encounter of the two phones that day (both run the app);
``gps``        GPS stays of both overlapping in time with centroids within :data:`GPS_RADIUS_M`;
``visit``      a GPS stay of one of them, not at a venue, within :data:`VISIT_RADIUS_M` of the other's
               registered home and nearer to it than to their own: a guest, the other presumably the host
               (neighbours visit each other, so a guest's own home may be only a street away);
``checkins``   check-ins at the same venue with overlapping visits (check-out, else the category's usual
               dwell);
``card``       card payments at the same merchant venue within :data:`CARD_GAP_MIN` minutes;
``venue``      both at one venue at overlapping times by any other mix of feeds: a GPS stay matched to the
               venue, a check-in visit, a card payment's assumed visit (e.g. the case's GPS at a mosque while
               the other checked in there);
``cell``       both phones served by the same operator cell within :data:`CELL_GAP_MIN` minutes.

Each link keeps what a tracer could know about it (minutes together, distance, attenuation, venue category,
group size...): :mod:`izquvar.evaluate.ceiling` buckets these into the signatures its oracle bound ranks.
Everything is joins in DuckDB on hash keys (person, venue, cell, a ~55 m grid), never a Python loop per row.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Protocol

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.trace.rules import DEFAULT_RULES

#: Link types from the most to the least telling of closeness: the order "strongest link" uses.
#: The tracer's built-in Bluetooth buckets and venue dwells, which the bluetooth, check-in and card links mirror.
_BLE_RULES, _VENUES = DEFAULT_RULES.ble, DEFAULT_RULES.venues
_BEFORE_PAYMENT = _VENUES.share_before_payment
LINKS: tuple[str, ...] = ("household", "roster", "bluetooth", "gps", "visit", "checkins", "card", "venue", "cell")
GPS_RADIUS_M = 50.0
#: GPS "within 10 m": as near as two stay centroids can be told apart (indoor σ ~25 m over dozens of pings).
GPS_NEAR_M = 10.0
VISIT_RADIUS_M = 60.0
CARD_GAP_MIN = 60.0
CELL_GAP_MIN = 30.0
#: Near a registered home: a GPS stay there is "home" for the setting of a GPS link.
HOME_M = 100.0
_M_PER_DEG_LAT = 111_320.0


class FeedStore(Protocol):
    """What link finding needs from a store: its tables."""

    def table(
        self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None
    ) -> pa.Table: ...


#: Columns of :func:`daily_links`: (case, contact, local day) then each link's strength.
LINK_COLUMNS: dict[str, str] = {
    "household": "same registered household",
    "household_size": "people in that household",
    "roster": "group kind shared (school_class, department), else null",
    "roster_size": "members of the shared group",
    "ble_near_min": "Bluetooth minutes at ≤ the GAEN near threshold, GAEN-weighted (immediate 150 %)",
    "ble_min": "Bluetooth minutes at any attenuation",
    "ble_db": "lowest attenuation seen, dB",
    "gps_min": "minutes both had GPS stays within 50 m",
    "gps_near_min": "of which with centroids within 10 m",
    "gps_m": "smallest centroid distance, m",
    "gps_setting": "venue category of the stays, home (near a registered home) or nearby",
    "visit_min": "minutes one's GPS stay lay at the other's registered home",
    "checkin_min": "minutes of overlapping check-in visits at one venue",
    "checkin_category": "venue category of the longest overlap",
    "checkin_zone": "same, unknown (a zone missing) or other (different zones scanned)",
    "card_gap_min": "smallest gap between two payments at one venue, minutes",
    "card_category": "venue category of that payment",
    "venue_min": "longest time both were at one venue by a mix of feeds (GPS venue stay, check-in, card payment; "
    "the feeds overlap one another, so their times are not added up), minutes",
    "venue_category": "venue category of the longest such overlap",
    "cell_events": "case's operator events that had the other on the same cell within 30 minutes",
}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection in UTC that never draws a progress bar: evaluation output is often JSON on
    stdout, which DuckDB's bar (drawn for queries over two seconds) would corrupt."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute("SET TimeZone = 'UTC'")
    return con


def local_day_range(cases: pa.Table, utc_offset: dt.timedelta) -> pa.Table:
    """``person``, ``day_lo``, ``day_hi``: the local days (days since 1970-01-01) each case's window touches."""
    con = connect()
    try:
        con.register("cases", cases.select(["person", "window_start", "window_end"]))
        off = int(utc_offset.total_seconds())
        out: pa.Table = con.sql(
            f"""SELECT person,
                   floor((epoch(window_start) + {off}) / 86400)::BIGINT AS day_lo,
                   (ceil((epoch(window_end) + {off}) / 86400) - 1)::BIGINT AS day_hi
                FROM cases"""
        ).to_arrow_table()
    finally:
        con.close()
    return out


def daily_links(store: FeedStore, cases: pa.Table, utc_offset: dt.timedelta) -> pa.Table:
    """One row per (case, contact, local day) that some feed links, with the columns of :data:`LINK_COLUMNS`.

    ``cases`` has ``person``, ``window_start``, ``window_end`` (UTC); ``day`` in the result counts local days
    since 1970-01-01. Event feeds are read only for the UTC dates the windows touch.
    """
    days = local_day_range(cases, utc_offset)
    if days.num_rows == 0:
        return _empty()
    lo = int(pc.min(days.column("day_lo")).as_py())
    hi = int(pc.max(days.column("day_hi")).as_py())
    utc_days = [dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in range(lo - 1, hi + 2)]
    con = connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("windows", days)
        _register(con, store, utc_days)
        _prepare(con, int(utc_offset.total_seconds()))
        parts = [_HOUSEHOLD, _ROSTER, _BLE, _GPS, _VISIT, _CHECKINS, _CARD, _VENUE, _CELL]
        con.execute("CREATE TEMP TABLE links AS " + " UNION ALL ".join(f"({p})" for p in parts))
        table: pa.Table = con.sql(_PIVOT).to_arrow_table()
    finally:
        con.close()
    return table


def _empty() -> pa.Table:
    con = connect()
    try:
        con.execute(
            'CREATE TABLE links ("case" VARCHAR, contact VARCHAR, day BIGINT, link VARCHAR, v1 DOUBLE, '
            "v2 DOUBLE, v3 DOUBLE, label VARCHAR)"
        )
        out: pa.Table = con.sql(_PIVOT).to_arrow_table()
    finally:
        con.close()
    return out


def _register(con: duckdb.DuckDBPyConnection, store: FeedStore, utc_days: list[dt.date]) -> None:
    con.register("people", store.table("people", ["person", "household", "phone", "home_lat", "home_lon"]))
    con.register("rosters", store.table("rosters", ["person", "group_id", "group_kind"]))
    con.register("venues", store.table("venues", ["venue_id", "category"]))
    con.register("stays_raw", store.table("stays", ["person", "start", "end", "lat", "lon", "venue_id"], utc_days))
    con.register("ble_raw", store.table("ble", ["person_a", "person_b", "time", "duration_s", "attenuation_db"],
                                        utc_days))  # fmt: skip
    con.register("checkins_raw", store.table("checkins", ["person", "venue_id", "check_in", "check_out", "zone"],
                                             utc_days))  # fmt: skip
    con.register("card_raw", store.table("card", ["card_holder", "time", "venue_id"], utc_days))
    con.register("cell_raw", store.table("cell", ["subscriber", "time", "cell_id"], utc_days))


def _prepare(con: duckdb.DuckDBPyConnection, offset_s: int) -> None:
    """Shared temp tables: case days, windows in UTC seconds, stays on a grid, visits, homes."""
    lats = con.execute("SELECT max(abs(lat)) FROM stays_raw").fetchone()
    max_lat = float(lats[0]) if lats and lats[0] is not None else 0.0
    lat_step = VISIT_RADIUS_M / _M_PER_DEG_LAT * 1.01
    lon_step = lat_step / max(math.cos(math.radians(min(max_lat, 85.0))), 0.05)
    dwell = ", ".join(f"('{k}', {v * 60.0})" for k, v in _VENUES.dwell_minutes.items())
    statements = [
        f"CREATE TEMP TABLE params AS SELECT {offset_s}::BIGINT AS off, {lat_step} AS lat_step, {lon_step} AS lon_step",
        """CREATE TEMP TABLE case_days AS
           SELECT person AS "case", unnest(range(day_lo, day_hi + 1)) AS day FROM windows""",
        # each case's whole local days, in UTC seconds
        """CREATE TEMP TABLE spans AS
           SELECT person AS "case", day_lo * 86400 - p.off AS lo_s, (day_hi + 1) * 86400 - p.off AS hi_s
           FROM windows, params p""",
        f"CREATE TEMP TABLE dwell(category VARCHAR, dwell_s DOUBLE); INSERT INTO dwell VALUES {dwell}",
        """CREATE TEMP TABLE stays AS
           SELECT person, epoch(start)::BIGINT AS s, epoch("end")::BIGINT AS e, lat, lon, venue_id,
                  floor(lat / p.lat_step)::BIGINT AS gy, floor(lon / p.lon_step)::BIGINT AS gx
           FROM stays_raw, params p""",
        """CREATE TEMP TABLE homes AS
           SELECT person, household, home_lat AS lat, home_lon AS lon FROM people
           WHERE home_lat IS NOT NULL AND home_lon IS NOT NULL""",
        """CREATE TEMP TABLE case_stays AS
           SELECT w."case", st.*, greatest(st.s, w.lo_s) AS cs, least(st.e, w.hi_s) AS ce
           FROM stays st JOIN spans w ON st.person = w."case" AND st.s < w.hi_s AND st.e > w.lo_s""",
        # every venue visit any feed shows: GPS stays matched to a venue, check-ins (check-out or the usual
        # dwell), card payments (the usual dwell around the payment, most of it before)
        f"""CREATE TEMP TABLE venue_visits AS
           SELECT person, venue_id, s, e, 'gps' AS feed FROM stays WHERE venue_id IS NOT NULL
           UNION ALL
           SELECT c.person, c.venue_id, epoch(c.check_in)::BIGINT,
                  greatest(coalesce(epoch(c.check_out)::BIGINT,
                                    epoch(c.check_in)::BIGINT + coalesce(d.dwell_s, 3600)::BIGINT),
                           epoch(c.check_in)::BIGINT + 60), 'checkins'
           FROM checkins_raw c LEFT JOIN venues v ON v.venue_id = c.venue_id
           LEFT JOIN dwell d ON d.category = v.category
           UNION ALL
           SELECT c.card_holder, c.venue_id,
                  epoch(c.time)::BIGINT - round(coalesce(d.dwell_s, 3600) * {_BEFORE_PAYMENT})::BIGINT,
                  epoch(c.time)::BIGINT + round(coalesce(d.dwell_s, 3600) * (1 - {_BEFORE_PAYMENT}))::BIGINT,
                  'card'
           FROM card_raw c LEFT JOIN venues v ON v.venue_id = c.venue_id
           LEFT JOIN dwell d ON d.category = v.category WHERE c.venue_id IS NOT NULL""",
        # the 3 × 3 grid cells around each case stay: every stay within 50-60 m is in one of them
        """CREATE TEMP TABLE case_cells AS
           SELECT c.*, c.gy + dy AS ny, c.gx + dx AS nx
           FROM case_stays c, (SELECT unnest([-1, 0, 1]) AS dy), (SELECT unnest([-1, 0, 1]) AS dx)""",
    ]
    for statement in statements:
        con.execute(statement)


def _by_day(intervals: str) -> str:
    """The rows of ``intervals`` (a relation with ``s`` < ``e``, UTC seconds) split at local midnights, with
    ``day`` (local days since 1970-01-01) and ``minutes`` (the part of the interval in that day)."""
    return f"""(SELECT x.*, (least(x.e, (x.day + 1) * 86400 - x.off) - greatest(x.s, x.day * 86400 - x.off)) / 60.0
                      AS minutes
               FROM (SELECT i.*, p.off, unnest(range((i.s + p.off) // 86400, (i.e - 1 + p.off) // 86400 + 1)) AS day
                     FROM ({intervals}) i, params p) x)"""


_HOUSEHOLD = """
SELECT cd."case", m.person AS contact, cd.day, 'household' AS link, n.size::DOUBLE AS v1, NULL::DOUBLE AS v2,
       NULL::DOUBLE AS v3, NULL::VARCHAR AS label
FROM case_days cd
JOIN people me ON me.person = cd."case"
JOIN people m ON m.household = me.household AND m.person <> me.person
JOIN (SELECT household, count(*) AS size FROM people GROUP BY household) n ON n.household = me.household
"""

_ROSTER = """
SELECT cd."case", m.person AS contact, cd.day, 'roster' AS link, n.size::DOUBLE AS v1, NULL::DOUBLE AS v2,
       NULL::DOUBLE AS v3, me.group_kind AS label
FROM case_days cd
JOIN rosters me ON me.person = cd."case"
JOIN rosters m ON m.group_id = me.group_id AND m.person <> me.person
JOIN (SELECT group_id, count(*) AS size FROM rosters GROUP BY group_id) n ON n.group_id = me.group_id
"""

_BLE = f"""
WITH sides AS (
  SELECT person_a AS person, person_b AS other, epoch(time)::BIGINT AS t, duration_s, attenuation_db FROM ble_raw
  UNION ALL
  SELECT person_b, person_a, epoch(time)::BIGINT, duration_s, attenuation_db FROM ble_raw
)
SELECT w."case", b.other AS contact, (b.t + p.off) // 86400 AS day, 'bluetooth' AS link,
       b.duration_s / 60.0 * CASE WHEN b.attenuation_db <= {_BLE_RULES.thresholds_db[0]} THEN {_BLE_RULES.weights[0]}
                                  WHEN b.attenuation_db <= {_BLE_RULES.thresholds_db[1]} THEN {_BLE_RULES.weights[1]}
                                  ELSE 0 END AS v1,
       b.duration_s / 60.0 AS v2, b.attenuation_db AS v3, NULL::VARCHAR AS label
FROM sides b JOIN spans w ON b.person = w."case" AND b.t >= w.lo_s AND b.t < w.hi_s, params p
WHERE b.other <> w."case"
"""


def _distance_sql(a: str, b: str) -> str:
    """Equirectangular distance in metres between two (lat, lon) column pairs: exact to millimetres at 60 m."""
    return (
        f"sqrt(pow(({b}.lat - {a}.lat) * {_M_PER_DEG_LAT}, 2) + "
        f"pow(({b}.lon - {a}.lon) * {_M_PER_DEG_LAT} * cos(radians(({a}.lat + {b}.lat) / 2)), 2))"
    )


_GPS = f"""
WITH pairs AS (
  SELECT c."case", o.person AS contact, greatest(c.cs, o.s) AS s, least(c.ce, o.e) AS e,
         {_distance_sql("c", "o")} AS d, coalesce(c.venue_id, o.venue_id) AS venue_id, c.lat, c.lon
  FROM case_cells c JOIN stays o ON o.gy = c.ny AND o.gx = c.nx
  WHERE o.person <> c."case" AND o.s < c.ce AND o.e > c.cs
), kept AS (
  SELECT pr.*, CASE
      WHEN pr.venue_id IS NOT NULL THEN coalesce(v.category, 'other')
      WHEN EXISTS (SELECT 1 FROM homes h WHERE h.person IN (pr."case", pr.contact)
                   AND {_distance_sql("pr", "h")} <= {HOME_M}) THEN 'home'
      ELSE 'nearby' END AS setting
  FROM pairs pr LEFT JOIN venues v ON v.venue_id = pr.venue_id
  WHERE pr.d <= {GPS_RADIUS_M}
)
SELECT k."case", k.contact, k.day, 'gps' AS link, k.minutes AS v1,
       CASE WHEN k.d <= {GPS_NEAR_M} THEN k.minutes ELSE 0 END AS v2, k.d AS v3, k.setting AS label
FROM {_by_day("SELECT * FROM kept")} k
"""

_VISITS_KEPT = 'SELECT * FROM visits WHERE contact <> "case" AND e > s'

# a guest's stay: not at a venue, not near the stayer's own home, near a household's home
_VISIT = f"""
WITH home_points AS (
  SELECT household, avg(lat) AS lat, avg(lon) AS lon FROM homes GROUP BY household
), home_cells AS (
  SELECT hp.*, floor(hp.lat / p.lat_step)::BIGINT AS gy, floor(hp.lon / p.lon_step)::BIGINT AS gx
  FROM home_points hp, params p
), guest AS (
  -- the case at another household's home: its members
  SELECT c."case", m.person AS contact, c.cs AS s, c.ce AS e
  FROM case_cells c
  JOIN home_cells h ON h.gy = c.ny AND h.gx = c.nx
  JOIN people me ON me.person = c."case"
  JOIN people m ON m.household = h.household
  WHERE c.venue_id IS NULL AND h.household <> me.household AND {_distance_sql("c", "h")} <= {VISIT_RADIUS_M}
    AND NOT EXISTS (SELECT 1 FROM homes own WHERE own.person = c."case"
                    AND {_distance_sql("c", "own")} <= {_distance_sql("c", "h")})
), host_cells AS (
  SELECT w."case", w.lo_s, w.hi_s, hc.household, hc.lat, hc.lon, hc.gy + dy AS ny, hc.gx + dx AS nx
  FROM spans w JOIN people me ON me.person = w."case" JOIN home_cells hc ON hc.household = me.household,
       (SELECT unnest([-1, 0, 1]) AS dy), (SELECT unnest([-1, 0, 1]) AS dx)
), host AS (
  -- someone else at the case's home
  SELECT hc."case", o.person AS contact, greatest(o.s, hc.lo_s) AS s, least(o.e, hc.hi_s) AS e
  FROM host_cells hc
  JOIN stays o ON o.gy = hc.ny AND o.gx = hc.nx AND o.s < hc.hi_s AND o.e > hc.lo_s
  JOIN people them ON them.person = o.person
  WHERE o.venue_id IS NULL AND them.household <> hc.household AND {_distance_sql("hc", "o")} <= {VISIT_RADIUS_M}
    AND NOT EXISTS (SELECT 1 FROM homes own WHERE own.person = o.person
                    AND {_distance_sql("o", "own")} <= {_distance_sql("o", "hc")})
), visits AS (SELECT * FROM guest UNION ALL SELECT * FROM host)
SELECT vi."case", vi.contact, vi.day, 'visit' AS link, vi.minutes AS v1, NULL::DOUBLE AS v2, NULL::DOUBLE AS v3,
       NULL::VARCHAR AS label
FROM {_by_day(_VISITS_KEPT)} vi
"""

_CHECKINS = f"""
WITH visits AS (
  SELECT c.person, c.venue_id, c.zone, epoch(c.check_in)::BIGINT AS s,
         greatest(coalesce(epoch(c.check_out)::BIGINT,
                           epoch(c.check_in)::BIGINT + coalesce(d.dwell_s, 3600)::BIGINT),
                  epoch(c.check_in)::BIGINT + 60) AS e,
         coalesce(v.category, 'other') AS category
  FROM checkins_raw c LEFT JOIN venues v ON v.venue_id = c.venue_id LEFT JOIN dwell d ON d.category = v.category
), mine AS (
  SELECT w."case", vi.venue_id, vi.zone, greatest(vi.s, w.lo_s) AS s, least(vi.e, w.hi_s) AS e, vi.category
  FROM visits vi JOIN spans w ON vi.person = w."case" AND vi.s < w.hi_s AND vi.e > w.lo_s
), pairs AS (
  SELECT m."case", o.person AS contact, greatest(m.s, o.s) AS s, least(m.e, o.e) AS e, m.category,
         CASE WHEN m.zone IS NULL OR o.zone IS NULL THEN 1 WHEN m.zone = o.zone THEN 2 ELSE 0 END AS zone_rank
  FROM mine m JOIN visits o ON o.venue_id = m.venue_id AND o.s < m.e AND o.e > m.s
  WHERE o.person <> m."case"
)
SELECT pr."case", pr.contact, pr.day, 'checkins' AS link, pr.minutes AS v1, pr.zone_rank::DOUBLE AS v2,
       NULL::DOUBLE AS v3, pr.category AS label
FROM {_by_day("SELECT * FROM pairs")} pr
"""

_CARD = f"""
WITH pay AS (
  SELECT c.card_holder AS person, c.venue_id, epoch(c.time)::BIGINT AS t, coalesce(v.category, 'other') AS category
  FROM card_raw c LEFT JOIN venues v ON v.venue_id = c.venue_id WHERE c.venue_id IS NOT NULL
)
SELECT w."case", o.person AS contact, (m.t + p.off) // 86400 AS day, 'card' AS link,
       abs(o.t - m.t) / 60.0 AS v1, NULL::DOUBLE AS v2, NULL::DOUBLE AS v3, m.category AS label
FROM pay m JOIN spans w ON m.person = w."case" AND m.t >= w.lo_s AND m.t < w.hi_s
JOIN pay o ON o.venue_id = m.venue_id AND abs(o.t - m.t) <= {CARD_GAP_MIN * 60}, params p
WHERE o.person <> w."case"
"""

_VENUE = f"""
WITH mine AS (
  SELECT w."case", vv.venue_id, vv.feed, greatest(vv.s, w.lo_s) AS s, least(vv.e, w.hi_s) AS e
  FROM venue_visits vv JOIN spans w ON vv.person = w."case" AND vv.s < w.hi_s AND vv.e > w.lo_s
), pairs AS (
  SELECT m."case", o.person AS contact, greatest(m.s, o.s) AS s, least(m.e, o.e) AS e,
         coalesce(v.category, 'other') AS category
  FROM mine m JOIN venue_visits o ON o.venue_id = m.venue_id AND o.s < m.e AND o.e > m.s
  LEFT JOIN venues v ON v.venue_id = m.venue_id
  -- check-in pairs and card pairs are links of their own
  WHERE o.person <> m."case" AND NOT (m.feed = o.feed AND m.feed IN ('checkins', 'card'))
)
SELECT pr."case", pr.contact, pr.day, 'venue' AS link, pr.minutes AS v1, NULL::DOUBLE AS v2, NULL::DOUBLE AS v3,
       pr.category AS label
FROM {_by_day("SELECT * FROM pairs")} pr
"""

_CELL = f"""
WITH events AS (
  SELECT pe.person, epoch(c.time)::BIGINT AS t, c.cell_id
  FROM cell_raw c JOIN people pe ON pe.phone = c.subscriber
), mine AS (
  SELECT w."case", ev.t, ev.cell_id FROM events ev JOIN spans w ON ev.person = w."case"
  AND ev.t >= w.lo_s AND ev.t < w.hi_s
)
SELECT m."case", o.person AS contact, (m.t + p.off) // 86400 AS day, 'cell' AS link,
       count(DISTINCT m.t)::DOUBLE AS v1, NULL::DOUBLE AS v2, NULL::DOUBLE AS v3, NULL::VARCHAR AS label
FROM mine m JOIN events o ON o.cell_id = m.cell_id AND abs(o.t - m.t) <= {CELL_GAP_MIN * 60}, params p
WHERE o.person <> m."case"
GROUP BY m."case", o.person, (m.t + p.off) // 86400
"""


def _capped(link: str, column: str) -> str:
    """The day's total of ``column`` for ``link``, at most a day (overlaps of several records may add up)."""
    only = f"FILTER (WHERE link = '{link}')"
    return f"CASE WHEN count(*) {only} > 0 THEN least(sum({column}) {only}, 1440.0) END"


_PIVOT = f"""
SELECT "case", contact, day,
  bool_or(link = 'household') AS household,
  max(v1) FILTER (WHERE link = 'household')::BIGINT AS household_size,
  max(label) FILTER (WHERE link = 'roster') AS roster,
  max(v1) FILTER (WHERE link = 'roster')::BIGINT AS roster_size,
  sum(v1) FILTER (WHERE link = 'bluetooth') AS ble_near_min,
  sum(v2) FILTER (WHERE link = 'bluetooth') AS ble_min,
  min(v3) FILTER (WHERE link = 'bluetooth') AS ble_db,
  {_capped("gps", "v1")} AS gps_min,
  {_capped("gps", "v2")} AS gps_near_min,
  min(v3) FILTER (WHERE link = 'gps') AS gps_m,
  arg_max(label, v1) FILTER (WHERE link = 'gps') AS gps_setting,
  {_capped("visit", "v1")} AS visit_min,
  {_capped("checkins", "v1")} AS checkin_min,
  arg_max(label, v1) FILTER (WHERE link = 'checkins') AS checkin_category,
  CASE max(v2) FILTER (WHERE link = 'checkins') WHEN 2 THEN 'same' WHEN 1 THEN 'unknown' WHEN 0 THEN 'other'
  END AS checkin_zone,
  min(v1) FILTER (WHERE link = 'card') AS card_gap_min,
  arg_min(label, v1) FILTER (WHERE link = 'card') AS card_category,
  max(v1) FILTER (WHERE link = 'venue') AS venue_min,
  arg_max(label, v1) FILTER (WHERE link = 'venue') AS venue_category,
  max(v1) FILTER (WHERE link = 'cell')::BIGINT AS cell_events
FROM links
GROUP BY "case", contact, day
ORDER BY "case", contact, day
"""
