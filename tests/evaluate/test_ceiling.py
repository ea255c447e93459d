"""The information ceiling on small worlds whose links, bound and rule gaps are known by construction."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from izquvar.evaluate.ceiling import ceiling, oracle_bound, oracle_recall
from izquvar.evaluate.links import daily_links
from izquvar.evaluate.truth import SimTruth
from izquvar.formats import stored_schema
from izquvar.localtime import local_midnight
from izquvar.simulate.truth import build

DAY0 = dt.date(2026, 3, 2)
OFFSET = dt.timedelta(hours=5)
EPOCH_DAY0 = (DAY0 - dt.date(1970, 1, 1)).days
HOME_C = (41.300000, 69.200000)
HOME_V = (41.310000, 69.210000)  # the household C visits, 1.4 km away
VENUE = (41.320000, 69.220000)  # restaurant R1
BUS = (41.330000, 69.230000)
M_LAT = 1 / 111_320.0  # degrees of latitude per metre


def at(day: int, hour: float) -> dt.datetime:
    """Local (UTC+5) ``hour`` on ``DAY0 + day``, as a UTC instant."""
    return local_midnight(DAY0 + dt.timedelta(days=day)) + dt.timedelta(hours=hour)


class FakeStore:
    """Tables in memory, with the stored schemas: all that link finding reads."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        self.tables = {kind: pa.Table.from_pylist(r, schema=stored_schema(kind)) for kind, r in rows.items()}

    def table(self, kind: str, columns: Sequence[str] | None = None, days: Iterable[dt.date] | None = None) -> pa.Table:
        table = self.tables.get(kind, stored_schema(kind).empty_table())
        return table.select(list(columns)) if columns is not None else table


def _person(person: str, household: str, home: tuple[float, float], phone: str | None = None) -> dict[str, Any]:
    return {"person": person, "household": household, "birth_year": 1990, "sex": "F", "phone": phone,
            "home_lat": home[0], "home_lon": home[1]}  # fmt: skip


def _stay(person: str, start: dt.datetime, end: dt.datetime, where: tuple[float, float], venue: str | None = None,
          north_m: float = 0.0) -> dict[str, Any]:  # fmt: skip
    return {"person": person, "start": start, "end": end, "lat": where[0] + north_m * M_LAT, "lon": where[1],
            "n_pings": 20, "accuracy_m": 20.0, "venue_id": venue}  # fmt: skip


