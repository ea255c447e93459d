"""Chains: a likely infector met the infectee inside the infector's window and before the infectee's onset."""

from __future__ import annotations

from outbreak_builders import CaseSpec, Meeting, at, from_specs

from izquvar.outbreak.chains import candidate_links, chains


def _links(*specs: CaseSpec) -> list[tuple[str, str, bool]]:
    t = from_specs(specs)
    links = candidate_links(t["cases"], t["contacts"], t["evidence"])
    return list(zip(links["infector"].to_pylist(), links["infectee"].to_pylist(), links["likely"].to_pylist(),
                    strict=True))  # fmt: skip


def test_direction_follows_onsets_and_windows() -> None:
    # A (onset day 3, window from day 1) meets B on day 2; B's onset is day 6, window from day 4.
    a = CaseSpec("A", 3, meetings=[Meeting("B", at(2, 10), at(2, 12))])
    b = CaseSpec("B", 6)
    assert _links(a, b) == [("A", "B", True)]


def test_meeting_seen_only_from_the_infectees_side_counts() -> None:
    # B's trace (window from day 4) lists A on day 4: inside A's window (from day 1), before B's onset (day 6).
    a = CaseSpec("A", 3)
    b = CaseSpec("B", 6, meetings=[Meeting("A", at(4, 10), at(4, 11))])
    assert _links(a, b) == [("A", "B", True)]


def test_both_directions_allowed_the_earlier_onset_is_the_likely_infector() -> None:
    # Day 3 is inside both windows and before both onsets (4 and 5): A, with the earlier onset, is chosen.
    a = CaseSpec("A", 4)
    b = CaseSpec("B", 5, meetings=[Meeting("A", at(3, 10), at(3, 11), risk=0.2)])
    assert sorted(_links(a, b)) == [("A", "B", True), ("B", "A", False)]


def test_meeting_after_the_infectees_onset_is_no_link() -> None:
    a = CaseSpec("A", 3, meetings=[Meeting("B", at(5, 10), at(5, 12))])
    b = CaseSpec("B", 5)
    assert _links(a, b) == []


def test_meeting_outside_the_infectors_window_is_no_link() -> None:
    # A isolated on day 4: meeting B on day 4 at 10:00 is after A's window closed.
    a = CaseSpec("A", 3, isolation_day=4, meetings=[])
    b = CaseSpec("B", 8, meetings=[Meeting("A", at(4, 10), at(4, 12))])
    assert _links(a, b) == []
    # ...and a meeting before A's window opened (day 1 < onset 3 - 2) is not one either.
    b_early = CaseSpec("B", 8, meetings=[Meeting("A", at(0, 10), at(0, 12))])
    assert _links(a, b_early) == []


def test_the_part_inside_both_limits_is_what_counts() -> None:
    # A meeting that straddles B's onset midnight counts only up to it.
    a = CaseSpec("A", 3, meetings=[Meeting("B", at(4, 23), at(5, 1))])
    b = CaseSpec("B", 5)
    t = from_specs([a, b])
    links = candidate_links(t["cases"], t["contacts"], t["evidence"])
    assert links["longest_minutes"].to_pylist() == [60.0]
    assert links["last_met"].to_pylist() == [at(5, 0)]


def test_riskiest_candidate_is_likely_and_chains_have_generations() -> None:
    a = CaseSpec("A", 2, meetings=[Meeting("C", at(2, 9), at(2, 10), risk=0.3)])
    b = CaseSpec("B", 2, meetings=[Meeting("C", at(2, 9), at(2, 10), risk=0.8)])
    c = CaseSpec("C", 5, meetings=[Meeting("D", at(5, 9), at(5, 10))])
    d = CaseSpec("D", 9)
    t = from_specs([a, b, c, d])
    links = candidate_links(t["cases"], t["contacts"], t["evidence"])
    assert sorted(_links(a, b, c, d)) == [("A", "C", False), ("B", "C", True), ("C", "D", True)]
    table = chains(t["cases"], links).to_pylist()
    by_person = {r["person"]: r for r in table}
    assert by_person["D"]["infector"] == "C" and by_person["D"]["generation"] == 2
    assert by_person["D"]["chain"] == "B" and by_person["D"]["chain_size"] == 3
    assert by_person["A"]["chain"] == "A" and by_person["A"]["chain_size"] == 1


def test_no_loops_when_two_cases_could_have_infected_each_other() -> None:
    # Same onset day, meeting two days before: each is in the other's window and before the other's onset.
    a = CaseSpec("A", 4, meetings=[Meeting("B", at(2, 10), at(2, 11))])
    b = CaseSpec("B", 4)
    links = _links(a, b)
    assert sorted((x, y) for x, y, _ in links) == [("A", "B"), ("B", "A")]
    assert sum(likely for _, _, likely in links) == 1
    t = from_specs([a, b])
    table = chains(t["cases"], candidate_links(t["cases"], t["contacts"], t["evidence"]))
    assert sorted(table["generation"].to_pylist()) == [0, 1]


def test_contacts_who_are_not_cases_make_no_links() -> None:
    a = CaseSpec("A", 3, meetings=[Meeting("X", at(2, 10), at(2, 12))])
    assert _links(a) == []
