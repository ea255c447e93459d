"""A realistic trace to render: a case in Tashkent, 8 places over 5 days, 20 contacts of every class and source.

Built by hand (not by the tracer) so the report tests do not depend on tracing, and with a venue name full of
HTML so that escaping is always exercised.
"""

from __future__ import annotations

import datetime as dt
from typing import get_args

from izquvar.geo.areas import AreaIndex
from izquvar.i18n import Lang, format_minutes
from izquvar.report.labels import setting_label, sources_label
from izquvar.trace.result import (
    AreaRef,
    CaseRef,
    Contact,
    ContactClass,
    Evidence,
    Place,
    Source,
    TraceResult,
    TraceSummary,
    VenueRef,
)

UTC = dt.UTC
ONSET = dt.date(2026, 3, 12)
WINDOW_START = dt.datetime(2026, 3, 9, 19, 0, tzinfo=UTC)  # 10 March 00:00 in Tashkent
WINDOW_END = dt.datetime(2026, 3, 14, 19, 0, tzinfo=UTC)
CASE = "p_7f3a9c01d2"
#: A venue name an attacker could have typed into a check-in form.
HOSTILE_NAME = '<script>alert("x")</script> Choyxona & "Oqtepa"'

# (venue id, name, category, indoor, lat, lon, setting)
_VENUES = {
    "home": (None, None, None, True, 41.2856, 69.2040, "home"),
    "school": ("v-sch-110", "110-maktab", "school", True, 41.3650, 69.2870, "school"),
    "bazaar": ("v-baz-chorsu", "Chorsu bozori", "bazaar", False, 41.3262, 69.2363, "bazaar"),
    "metro": ("v-met-amir", "Amir Temur xiyoboni metro", "metro", True, 41.3111, 69.2797, "metro"),
    "choyxona": ("v-cho-017", HOSTILE_NAME, "choyxona", True, 41.3003, 69.2590, "choyxona"),
    "mosque": ("v-mos-imam", "Hazrati Imom masjidi", "mosque", True, 41.3389, 69.2402, "mosque"),
    "clinic": ("v-cli-046", "46-oilaviy poliklinika", "clinic", True, 41.2905, 69.2110, "clinic"),
    "visit": (None, None, None, True, 41.2989, 69.2231, "unknown"),
}


