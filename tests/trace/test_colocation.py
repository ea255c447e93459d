"""colocated() and encounters() on hand-made stays whose answers are known exactly."""

from __future__ import annotations

import math
from datetime import datetime

import pytest
from stay_builders import at, stays_table

from izquvar.errors import InvalidInput
from izquvar.trace import CONTACT_SCHEMA, StayIndex, colocated, encounters

DAY = (at(0), at(24 * 60))


def contacts(index: StayIndex, person: str = "case", d: float = 10.0, minutes: float = 15.0,
             window: tuple[datetime, datetime] = DAY) -> dict[str, float]:  # fmt: skip
    table = colocated(index, person, window[0], window[1], d, minutes)
    return dict(zip(table.column("person").to_pylist(), table.column("minutes").to_pylist(), strict=True))


def test_distance_exactly_d_counts_and_a_decimetre_more_does_not() -> None:
    index = StayIndex.build(
        stays_table(
            [
                ("case", 0, 0, 60, 120),
                ("at_d", 6, 8, 60, 120),  # 10.0 m
                ("beyond", 0, 10.1, 60, 120),
                ("diagonal", -7.0, -7.1, 60, 120),  # 9.97 m
            ]
        )
    )
    assert contacts(index) == {"at_d": 60.0, "diagonal": 60.0}
    closest = colocated(index, "case", *DAY, 10.0).column("closest_m").to_pylist()
    assert closest == pytest.approx([10.0, math.hypot(7.0, 7.1)])


def test_touching_stays_do_not_meet_and_one_second_does() -> None:
    table = stays_table(
        [
            ("case", 0, 0, 60, 120),
            ("before", 1, 0, 0, 60),  # ends when the case arrives
            ("after", 2, 0, 120, 180),  # arrives when the case leaves
            ("second", 3, 0, 119 + 59 / 60, 200),  # one second of overlap
        ]
    )
    index = StayIndex.build(table)
    assert contacts(index, minutes=1 / 60) == {"second": pytest.approx(1 / 60)}
    assert contacts(index, minutes=2 / 60) == {}


def test_minutes_add_up_over_several_stays_and_each_minute_counts_once() -> None:
    index = StayIndex.build(
        stays_table(
            [
                ("case", 0, 0, 0, 10),
                ("case", 0, 0, 30, 40),
                ("twice", 1, 1, 0, 10),  # 10 min + 10 min = 20 min
                ("twice", 1, 1, 30, 40),
                ("once", 2, 2, 0, 10),  # 10 min only
                ("double", 3, 3, 0, 10),  # the same 10 minutes recorded twice ...
                ("double", 3, 3, 5, 10),  # ... overlapping: still 10 minutes
                ("double", 3, 3, 30, 36),  # + 6 = 16
            ]
        )
    )
    assert contacts(index) == {"twice": 20.0, "double": 16.0}
    table = colocated(index, "case", *DAY, 10.0).to_pylist()
    double = next(r for r in table if r["person"] == "double")
    assert double["n_encounters"] == 3
    assert double["first_seen"] == at(0) and double["last_seen"] == at(36)


def test_case_stays_that_overlap_each_other_count_each_minute_once() -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 20), ("case", 1, 0, 10, 30), ("near", 0, 1, 0, 30)]))
    assert contacts(index) == {"near": 30.0}


def test_window_clips_the_overlap() -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 120), ("near", 1, 0, 0, 120)]))
    assert contacts(index, window=(at(100), at(130))) == {"near": 20.0}
    assert contacts(index, window=(at(110), at(130))) == {}
    assert contacts(index, window=(at(120), at(200))) == {}


def test_results_are_sorted_by_minutes_then_person_and_exclude_the_case() -> None:
    index = StayIndex.build(
        stays_table([("case", 0, 0, 0, 60), ("b", 1, 0, 0, 30), ("a", 2, 0, 0, 30), ("c", 3, 0, 0, 60)])
    )
    table = colocated(index, "case", *DAY, 10.0)
    assert table.schema == CONTACT_SCHEMA
    assert table.column("person").to_pylist() == ["c", "a", "b"]


def test_unknown_person_or_no_stays_in_window_gives_an_empty_table() -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 60), ("near", 1, 0, 0, 60)]))
    for person, window in (("nobody", DAY), ("case", (at(600), at(700)))):
        table = colocated(index, person, window[0], window[1], 10.0)
        assert table.num_rows == 0 and table.schema == CONTACT_SCHEMA
    assert encounters(index, "nobody", *DAY, 10.0).num_rows == 0


def test_distances_beyond_one_cell_use_a_wider_ring() -> None:
    index = StayIndex.build(
        stays_table([("case", 0, 0, 0, 60), ("far", 0, 39.5, 0, 60), ("farther", 40.5, 0, 0, 60)]),
        cell_m=10.0,
    )
    assert contacts(index, d=40.0) == {"far": 60.0}
    assert contacts(index, d=80.0) == {"far": 60.0, "farther": 60.0}


@pytest.mark.parametrize("distance", [0.0, -1.0, math.nan, math.inf, 200.1])
def test_bad_distances_are_refused(distance: float) -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 60)]))  # 25 m cells: at most 200 m
    with pytest.raises(InvalidInput, match="distance_m"):
        colocated(index, "case", *DAY, distance)


@pytest.mark.parametrize("minutes", [-1.0, math.nan])
def test_bad_minimum_minutes_are_refused(minutes: float) -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 60)]))
    with pytest.raises(InvalidInput, match="min_minutes"):
        colocated(index, "nobody", *DAY, 10.0, minutes)


def test_bad_windows_are_refused() -> None:
    index = StayIndex.build(stays_table([("case", 0, 0, 0, 60)]))
    with pytest.raises(InvalidInput, match="tz-aware"):
        colocated(index, "case", datetime(2026, 3, 2), at(60), 10.0)
    with pytest.raises(InvalidInput, match="before its start"):
        colocated(index, "case", at(60), at(0), 10.0)


def test_encounters_are_the_evidence_behind_each_contact() -> None:
    index = StayIndex.build(
        stays_table(
            [
                ("case", 0, 0, 0, 60),
                ("case", 50, 0, 100, 160),
                ("near", 3, 4, 10, 40),
                ("near", 50, 2, 120, 200),
                ("brief", 1, 0, 0, 5),  # near, but 5 minutes: not a contact, so no evidence row
            ],
            venue_id=["home", "mosque", "home", "mosque", "home"],
        ),
        carry=("venue_id",),
    )
    rows = encounters(index, "case", *DAY, 10.0).to_pylist()
    assert [(r["contact"], r["overlap_start"], r["overlap_end"]) for r in rows] == [
        ("near", at(10), at(40)),
        ("near", at(120), at(160)),
    ]
    assert [r["distance_m"] for r in rows] == pytest.approx([5.0, 2.0])
    assert [(r["case_venue_id"], r["contact_venue_id"]) for r in rows] == [
        ("home", "home"),
        ("mosque", "mosque"),
    ]
    assert rows[1]["contact_start"] == at(120) and rows[1]["contact_end"] == at(200)
    assert contacts(index) == {"near": 70.0}
