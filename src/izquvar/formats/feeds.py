"""The feed formats: one table per kind of data, the contract between real feeds, the simulator and ingest.

Every feed arrives as CSV (UTF-8, header row, comma-separated) or Parquet; venues and areas may also be
GeoJSON. Times are UTC: ISO 8601 with ``Z`` or an offset in CSV, ``timestamp[us, tz=UTC]`` in Parquet.
Dates are ``YYYY-MM-DD``. docs/data-formats.md is generated from this module (``tools/gen_formats_doc.py``),
so the two cannot disagree.

A kind is recognised from its file name: ``<kind>.csv``, ``<kind>.parquet``, ``<kind>-<anything>.csv``,
``<kind>_<anything>.parquet`` or a directory ``<kind>/`` of such files (e.g. ``gps/day=2026-03-02/part-0.parquet``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pyarrow as pa

from izquvar.errors import InvalidInput

ColumnType = Literal["string", "timestamp", "date", "float", "int", "bool"]

ARROW_TYPES: dict[ColumnType, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
}


@dataclass(frozen=True)
class Column:
    """One column of a feed: its type, whether it must be present, its unit and its valid range."""

    name: str
    type: ColumnType
    description: str
    required: bool = True
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    #: Allowed values for a categorical string column.
    choices: tuple[str, ...] = ()
    #: A person identifier: replaced by its keyed-hash pseudonym at ingest, never stored raw.
    identifies_person: bool = False
    #: The identifier is a phone number (MSISDN): it names a SIM, which the registry links to a person.
    phone_number: bool = False
    #: The column refers to a key of another kind (``"venues.venue_id"``): unknown values are rejected.
    references: str = ""

    @property
    def arrow_type(self) -> pa.DataType:
        return ARROW_TYPES[self.type]


@dataclass(frozen=True)
class Kind:
    """A kind of feed: its columns, the column that places it in time, and its row identity."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    #: Column that partitions the store by day and that retention applies to; ``None`` for reference tables.
    time_column: str | None
    #: Columns that identify a row: a second row with the same values is a duplicate.
    key: tuple[str, ...]
    #: ``True`` for tables that describe places or people (towers, venues...) rather than events.
    reference: bool = False
    #: Formats accepted besides CSV and Parquet.
    extra_formats: tuple[str, ...] = ()
    #: How the simulator produces it and what is imperfect about it (documentation only).
    notes: str = ""
    column_by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "column_by_name", {c.name: c for c in self.columns})

    @property
    def person_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.identifies_person)

    def arrow_schema(self) -> pa.Schema:
        """The Arrow schema of the feed as it arrives (before ingest adds derived columns)."""
        return pa.schema([pa.field(c.name, c.arrow_type, nullable=not c.required) for c in self.columns])


def _lat(name: str = "lat", required: bool = True) -> Column:
    return Column(name, "float", "latitude, WGS 84", required, "degrees", -90.0, 90.0)


def _lon(name: str = "lon", required: bool = True) -> Column:
    return Column(name, "float", "longitude, WGS 84", required, "degrees", -180.0, 180.0)


VENUE_CATEGORIES = (
    "school",
    "workplace",
    "bazaar",
    "shop",
    "restaurant",
    "choyxona",
    "mosque",
    "gym",
    "clinic",
    "wedding_hall",
    "metro",
    "bus",
    "park",
    "other",
)

GPS = Kind(
    name="gps",
    title="Phone GPS pings",
    description="Location fixes from the izquvar app on a phone.",
    columns=(
        Column("person", "string", "app user's person identifier", identifies_person=True),
        Column("time", "timestamp", "time of the fix", unit="UTC"),
        _lat(),
        _lon(),
        Column("accuracy_m", "float", "horizontal accuracy (1 σ) reported by the phone", True, "m", 0.0, 10_000.0),
    ),
    time_column="time",
    key=("person", "time"),
)

CELL = Kind(
    name="cell",
    title="Mobile-operator records",
    description="Network events of a subscriber: calls, messages, data sessions, handovers, periodic updates.",
    columns=(
        Column("subscriber", "string", "subscriber's phone number (MSISDN)", identifies_person=True, phone_number=True),
        Column("time", "timestamp", "time of the network event", unit="UTC"),
        Column("cell_id", "string", "serving cell", references="towers.cell_id"),
    ),
    time_column="time",
    key=("subscriber", "time", "cell_id"),
)

TOWERS = Kind(
    name="towers",
    title="Cell towers",
    description="The operator's cell table: where each cell is and how far it reaches.",
    columns=(
        Column("cell_id", "string", "cell identifier"),
        _lat(),
        _lon(),
        Column("range_m", "float", "radius the cell serves", True, "m", 10.0, 50_000.0),
    ),
    time_column=None,
    key=("cell_id",),
    reference=True,
)