def _world() -> FakeStore:
    """Case C and one person per kind of link, each true close contact on a known day (see TRUTH)."""
    people = [
        _person("C", "H1", HOME_C, "pC"),
        _person("H", "H1", HOME_C),  # C's household
        _person("R", "H3", (41.35, 69.25)),  # C's classmate
        _person("B", "H4", (41.36, 69.26)),  # Bluetooth
        _person("G", "H5", (41.37, 69.27)),  # GPS, 5 m from C at the restaurant
        _person("V", "H2", HOME_V),  # host of C's visit
        _person("K", "H6", (41.38, 69.28)),  # checked in at the restaurant with C
        _person("L", "H7", (41.39, 69.29), "pL"),  # only a shared cell (a true contact)
        _person("F", "H8", (41.40, 69.30), "pF"),  # only a shared cell (not a contact)
        _person("P", "H9", (41.41, 69.31)),  # paid at the restaurant an hour after C (not a contact)
        _person("N", "H10", (41.42, 69.32)),  # a stranger on the bus: no feed links them
        _person("Q", "H11", (41.43, 69.33)),  # another classmate, never near C
    ]
    return FakeStore(
        {
            "people": people,
            "rosters": [
                {"person": "C", "group_id": "5A", "group_kind": "school_class", "venue_id": "S1", "zone": None},
                {"person": "R", "group_id": "5A", "group_kind": "school_class", "venue_id": "S1", "zone": None},
                {"person": "Q", "group_id": "5A", "group_kind": "school_class", "venue_id": "S1", "zone": None},
            ],
            "venues": [
                {
                    "venue_id": "R1",
                    "name": "Osh",
                    "category": "restaurant",
                    "indoor": True,
                    "capacity": 80,
                    "lat": VENUE[0],
                    "lon": VENUE[1],
                    "zones": 1,
                    "accepts_cards": True,
                },
                {
                    "venue_id": "S1",
                    "name": "School",
                    "category": "school",
                    "indoor": True,
                    "capacity": 800,
                    "lat": 41.35,
                    "lon": 69.25,
                    "zones": 10,
                    "accepts_cards": False,
                },
                {
                    "venue_id": "B1",
                    "name": "Bus 12",
                    "category": "bus",
                    "indoor": True,
                    "capacity": 60,
                    "lat": BUS[0],
                    "lon": BUS[1],
                    "zones": 1,
                    "accepts_cards": False,
                },
            ],
            "stays": [
                _stay("C", at(0, 18), at(0, 20), HOME_V, north_m=10.0),  # visiting household H2
                _stay("C", at(1, 12), at(1, 14), VENUE, "R1"),
                _stay("G", at(1, 12.5), at(1, 13.5), VENUE, "R1", north_m=5.0),
            ],
            "ble": [
                {
                    "person_a": "B",
                    "person_b": "C",
                    "time": at(1, 9) + dt.timedelta(minutes=5 * i),
                    "duration_s": 300,
                    "attenuation_db": 58.0,
                }
                for i in range(4)
            ],
            "checkins": [
                {"person": "C", "venue_id": "R1", "check_in": at(1, 12), "check_out": at(1, 14), "zone": None},
                {"person": "K", "venue_id": "R1", "check_in": at(1, 13), "check_out": at(1, 13.5), "zone": None},
            ],
            "card": [
                {"card_holder": "C", "time": at(1, 13.9), "merchant_id": "M1", "amount_uzs": 1.0, "venue_id": "R1"},
                {"card_holder": "P", "time": at(1, 14.8), "merchant_id": "M1", "amount_uzs": 1.0, "venue_id": "R1"},
            ],
            "cell": [
                {"subscriber": "pC", "time": at(2, 8), "cell_id": "X"},
                {"subscriber": "pL", "time": at(2, 8.2), "cell_id": "X"},
                {"subscriber": "pF", "time": at(2, 8.4), "cell_id": "X"},
                {"subscriber": "pF", "time": at(2, 9), "cell_id": "Y"},
            ],
        }
    )


#: True close contacts of C: (contact, day).
TRUTH = [("H", 0), ("V", 0), ("R", 1), ("B", 1), ("G", 1), ("K", 1), ("L", 2), ("N", 2)]
#: The tracer's classes: R and K are the rule gaps (clearly linked, not close); N is not listed.
TRACED = {"H": "close", "V": "close", "R": "casual", "B": "close", "G": "close", "K": "casual", "L": "possible",
          "F": "possible", "P": "possible"}  # fmt: skip


def _truth() -> SimTruth:
    close = build(
        "close_contacts",
        {
            "person_a": pa.array(["C"] * len(TRUTH)),
            "person_b": pa.array([c for c, _ in TRUTH]),
            "day": pa.array([DAY0 + dt.timedelta(days=d) for _, d in TRUTH], pa.date32()),
            "minutes": pa.array([30] * len(TRUTH), pa.int64()),
        },
    )
    empty = pa.table({})
    return SimTruth(cases=empty, close_contacts=close, infections=empty, utc_offset=OFFSET, people=11, days=3,
                    start=DAY0)  # fmt: skip


def _truth_stays() -> pa.Table:
    rows = [
        ("C", "H1", at(0, 0), at(0, 17.5), "home"), ("H", "H1", at(0, 0), at(0, 23), "home"),
        ("C", "H2", at(0, 18), at(0, 20), "visit"), ("V", "H2", at(0, 0), at(0, 23), "home"),
        ("C", "B1", at(2, 8), at(2, 8.5), "ride"), ("N", "B1", at(2, 7.9), at(2, 8.6), "ride"),
    ]  # fmt: skip
    return build(
        "stays",
        {
            "person": pa.array([r[0] for r in rows]),
            "venue": pa.array([r[1] for r in rows]),
            "zone": pa.array([0] * len(rows), pa.int64()),
            "start": pa.array([r[2] for r in rows]),
            "end": pa.array([r[3] for r in rows]),
            "kind": pa.array([r[4] for r in rows]),
        },
    )


def _cases(start_day: int = 0, end_day: int = 3) -> pa.Table:
    return pa.table({"person": ["C"], "window_start": [at(start_day, 0)], "window_end": [at(end_day, 0)]})


