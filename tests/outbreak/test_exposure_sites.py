"""Exposure sites under Korea's October 2020 rules, one test per rule."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest
from outbreak_builders import DAY0, CaseSpec, Visit, at, from_specs

from izquvar.outbreak.exposure_sites import PUBLIC_FIELDS, exposure_sites, public_sites

AS_OF = DAY0 + dt.timedelta(days=7)


def _sites(*specs: CaseSpec, as_of: dt.date = AS_OF, identified: tuple[str, ...] = ()) -> list[dict[str, object]]:
    t = from_specs(specs)
    return exposure_sites(t["cases"], t["places"], as_of, identified).to_pylist()


def test_places_and_time_ranges_merged_across_cases_not_tied_to_any_case() -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 18), at(2, 20), "V1")])
    b = CaseSpec("B", 3, visits=[Visit(at(2, 19.75), at(2, 21.2), "V1")])
    (site,) = _sites(a, b)
    # rounded outwards to 30 minutes, then merged: one range, nothing about who or how many
    assert (site["start"], site["end"]) == (at(2, 18), at(2, 21.5))
    assert site["status"] == "published"
    assert "case" not in site and "cases" not in site and "n_cases" not in site


def test_no_personal_attributes_are_published() -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 18), at(2, 20), "V1")])
    t = from_specs([a])
    published = public_sites(exposure_sites(t["cases"], t["places"], AS_OF))
    assert [set(s) for s in published] == [set(PUBLIC_FIELDS)]
    text = json.dumps(published)
    for forbidden in ("age", "sex", "birth", "nationality", "home", "workplace", "person", '"A"'):
        assert forbidden not in text


def test_homes_and_private_visits_are_never_sites() -> None:
    a = CaseSpec(
        "A",
        3,
        visits=[
            Visit(at(2, 0), at(2, 8)),  # own home: no venue
            Visit(at(2, 19), at(2, 21), "H9", setting="visit"),  # a private visit, even if a place id is known
            Visit(at(3, 9), at(3, 18), "W1", "workplace"),  # naming it would name the employer
        ],
    )
    assert _sites(a) == []


def test_window_runs_from_two_days_before_onset_to_isolation() -> None:
    a = CaseSpec(
        "A",
        4,
        isolation_day=6,
        visits=[
            Visit(at(1, 12), at(1, 13), "EARLY"),  # day 1 < onset 4 - 2
            Visit(at(1, 23), at(2, 1), "EDGE"),  # straddles the opening midnight: clipped to it
            Visit(at(5, 12), at(5, 13), "IN"),
            Visit(at(6, 12), at(6, 13), "ISOLATED"),  # on the isolation day: after the window
        ],
    )
    sites = {s["venue_id"]: s for s in _sites(a)}
    assert set(sites) == {"EDGE", "IN"}
    assert sites["EDGE"]["start"] == at(2, 0)


def test_withheld_when_all_contacts_are_identified() -> None:
    a = CaseSpec(
        "A",
        3,
        visits=[Visit(at(2, 8), at(2, 13), "S1", "school"), Visit(at(2, 18), at(2, 20), "R1"),
                Visit(at(2, 21), at(2, 22), "R2")],
    )  # fmt: skip
    sites = {s["venue_id"]: s for s in _sites(a, identified=("R1",))}
    assert sites["S1"]["status"] == "withheld"  # a school: everyone there is on a roster
    assert sites["R1"]["status"] == "withheld"  # the investigators reached every visitor
    assert sites["R2"]["status"] == "published"
    t = from_specs([a])
    published = public_sites(exposure_sites(t["cases"], t["places"], AS_OF, ("R1",)))
    assert [s["venue_name"] for s in published] == ["restaurant R2"]


@pytest.mark.parametrize(("days_after", "status"), [(14, "published"), (15, "expired")])
def test_removed_fourteen_days_after_the_last_exposure(days_after: int, status: str) -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 22), at(2, 23), "V1")])
    last_exposure_day = DAY0 + dt.timedelta(days=2)
    (site,) = _sites(a, as_of=last_exposure_day + dt.timedelta(days=days_after))
    assert site["remove_after"] == last_exposure_day + dt.timedelta(days=14)
    assert site["status"] == status


def test_a_venue_named_in_two_areas_gives_one_answer_whatever_the_row_order() -> None:
    # visits at a venue on an area boundary can name two mahallas; DuckDB's threads see rows in any order
    a = CaseSpec("A", 3, visits=[Visit(at(2, 18), at(2, 20), "V1")])
    b = CaseSpec("B", 3, visits=[Visit(at(2, 19), at(2, 21), "V1")])
    t = from_specs([a, b])
    places = t["places"]
    places = places.set_column(
        places.schema.get_field_index("mahalla"), "mahalla", pa.array(["Mahalla B", "Mahalla A"], pa.string())
    )
    places = places.set_column(places.schema.get_field_index("lat"), "lat", pa.array([41.1, 41.300000000000004]))
    answers = [
        exposure_sites(t["cases"], rows, AS_OF).to_pylist() for rows in (places, places.take([1, 0]))
    ]  # fmt: skip
    assert answers[0] == answers[1]
    assert [(s["mahalla"], s["lat"]) for s in answers[0]] == [("Mahalla A", (41.1 + 41.300000000000004) / 2)]