CARD = Kind(
    name="card",
    title="Card transactions",
    description="Payments by card at a merchant.",
    columns=(
        Column("card_holder", "string", "card holder's person identifier", identifies_person=True),
        Column("time", "timestamp", "time of the payment", unit="UTC"),
        Column("merchant_id", "string", "merchant that took the payment", references="merchants.merchant_id"),
        Column("amount_uzs", "float", "amount paid", False, "UZS", 0.0, 1e11),
    ),
    time_column="time",
    key=("card_holder", "time", "merchant_id"),
)

MERCHANTS = Kind(
    name="merchants",
    title="Merchants",
    description="The acquirer's merchant table, linking each merchant to the venue where it takes cards.",
    columns=(
        Column("merchant_id", "string", "merchant identifier"),
        Column("venue_id", "string", "venue of the merchant", references="venues.venue_id"),
        Column("name", "string", "merchant name", required=False),
    ),
    time_column=None,
    key=("merchant_id",),
    reference=True,
)

VENUES = Kind(
    name="venues",
    title="Venues",
    description="Places people meet in: homes are not venues; schools, workplaces, bazaars, rides and so on are.",
    columns=(
        Column("venue_id", "string", "venue identifier"),
        Column("name", "string", "venue name"),
        Column("category", "string", "kind of place", choices=VENUE_CATEGORIES),
        Column("indoor", "bool", "true when indoors (or an enclosed vehicle)"),
        Column("capacity", "int", "people it holds at once", True, "people", 1, 1_000_000),
        _lat(),
        _lon(),
        Column("zones", "int", "rooms, floors or carriages it is divided into", False, "zones", 1, 10_000),
        Column("accepts_cards", "bool", "whether it takes card payments", required=False),
    ),
    time_column=None,
    key=("venue_id",),
    reference=True,
    extra_formats=("geojson",),
)

CHECKINS = Kind(
    name="checkins",
    title="QR check-ins",
    description="Visitor-log entries from scanning a venue's QR code (Korea's KI-Pass).",
    columns=(
        Column("person", "string", "visitor's person identifier", identifies_person=True),
        Column("venue_id", "string", "venue scanned", references="venues.venue_id"),
        Column("check_in", "timestamp", "time of the scan", unit="UTC"),
        Column("check_out", "timestamp", "time of leaving, when the visitor checked out", False, "UTC"),
        Column("zone", "int", "zone scanned (room, floor, carriage)", False, "", 0, 10_000),
    ),
    time_column="check_in",
    key=("person", "venue_id", "check_in"),
)

BLE = Kind(
    name="ble",
    title="Bluetooth proximity encounters",
    description="Encounters between two app users' phones, as their Bluetooth scans saw them.",
    columns=(
        Column("person_a", "string", "one app user", identifies_person=True),
        Column("person_b", "string", "the other app user", identifies_person=True),
        Column("time", "timestamp", "start of the encounter", unit="UTC"),
        Column("duration_s", "int", "length of the encounter", True, "s", 0, 86_400),
        Column("attenuation_db", "float", "typical signal attenuation (lower is nearer)", True, "dB", 0.0, 255.0),
    ),
    time_column="time",
    key=("person_a", "person_b", "time"),
)

PEOPLE = Kind(
    name="people",
    title="Population registry",
    description="Everyone, with household membership and phone number, as the mahalla and operator register them.",
    columns=(
        Column("person", "string", "person identifier (PINFL)", identifies_person=True),
        Column("household", "string", "household identifier"),
        Column("birth_year", "int", "year of birth", True, "", 1900, 2100),
        Column("sex", "string", "sex as registered", choices=("F", "M")),
        Column(
            "phone",
            "string",
            "registered phone number (MSISDN), if any",
            False,
            identifies_person=True,
            phone_number=True,
        ),
        _lat("home_lat", False),
        _lon("home_lon", False),
    ),
    time_column=None,
    key=("person",),
    reference=True,
)

ROSTERS = Kind(
    name="rosters",
    title="Rosters",
    description="School class and workplace department memberships, as the school or employer gives them.",
    columns=(
        Column("person", "string", "member's person identifier", identifies_person=True),
        Column("group_id", "string", "class or department identifier"),
        Column("group_kind", "string", "what the group is", choices=("school_class", "department")),
        Column("venue_id", "string", "school or workplace", references="venues.venue_id"),
        Column("zone", "int", "room or floor the group uses", False, "", 0, 10_000),
    ),
    time_column=None,
    key=("person", "group_id"),
    reference=True,
)