def _contacts() -> pa.Table:
    return pa.table({"case": ["C"] * len(TRACED), "contact": list(TRACED), "klass": list(TRACED.values())})


def test_every_link_of_the_world_is_found_on_its_day() -> None:
    links = daily_links(_world(), _cases(), OFFSET).to_pylist()
    by = {(r["contact"], r["day"] - EPOCH_DAY0): r for r in links}
    assert by[("H", 0)]["household"] and by[("H", 2)]["household_size"] == 2  # every day of the window
    assert by[("R", 1)]["roster"] == "school_class" and by[("R", 1)]["roster_size"] == 3
    assert by[("B", 1)]["ble_near_min"] == pytest.approx(20.0) and by[("B", 1)]["ble_db"] == 58.0
    g = by[("G", 1)]
    assert g["gps_min"] == pytest.approx(60.0) and g["gps_near_min"] == pytest.approx(60.0)
    assert g["gps_m"] == pytest.approx(5.0, abs=0.01) and g["gps_setting"] == "restaurant"
    assert g["venue_min"] == pytest.approx(60.0)  # C's check-in at the restaurant vs G's GPS there
    assert by[("V", 0)]["visit_min"] == pytest.approx(120.0)
    k = by[("K", 1)]
    assert k["checkin_min"] == pytest.approx(30.0) and k["checkin_zone"] == "unknown"
    assert k["checkin_category"] == "restaurant"
    assert by[("P", 1)]["card_gap_min"] == pytest.approx(54.0) and by[("P", 1)]["card_category"] == "restaurant"
    assert by[("L", 2)]["cell_events"] == 1 and by[("F", 2)]["cell_events"] == 1
    assert not any(r["contact"] in ("N", "C") for r in links)
    # G's GPS, K's check-in and P's payment also put them at the restaurant with C; nobody else is linked
    assert {r["contact"] for r in links} == {*TRACED, "Q"}


def test_gps_time_together_is_split_at_local_midnight() -> None:
    store = _world()
    store.tables["stays"] = pa.Table.from_pylist(
        [_stay("C", at(0, 23), at(1, 2), VENUE, "R1"), _stay("G", at(0, 23.5), at(1, 0.5), VENUE, "R1")],
        schema=stored_schema("stays"),
    )
    gps = {r["day"] - EPOCH_DAY0: r["gps_min"] for r in daily_links(store, _cases(), OFFSET).to_pylist()
           if r["contact"] == "G"}  # fmt: skip
    assert gps == {0: pytest.approx(30.0), 1: pytest.approx(30.0)}


def test_link_shares_settings_bound_and_rule_gaps_of_the_world() -> None:
    bound = ceiling(_world(), _cases(), _truth(), _truth_stays(), _contacts())
    assert bound.true_pairs == 8 and bound.true_pair_days == 8
    assert bound.strongest_by_pair == {"household": 1, "roster": 1, "bluetooth": 1, "gps": 1, "visit": 1,
                                       "checkins": 1, "cell": 1, "none": 1}  # fmt: skip
    assert bound.with_link["venue"] == 2 and bound.with_link["card"] == 0  # G and K; P is no true contact
    assert bound.settings["household"] == {"household": 1}
    assert bound.settings["home visit"] == {"visit": 1}
    assert bound.settings["bus"] == {"none": 1}
    assert bound.settings["unknown"] == {"roster": 1, "bluetooth": 1, "gps": 1, "checkins": 1, "cell": 1}
    # 10 linked pairs, 7 of them true; N is linked by nothing
    assert bound.any_link_recall == pytest.approx(7 / 8) and bound.any_link_precision == pytest.approx(7 / 10)
    assert bound.non_cell_link_recall == pytest.approx(6 / 8)
    # fine and coarse alike: H, V, B, G and K have signatures of share 1; R and Q share "school class" (1/2), L
    # and F share "cell" (1/2), P (card + venue) has share 0. At precision 0.9 the oracle adds a part x of one
    # share-1/2 signature: (5 + x) / (5 + 2x) = 0.9 -> x = 5/8 of a true pair; at 0.8 one whole and a part of
    # the other: (6 + x) / (7 + 2x) = 0.8 -> x = 2/3; at 0.5 both whole (7 of 9 candidates).
    for name in ("fine", "coarse"):
        oracle = bound.oracles[name]
        assert oracle.recall_at[0.9] == pytest.approx((5 + 5 / 8) / 8)
        assert oracle.recall_at[0.8] == pytest.approx((6 + 2 / 3) / 8)
        assert oracle.recall_at[0.5] == pytest.approx(7 / 8)
        assert oracle.from_small_signatures == 1.0
    assert bound.gaps is not None
    assert bound.gaps.pairs == 2 and bound.gaps.by_link == {"household": 0, "roster": 1, "bluetooth": 0, "gps": 0,
                                                            "checkins": 1}  # fmt: skip
    assert bound.gaps.by_tracer_class == {"casual": 2}
    assert bound.gaps.clear_precision == {"household": 1.0, "roster": 0.5, "bluetooth": 1.0, "gps": 1.0,
                                          "checkins": 1.0}  # fmt: skip
    assert [(e["contact"], e["clear_links"]) for e in bound.gaps.examples] == [("R", ["roster"]), ("K", ["checkins"])]
    assert bound.unlisted_by_tracer == {"none": 1} and bound.tracer_close_unlinked == 0
    # the tracer: 4 close, all true -> recall 4/8 at precision 1; the oracle does at least as well there
    assert bound.tracer_recall == pytest.approx(0.5) and bound.tracer_precision == 1.0
    assert bound.oracle_at_tracer_precision is not None and bound.oracle_at_tracer_precision >= 0.5
    assert json.loads(json.dumps(bound.to_json()))["recall_ceiling"] == pytest.approx((6 + 2 / 3) / 8, abs=1e-4)