def _t(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment given in Tashkent local time (10 March is day 0)."""
    return dt.datetime(2026, 3, 10 + day, hour, minute, tzinfo=dt.timezone(dt.timedelta(hours=5))).astimezone(UTC)


_PATH = [  # (venue key, start, end, sources, certainty)
    ("home", _t(0, 0), _t(0, 7, 30), ["gps", "cell"], 0.97),
    ("school", _t(0, 8), _t(0, 14, 20), ["gps", "cell", "roster"], 0.99),
    ("bazaar", _t(0, 15, 10), _t(0, 16, 40), ["gps", "card"], 0.9),
    ("home", _t(0, 17, 30), _t(1, 7, 40), ["gps", "cell", "household"], 0.98),
    ("school", _t(1, 8), _t(1, 14, 10), ["gps", "roster"], 0.95),
    ("metro", _t(1, 14, 30), _t(1, 14, 55), ["cell", "card"], 0.6),
    ("choyxona", _t(1, 19), _t(1, 22, 45), ["gps", "checkins", "card"], 0.94),
    ("mosque", _t(2, 12, 30), _t(2, 13, 30), ["gps"], 0.7),
    ("visit", _t(3, 18), _t(3, 21), ["gps", "cell"], 0.8),
    ("clinic", _t(4, 9, 15), _t(4, 10, 5), ["gps", "checkins"], 0.92),
]


def _area(lat: float, lon: float, lang: Lang) -> AreaRef:
    areas = AreaIndex.default()
    row = areas.locate([lat], [lon]).to_pylist()[0]
    names = {
        level: areas.name(row[f"{level}_id"], lang) if row[f"{level}_id"] else None
        for level in ("region", "district", "mahalla")
    }
    return AreaRef(
        region_id=row["region_id"],
        region=names["region"],
        district_id=row["district_id"],
        district=names["district"],
        mahalla_id=row["mahalla_id"],
        mahalla=names["mahalla"],
    )


def _venue(key: str) -> VenueRef | None:
    venue_id, name, category, indoor, *_ = _VENUES[key]
    if venue_id is None or name is None or category is None:
        return None
    return VenueRef(venue_id=venue_id, name=name, category=category, indoor=indoor)


def places(lang: Lang = "en") -> list[Place]:
    out = []
    for key, start, end, sources, certainty in _PATH:
        lat, lon, setting = _VENUES[key][4], _VENUES[key][5], _VENUES[key][6]
        out.append(
            Place(
                start=start,
                end=end,
                minutes=(end - start).total_seconds() / 60,
                lat=lat,
                lon=lon,
                venue=_venue(key),
                setting=setting,
                area=_area(lat, lon, lang),
                sources=sources,
                certainty=certainty,
            )
        )
    return out


# (class, setting, [(source, place index, offset min, minutes, distance m, attenuation dB, located)])
_CONTACTS: list[tuple[ContactClass, str, list[tuple[Source, int, int, int, float | None, float | None, bool]]]] = [
    ("close", "home", [("household", 0, 0, 450, None, None, True), ("household", 3, 0, 840, None, None, True)]),
    ("close", "home", [("household", 3, 0, 840, None, None, True), ("ble", 3, 60, 120, None, 52.0, False)]),
    ("close", "school_class", [("roster", 1, 0, 380, 1.5, None, True), ("roster", 4, 0, 370, 1.5, None, True)]),
    ("close", "school", [("roster", 1, 0, 380, 2.0, None, True), ("gps", 4, 30, 200, 1.8, None, True)]),
    ("close", "choyxona", [("checkins", 6, 0, 200, None, None, True), ("ble", 6, 10, 150, None, 48.0, False)]),
    ("close", "choyxona", [("gps", 6, 20, 110, 1.2, None, True), ("card", 6, 150, 5, None, None, True)]),
    ("close", "unknown", [("gps", 8, 0, 180, 1.0, None, True), ("cell", 8, 0, 180, None, None, True)]),
    ("casual", "nearby", [("gps", 1, 200, 40, 6.5, None, True)]),
    ("casual", "bazaar", [("gps", 2, 10, 25, 4.0, None, True), ("card", 2, 30, 2, None, None, True)]),
    ("casual", "phone_proximity", [("ble", 5, 0, 12, None, 63.0, False)]),
    ("casual", "choyxona", [("checkins", 6, 60, 45, None, None, True)]),
    ("casual", "mosque", [("gps", 7, 0, 55, 8.0, None, True)]),
    ("casual", "clinic", [("checkins", 9, 0, 40, None, None, True)]),
    ("casual", "bazaar", [("gps", 2, 0, 18, 3.1, None, True)]),
    ("possible", "bazaar", [("cell", 2, 0, 90, None, None, True)]),
    ("possible", "bazaar", [("cell", 2, 15, 60, None, None, True)]),
    ("possible", "cell", [("cell", 5, 0, 25, None, None, True)]),
    ("possible", "mosque", [("cell", 7, 0, 60, None, None, True)]),
    ("possible", "choyxona", [("cell", 6, 30, 120, None, None, True)]),
    ("possible", "clinic", [("card", 9, 20, 3, None, None, True)]),
]
_RISK = {"close": 0.95, "casual": 0.45, "possible": 0.12}


def contacts(lang: Lang = "en") -> list[Contact]:
    path = places(lang)
    out = []
    for k, (klass, setting, observations) in enumerate(_CONTACTS):
        evidence = []
        for n, (source, index, offset, minutes, distance, attenuation, located) in enumerate(observations):
            place = path[index]
            start = place.start + dt.timedelta(minutes=offset)
            # A cell tower is not where the case stood: put it ~300 m off, as an operator's record would.
            shift = 0.0027 if source == "cell" else 0.00004 * (k + n)
            evidence.append(
                Evidence(
                    source=source,
                    start=start,
                    end=start + dt.timedelta(minutes=minutes),
                    minutes=minutes,
                    venue=place.venue,
                    area=place.area,
                    lat=place.lat + shift if located else None,
                    lon=place.lon - shift if located else None,
                    distance_m=distance,
                    attenuation_db=attenuation,
                    detail=f"{source} record {k}-{n}",
                )
            )
        total = float(sum(e.minutes for e in evidence))
        sources: list[Source] = sorted({e.source for e in evidence}, key=get_args(Source).index)
        distances = [e.distance_m for e in evidence if e.distance_m is not None]
        attenuations = [e.attenuation_db for e in evidence if e.attenuation_db is not None]
        out.append(
            Contact(
                person=f"p_{k:02d}{'c9b1e4a7'[k % 8 :]}{k * 7919 % 9973:04d}",
                klass=klass,
                risk=round(_RISK[klass] - k * 0.004, 3),
                minutes=total,
                max_daily_minutes=max(e.minutes for e in evidence),
                closest_m=min(distances, default=None),
                strongest_attenuation_db=min(attenuations, default=None),
                setting=setting,
                sources=sources,
                first_seen=min(e.start for e in evidence),
                last_seen=max(e.end for e in evidence),
                explanation=f"{format_minutes(total, lang)}, {setting_label(setting, lang)} "
                f"({sources_label(sources, lang)})",
                evidence=evidence,
            )
        )
    return out


def sample_trace(lang: Lang = "en") -> TraceResult:
    path = places(lang)
    found = contacts(lang)
    return TraceResult(
        case=CaseRef(
            person=CASE, onset=ONSET, isolation=dt.date(2026, 3, 15), window_start=WINDOW_START, window_end=WINDOW_END
        ),
        parameters={"days_before_onset": 2, "close_distance_m": 2.0, "close_minutes": 15, "language": lang},
        places=path,
        contacts=found,
        summary=TraceSummary(
            places=len(path),
            contacts={klass: sum(c.klass == klass for c in found) for klass in ("close", "casual", "possible")},
            sources_used=list(get_args(Source)),
            elapsed_ms=3.7,
        ),
    )


def empty_trace(lang: Lang = "en") -> TraceResult:
    """A case the data never saw: nothing to draw, but every format must still render."""
    full = sample_trace(lang)
    return full.model_copy(
        update={
            "places": [],
            "contacts": [],
            "summary": TraceSummary(
                places=0, contacts={"close": 0, "casual": 0, "possible": 0}, sources_used=[], elapsed_ms=0.4
            ),
        }
    )