LAB = Kind(
    name="lab",
    title="Lab results",
    description="Test results: SARS-CoV-2 PCR or antigen, by specimen date.",
    columns=(
        Column("person", "string", "tested person's identifier", identifies_person=True),
        Column("specimen_date", "date", "day the specimen was taken"),
        Column("result_date", "date", "day the result was reported"),
        Column("test", "string", "test used", choices=("PCR", "antigen")),
        Column("result", "string", "outcome", choices=("positive", "negative", "inconclusive")),
    ),
    time_column="specimen_date",
    key=("person", "specimen_date", "test"),
)

#: Who the named person is to the case, as Go.Data's and SORMAS's contact forms ask it.
RELATIONS = ("household", "relative", "friend", "colleague", "classmate", "guest", "host", "other")

INTERVIEWS = Kind(
    name="interviews",
    title="Case interviews",
    description=(
        "Contacts a case names when interviewed by a contact tracer (Go.Data/SORMAS contact listing): one row per "
        "named person. The person is identified by national ID (PINFL), by phone, or only by a name (then the "
        "row is kept but the person stays unidentified). The days they met are dates without times."
    ),
    columns=(
        Column("case_person", "string", "person identifier of the interviewed case", identifies_person=True),
        Column("interview_date", "date", "day the interview took place"),
        Column("contact_no", "int", "number of the named person within the interview (1, 2, ...)", True, "", 1, 10_000),
        Column(
            "contact_person", "string", "named person's identifier (PINFL), when known", False, identifies_person=True
        ),
        Column(
            "contact_phone",
            "string",
            "named person's phone number (MSISDN), when known",
            False,
            identifies_person=True,
            phone_number=True,
        ),
        Column(
            "contact_name",
            "string",
            "named person's name as the case gave it (pseudonymised like any identifier: never stored raw)",
            False,
            identifies_person=True,
        ),
        Column("relation", "string", "who the named person is to the case", choices=RELATIONS),
        Column("first_met", "date", "first day they met in the period asked about (local date)"),
        Column("last_met", "date", "last day they met in the period asked about (local date)"),
        Column(
            "setting",
            "string",
            "where they met: home or a venue category",
            required=False,
            choices=("home", *VENUE_CATEGORIES),
        ),
    ),
    time_column="interview_date",
    key=("case_person", "interview_date", "contact_no"),
    notes=(
        "A row needs at least one of contact_person, contact_phone, contact_name; last_met may not precede "
        "first_met nor follow interview_date; a case cannot name themselves. The simulator interviews a share "
        "of confirmed cases some days after their positive result and lets them recall the people they met, "
        "each with a chance that falls with the days since they met (docs/simulator.md, 'Interviews')."
    ),
)

AREAS = Kind(
    name="areas",
    title="Areas",
    description=(
        "Administrative areas (region, district, mahalla) with boundaries; replaces or adds to the shipped ones."
    ),
    columns=(
        Column("area_id", "string", "area code (SOATO where one exists)"),
        Column("level", "string", "level in the hierarchy", choices=("region", "district", "mahalla")),
        Column("parent_id", "string", "enclosing area", required=False),
        Column("name_uz_latn", "string", "name in Uzbek, Latin script"),
        Column("name_uz_cyrl", "string", "name in Uzbek, Cyrillic script", required=False),
        Column("name_ru", "string", "name in Russian", required=False),
        Column("name_en", "string", "name in English", required=False),
        Column("geometry_wkt", "string", "boundary as WKT polygon or multipolygon (GeoJSON: the feature geometry)"),
    ),
    time_column=None,
    key=("area_id",),
    reference=True,
    extra_formats=("geojson",),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (GPS, CELL, TOWERS, CARD, MERCHANTS, VENUES, CHECKINS, BLE, PEOPLE, ROSTERS, LAB, INTERVIEWS, AREAS)
}

#: Kinds that record where someone was and when: what retention purges.
EVENT_KINDS = tuple(k.name for k in KINDS.values() if k.time_column is not None)

_NAME_RE = re.compile(r"^(?P<kind>[a-z]+)(?:[-_.].*)?$")
SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".geojson": "geojson", ".json": "geojson"}


def kind_from_path(path: Path) -> Kind:
    """The kind a file holds, recognised from its name (or its parent directories' names)."""
    candidates = [path.name.split(".")[0], *(p.name for p in path.parents)]
    for candidate in candidates:
        match = _NAME_RE.match(candidate)
        if match and match.group("kind") in KINDS:
            return KINDS[match.group("kind")]
    raise InvalidInput(
        f"{path}: cannot tell what kind of feed this is from its name; name it <kind>.csv or <kind>.parquet "
        f"or pass --kind. Known kinds: {', '.join(KINDS)}."
    )


def file_format(path: Path) -> str:
    """``csv``, ``parquet`` or ``geojson`` from the file's suffix."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"{path}: unknown file format {suffix!r}; expected one of {sorted(SUFFIXES)}.")
    return SUFFIXES[suffix]