def test_windows_are_cut_to_the_simulated_days() -> None:
    # a window running two days past the data: the registry links only the simulated days
    bound = ceiling(_world(), _cases(0, 5), _truth(), _truth_stays())
    assert bound.true_pair_days == 8
    links = daily_links(_world(), _cases(0, 5), OFFSET).to_pylist()
    assert max(r["day"] for r in links) - EPOCH_DAY0 == 4  # links itself reads the window as given
    assert bound.gaps is None and bound.tracer_recall is None


def test_oracle_takes_signatures_by_share_and_part_of_the_last() -> None:
    # A: 10 candidates, 9 true; B: 10, 5 true; C: 10, none true; 20 true pairs in all (6 never linked)
    signature = np.asarray(["A"] * 10 + ["B"] * 10 + ["C"] * 10, dtype=object)
    is_true = np.asarray([True] * 9 + [False] + [True] * 5 + [False] * 5 + [False] * 10)
    bound = oracle_bound("test", signature, is_true, 20, (0.9, 0.8, 0.5))
    assert bound.recall_at[0.9] == pytest.approx(9 / 20)  # A alone has precision exactly 0.9
    # A and a third of B: (9 + 5/3) / (10 + 10/3) = 0.8
    assert bound.recall_at[0.8] == pytest.approx((9 + 5 / 3) / 20)
    assert bound.recall_at[0.5] == pytest.approx(14 / 20)  # A, B, and part of C (which adds no true pair)
    assert [s for s, _, _ in bound.chosen] == ["A", "B"] and bound.signatures == 3
    assert bound.from_small_signatures == 0.0


def test_no_choice_of_whole_signatures_beats_the_oracle() -> None:
    rng = np.random.default_rng(7)
    for _ in range(40):
        k = int(rng.integers(2, 7))
        sizes = rng.integers(1, 8, size=k)
        trues = np.asarray([rng.integers(0, s + 1) for s in sizes])
        signature = np.repeat(np.arange(k).astype(str).astype(object), sizes)
        is_true = np.concatenate([np.arange(s) < t for s, t in zip(sizes, trues, strict=True)])
        total = int(trues.sum()) + int(rng.integers(0, 5))
        for p in (0.9, 0.8, 0.5):
            best = 0.0
            for r in range(1, k + 1):
                for chosen in itertools.combinations(range(k), r):
                    n, t = sizes[list(chosen)].sum(), trues[list(chosen)].sum()
                    if t >= p * n:
                        best = max(best, t / total)
            assert oracle_recall(signature, is_true, total, p) >= best - 1e-12


