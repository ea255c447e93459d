"""Clusters: venues where two or more cases were present within their infectious windows."""

from __future__ import annotations

from outbreak_builders import CaseSpec, Visit, at, from_specs

from izquvar.outbreak.clusters import clusters


def _clusters(*specs: CaseSpec) -> list[dict[str, object]]:
    t = from_specs(specs)
    return clusters(t["cases"], t["places"]).to_pylist()


def test_two_cases_at_one_venue_inside_their_windows_make_a_cluster() -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 18), at(2, 22), "V1", "wedding_hall")])
    b = CaseSpec("B", 4, visits=[Visit(at(2, 19), at(2, 23), "V1", "wedding_hall")])
    c = CaseSpec("C", 4, visits=[Visit(at(3, 9), at(3, 10), "V2", "shop")])
    (row,) = _clusters(a, b, c)
    assert row["venue_id"] == "V1" and row["n_cases"] == 2 and row["cases"] == ["A", "B"]
    assert row["co_present"] is True
    assert row["first_present"] == at(2, 18) and row["last_present"] == at(2, 23)


def test_visits_at_different_times_cluster_but_are_not_co_present() -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 9), at(2, 10), "B1", "bazaar")])
    b = CaseSpec("B", 6, visits=[Visit(at(5, 9), at(5, 10), "B1", "bazaar")])
    (row,) = _clusters(a, b)
    assert row["co_present"] is False


def test_a_visit_outside_a_cases_window_does_not_count() -> None:
    # B isolates on day 5: its visit on day 5 is after its window.
    a = CaseSpec("A", 3, visits=[Visit(at(5, 9), at(5, 10), "V1")])
    b = CaseSpec("B", 4, isolation_day=5, visits=[Visit(at(5, 9), at(5, 10), "V1")])
    assert _clusters(a, b) == []


def test_homes_are_never_clusters_and_one_case_is_no_cluster() -> None:
    a = CaseSpec("A", 3, visits=[Visit(at(2, 0), at(2, 8)), Visit(at(2, 9), at(2, 10), "V1")])
    b = CaseSpec("B", 3, visits=[Visit(at(2, 0), at(2, 8))])
    assert _clusters(a, b) == []
