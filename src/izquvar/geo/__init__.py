"""Geography: Uzbekistan's areas (region → district → mahalla), distances, projection, transliteration."""

from __future__ import annotations

from izquvar.geo.areas import LEVELS, TASHKENT_CITY_ID, Area, AreaIndex, Lang, Level
from izquvar.geo.distance import EARTH_RADIUS_M, from_metres, haversine_m, to_metres
from izquvar.geo.transliterate import cyrillic_to_latin, latin_to_cyrillic

__all__ = [
    "EARTH_RADIUS_M",
    "LEVELS",
    "TASHKENT_CITY_ID",
    "Area",
    "AreaIndex",
    "Lang",
    "Level",
    "cyrillic_to_latin",
    "from_metres",
    "haversine_m",
    "latin_to_cyrillic",
    "to_metres",
]