def _write_sim(root: Path) -> None:
    """A 3-day simulator output: C (onset day 1) truly close to H (same household, day 0) and N (day 2)."""
    (root / "truth" / "close_contacts" / "day=2026-03-02").mkdir(parents=True)
    meta = {"config": {"format": "parquet", "utc_offset_hours": 5}, "people": 3, "days": 3, "start": DAY0.isoformat()}
    (root / "simulation.json").write_text(json.dumps(meta))
    close = build("close_contacts", {"person_a": pa.array(["C", "C"]), "person_b": pa.array(["H", "N"]),
                                     "day": pa.array([DAY0, DAY0 + dt.timedelta(days=2)], pa.date32()),
                                     "minutes": pa.array([300, 20], pa.int64())})  # fmt: skip
    pq.write_table(close, root / "truth" / "close_contacts" / "day=2026-03-02" / "p.parquet")
    cases = build("cases", {"person": pa.array(["C"]), "infection_time": pa.array([at(0, 0)]),
                            "onset": pa.array([at(1, 9)]), "asymptomatic": pa.array([False]),
                            "specimen_date": pa.array([DAY0 + dt.timedelta(days=1)], pa.date32()),
                            "isolation": pa.array([None], pa.date32())})  # fmt: skip
    pq.write_table(cases, root / "truth" / "cases.parquet")
    none = pa.array([None], pa.string())
    infections = build("infections", {"infector": none, "infectee": pa.array(["C"]), "time": pa.array([at(0, 0)]),
                                      "venue": none, "zone": pa.array([None], pa.int64()),
                                      "setting": none})  # fmt: skip
    pq.write_table(infections, root / "truth" / "infections.parquet")
    (root / "truth" / "stays").mkdir()
    pq.write_table(_truth_stays(), root / "truth" / "stays" / "p.parquet")


def test_evaluate_cli_adds_the_ceiling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "outbreak"))
    from outbreak_builders import CaseSpec, FakeTracer, Meeting

    from izquvar import open_store
    from izquvar.cli import evaluate as command
    from izquvar.trace import tracer as tracer_module

    _write_sim(tmp_path / "sim")
    store = open_store(tmp_path / "store")
    (tmp_path / "lab.csv").write_text(
        "person,specimen_date,result_date,test,result\nC,2026-03-03,2026-03-03,PCR,positive\n"
    )
    (tmp_path / "people.csv").write_text("person,household,birth_year,sex\nC,H1,1990,F\nH,H1,1960,M\nN,H2,1980,M\n")
    (tmp_path / "venues.csv").write_text(
        "venue_id,name,category,indoor,capacity,lat,lon\nB1,Bus 12,bus,true,60,41.33,69.23\n"
    )
    store.ingest([tmp_path / "lab.csv", tmp_path / "people.csv", tmp_path / "venues.csv"])
    pc, ph = store.pseudonym("C"), store.pseudonym("H")
    fake = FakeTracer([CaseSpec(pc, 1, meetings=[Meeting(ph, at(0, 18), at(0, 23), source="household")])])
    monkeypatch.setattr(tracer_module, "Tracer", lambda feeds, **options: fake)

    @click.group()
    def cli() -> None:
        pass

    command.register(cli)
    args = ["evaluate", "--sim", str(tmp_path / "sim"), "--store", str(tmp_path / "store")]
    plain = CliRunner().invoke(cli, [*args, "--json"])
    result = CliRunner().invoke(cli, [*args, "--ceiling", "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.output)
    # the evaluation's own keys are unchanged; the ceiling is one more key
    assert set(scores) - {"ceiling"} == set(json.loads(plain.output)) and "ceiling" not in json.loads(plain.output)
    bound = scores["ceiling"]
    assert bound["true_pairs"] == 2 and bound["strongest_link"]["pairs"] == {"household": 1, "none": 1}
    assert bound["settings"] == {"household": {"household": 1}, "bus": {"none": 1}}
    assert bound["recall_ceiling"] == 0.5 and bound["any_link_recall"] == 0.5
    assert bound["rule_gaps"]["pairs"] == 0 and bound["tracer_close_unlinked"] == 0
    assert bound["unlisted_by_tracer"] == {"none": 1}
    table = CliRunner().invoke(cli, [*args, "--ceiling"])
    assert table.exit_code == 0 and "What links the 2 true close contacts" in table.output
