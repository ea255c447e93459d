"""Every validation reason: the bad row is rejected with file, row, line, field and reason; good rows stay."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest
from feedkit import DAY1, NOW, PHONE_A, PHONE_B, VENUES, iso, settings, write_csv, write_kind, write_world

from izquvar.formats import KINDS
from izquvar.ingest.problems import Reason
from izquvar.store import EmbeddedStore

T = iso(DAY1 + dt.timedelta(hours=9))
INTERVIEW_HEADER = [
    "case_person", "interview_date", "contact_no", "contact_person", "contact_phone", "contact_name", "relation",
    "first_met", "last_met", "setting",
]  # fmt: skip


def _interview(**change: str) -> list[str]:
    row = dict(zip(INTERVIEW_HEADER, [PHONE_A, "2026-03-02", "1", PHONE_B, "", "", "friend", "2026-03-01",
                                      "2026-03-02", "choyxona"], strict=True))  # fmt: skip
    row.update(change)
    return list(row.values())


GOOD_GPS = [PHONE_A, T, "41.31", "69.28", "10"]
GPS_HEADER = ["person", "time", "lat", "lon", "accuracy_m"]

# (kind, header, bad row fields, field, reason)
CASES = [
    ("gps", GPS_HEADER, ["", T, "41.31", "69.28", "10"], "person", Reason.MISSING),
    ("gps", GPS_HEADER, [PHONE_A, "yesterday", "41.31", "69.28", "10"], "time", Reason.UNPARSEABLE),
    ("gps", GPS_HEADER, [PHONE_A, "2026-03-02T09:00:00", "41.31", "69.28", "10"], "time", Reason.NO_TIMEZONE),
    ("gps", GPS_HEADER, [PHONE_A, "1999-12-31T23:59:59Z", "41.31", "69.28", "10"], "time", Reason.TOO_EARLY),
    ("gps", GPS_HEADER, [PHONE_A, "2026-03-05T12:30:00Z", "41.31", "69.28", "10"], "time", Reason.IN_FUTURE),
    ("gps", GPS_HEADER, [PHONE_A, T, "91.5", "69.28", "10"], "lat", Reason.OUT_OF_RANGE),
    ("gps", GPS_HEADER, [PHONE_A, T, "41.31", "-180.5", "10"], "lon", Reason.OUT_OF_RANGE),
    ("gps", GPS_HEADER, [PHONE_A, T, "41.31", "69.28", "-1"], "accuracy_m", Reason.OUT_OF_RANGE),
    ("gps", GPS_HEADER, [PHONE_A, T, "nan", "69.28", "10"], "lat", Reason.NOT_FINITE),
    ("gps", GPS_HEADER, [PHONE_A, T, "north", "69.28", "10"], "lat", Reason.UNPARSEABLE),
    ("gps", GPS_HEADER, [PHONE_A, T, "41.31", "69.28"], "(line)", Reason.MALFORMED_LINE),
    ("cell", ["subscriber", "time", "cell_id"], [PHONE_A, T, "c-404"], "cell_id", Reason.UNKNOWN_REFERENCE),
    (
        "card",
        ["card_holder", "time", "merchant_id", "amount_uzs"],
        [PHONE_A, T, "m-404", "5000"],
        "merchant_id",
        Reason.UNKNOWN_REFERENCE,
    ),
    (
        "card",
        ["card_holder", "time", "merchant_id", "amount_uzs"],
        [PHONE_A, T, "m-1", "-3"],
        "amount_uzs",
        Reason.OUT_OF_RANGE,
    ),
    (
        "checkins",
        ["person", "venue_id", "check_in", "check_out", "zone"],
        [PHONE_A, "v-404", T, "", ""],
        "venue_id",
        Reason.UNKNOWN_REFERENCE,
    ),
    (
        "checkins",
        ["person", "venue_id", "check_in", "check_out", "zone"],
        [PHONE_A, "v-school", T, iso(DAY1 + dt.timedelta(hours=8)), ""],
        "check_out",
        Reason.INCONSISTENT,
    ),
    (
        "checkins",
        ["person", "venue_id", "check_in", "check_out", "zone"],
        [PHONE_A, "v-school", T, "", "1.5"],
        "zone",
        Reason.UNPARSEABLE,
    ),
    (
        "ble",
        ["person_a", "person_b", "time", "duration_s", "attenuation_db"],
        [PHONE_A, PHONE_A, T, "60", "50"],
        "person_b",
        Reason.INCONSISTENT,
    ),
    (
        "ble",
        ["person_a", "person_b", "time", "duration_s", "attenuation_db"],
        [PHONE_A, PHONE_B, T, "90000", "50"],
        "duration_s",
        Reason.OUT_OF_RANGE,
    ),
    (
        "lab",
        ["person", "specimen_date", "result_date", "test", "result"],
        [PHONE_A, "2026-03-02", "2026-03-01", "PCR", "positive"],
        "result_date",
        Reason.INCONSISTENT,
    ),
    (
        "lab",
        ["person", "specimen_date", "result_date", "test", "result"],
        [PHONE_A, "2026-03-02", "2026-03-03", "LAMP", "positive"],
        "test",
        Reason.NOT_A_CHOICE,
    ),
    (
        "lab",
        ["person", "specimen_date", "result_date", "test", "result"],
        [PHONE_A, "2026-02-30", "2026-03-03", "PCR", "positive"],
        "specimen_date",
        Reason.UNPARSEABLE,
    ),
    (
        "lab",
        ["person", "specimen_date", "result_date", "test", "result"],
        [PHONE_A, "2026-03-04", "2026-03-09", "PCR", "positive"],
        "result_date",
        Reason.IN_FUTURE,
    ),
    ("interviews", INTERVIEW_HEADER, _interview(contact_person=""), "contact_person", Reason.MISSING),
    ("interviews", INTERVIEW_HEADER, _interview(relation="neighbour"), "relation", Reason.NOT_A_CHOICE),
    ("interviews", INTERVIEW_HEADER, _interview(setting="sauna"), "setting", Reason.NOT_A_CHOICE),
    ("interviews", INTERVIEW_HEADER, _interview(contact_no="0"), "contact_no", Reason.OUT_OF_RANGE),
    (
        "interviews",
        INTERVIEW_HEADER,
        _interview(first_met="2026-03-02", last_met="2026-03-01"),
        "last_met",
        Reason.INCONSISTENT,
    ),
    ("interviews", INTERVIEW_HEADER, _interview(interview_date="2026-03-01"), "last_met", Reason.INCONSISTENT),
    ("interviews", INTERVIEW_HEADER, _interview(contact_person=PHONE_A), "contact_person", Reason.INCONSISTENT),
    ("interviews", INTERVIEW_HEADER, _interview(first_met="someday"), "first_met", Reason.UNPARSEABLE),
    (
        "venues",
        ["venue_id", "name", "category", "indoor", "capacity", "lat", "lon"],
        ["v-new", "Gym", "gym", "maybe", "40", "41.3", "69.2"],
        "indoor",
        Reason.UNPARSEABLE,
    ),
    (
        "venues",
        ["venue_id", "name", "category", "indoor", "capacity", "lat", "lon"],
        ["v-new", "Gym", "sauna", "true", "40", "41.3", "69.2"],
        "category",
        Reason.NOT_A_CHOICE,
    ),
    (
        "venues",
        ["venue_id", "name", "category", "indoor", "capacity", "lat", "lon"],
        ["v-new", "Gym", "gym", "true", "0", "41.3", "69.2"],
        "capacity",
        Reason.OUT_OF_RANGE,
    ),
    (
        "people",
        ["person", "household", "birth_year", "sex", "phone"],
        [PHONE_A, "h1", "1980", "X", PHONE_B],
        "sex",
        Reason.NOT_A_CHOICE,
    ),
    (
        "rosters",
        ["person", "group_id", "group_kind", "venue_id"],
        [PHONE_A, "5A", "school_class", "v-404"],
        "venue_id",
        Reason.UNKNOWN_REFERENCE,
    ),
    (
        "areas",
        ["area_id", "level", "parent_id", "name_uz_latn", "geometry_wkt"],
        ["17269999", "district", "", "Yangi", '"POINT (69 41)"'],
        "geometry_wkt",
        Reason.BAD_GEOMETRY,
    ),
]


def _good_row(kind: str, header: list[str]) -> list[str]:
    good = {
        "gps": GOOD_GPS,
        "cell": [PHONE_A, T, "c-1"],
        "card": [PHONE_A, T, "m-1", "5000"],
        "checkins": [PHONE_A, "v-school", T, "", ""],
        "ble": [PHONE_A, PHONE_B, T, "600", "60"],
        "lab": [PHONE_A, "2026-03-02", "2026-03-03", "PCR", "positive"],
        "interviews": _interview(),
        "venues": ["v-gym", "Gym", "gym", "true", "40", "41.3", "69.2"],
        "people": [PHONE_B, "h1", "1980", "F", ""],
        "rosters": [PHONE_A, "5A", "school_class", "v-school"],
        "areas": [
            "17269998",
            "mahalla",
            "",
            "Eski",
            '"POLYGON ((69.2 41.2, 69.3 41.2, 69.3 41.3, 69.2 41.2))"',
        ],
    }[kind]
    assert len(good) == len(header)
    return good


@pytest.mark.parametrize(
    ("kind", "header", "bad", "field", "reason"), CASES, ids=[f"{c[0]}-{c[3]}-{c[4]}" for c in CASES]
)
def test_each_reason_rejects_the_row_and_keeps_the_good_ones(
    store: EmbeddedStore, feeds: Path, kind: str, header: list[str], bad: list[str], field: str, reason: str
) -> None:
    world = write_world(feeds / "world")
    good = _good_row(kind, header)
    path = write_csv(feeds / f"{kind}.csv", header, [good, bad, _shift(kind, good)])
    report = store.ingest([*world, path], now=NOW)

    mine = report.rejects.filter(pc.equal(report.rejects["file"], str(path))).to_pylist()
    assert [(r["row"], r["line"], r["field"], r["reason"]) for r in mine] == [(2, 3, field, reason)]
    assert mine[0]["kind"] == kind
    assert report.rejected_rows == 1
    world_rows = len(VENUES) if kind == "venues" else 0
    assert store.table(kind).num_rows == 2 + world_rows
    stored = store.table("rejects")
    assert stored.filter(pc.equal(stored["file"], str(path))).num_rows == 1


def _shift(kind: str, row: list[str]) -> list[str]:
    """The same good row with another key: one minute (or day) later, or another identifier."""
    if KINDS[kind].reference:
        return [f"{row[0]}-2", *row[1:]]
    shifted = []
    for value in row:
        if value == T:
            value = iso(DAY1 + dt.timedelta(hours=9, minutes=1))
        elif value == "2026-03-02":
            value = "2026-03-01"
        shifted.append(value)
    return shifted


def test_a_row_with_several_problems_is_reported_once_per_problem(store: EmbeddedStore, feeds: Path) -> None:
    path = write_csv(feeds / "gps.csv", GPS_HEADER, [["", "never", "100", "200", "-5"]])
    report = store.ingest([path], now=NOW)
    assert sorted((r["field"], r["reason"]) for r in report.rejects.to_pylist()) == [
        ("accuracy_m", Reason.OUT_OF_RANGE),
        ("lat", Reason.OUT_OF_RANGE),
        ("lon", Reason.OUT_OF_RANGE),
        ("person", Reason.MISSING),
        ("time", Reason.UNPARSEABLE),
    ]
    assert report.rejected_rows == 1
    assert store.table("gps").num_rows == 0


def test_clock_skew_from_settings_allows_slightly_future_times(tmp_path: Path, feeds: Path) -> None:
    from izquvar import open_store

    store = open_store(tmp_path / "s", settings=settings(clock_skew_minutes=60))
    soon = iso(NOW + dt.timedelta(minutes=30))
    path = write_csv(feeds / "gps.csv", GPS_HEADER, [[PHONE_A, soon, "41.3", "69.2", "5"]])
    assert store.ingest([path], now=NOW).reject_count == 0


def test_duplicates_within_a_file_and_across_files_are_rejected(store: EmbeddedStore, feeds: Path) -> None:
    first = write_csv(feeds / "gps-1.csv", GPS_HEADER, [GOOD_GPS, GOOD_GPS, [f" {PHONE_A}", *GOOD_GPS[1:]]])
    second = write_csv(feeds / "gps-2.csv", GPS_HEADER, [[PHONE_A, T, "41.5", "69.5", "10"]])
    report = store.ingest([first, second], now=NOW)
    rejects = sorted((r["file"], r["row"], r["reason"], r["field"]) for r in report.rejects.to_pylist())
    assert rejects == [
        (str(first), 2, Reason.DUPLICATE, "person,time"),
        (str(first), 3, Reason.DUPLICATE, "person,time"),
        (str(second), 1, Reason.DUPLICATE, "person,time"),
    ]
    assert store.table("gps").num_rows == 1
    # The duplicate's value is its key, with the person pseudonymised.
    value = report.rejects["value"][0].as_py()
    assert value == f"{store.pseudonym(PHONE_A)}|2026-03-02T09:00:00.000000Z"


def test_duplicates_of_stored_rows_are_rejected(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest([write_csv(feeds / "gps-1.csv", GPS_HEADER, [GOOD_GPS])], now=NOW)
    later = write_csv(feeds / "gps-2.csv", GPS_HEADER, [GOOD_GPS, [PHONE_B, T, "41.3", "69.2", "4"]])
    report = store.ingest([later], now=NOW)
    assert [(r["row"], r["reason"]) for r in report.rejects.to_pylist()] == [(1, Reason.DUPLICATE_STORED)]
    assert store.table("gps").num_rows == 2


def test_references_resolve_against_the_store_and_the_same_ingest(store: EmbeddedStore, feeds: Path) -> None:
    store.ingest(write_world(feeds / "world"), now=NOW)
    venues = write_kind(
        feeds / "more",
        "venues",
        [
            {
                "venue_id": "v-new",
                "name": "New gym",
                "category": "gym",
                "indoor": "true",
                "capacity": "30",
                "lat": "41.29",
                "lon": "69.21",
            }
        ],
    )
    checkins = write_csv(
        feeds / "checkins.csv",
        ["person", "venue_id", "check_in"],
        [[PHONE_A, "v-school", T], [PHONE_A, "v-new", T], [PHONE_A, "v-gone", T]],
    )
    # checkins named first: reference kinds are still ingested before the events that use them.
    report = store.ingest([checkins, venues], now=NOW)
    assert [(r["row"], r["field"], r["value"]) for r in report.rejects.to_pylist()] == [(3, "venue_id", "v-gone")]
    assert store.table("checkins").num_rows == 2


def test_missing_optional_columns_are_null_and_extra_columns_ignored(store: EmbeddedStore, feeds: Path) -> None:
    path = write_csv(feeds / "card.csv", ["card_holder", "time", "merchant_id", "note"], [[PHONE_A, T, "m-1", "hello"]])
    report = store.ingest([*write_world(feeds / "w"), path], now=NOW)
    assert report.reject_count == 0
    card = store.table("card")
    assert card["amount_uzs"].to_pylist() == [None]
    assert "note" not in card.column_names
    assert card["venue_id"].to_pylist() == ["v-bazaar"]
