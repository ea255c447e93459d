"""Flattened trace tables: every field lands in its column, times exactly, whatever the chunking."""

from __future__ import annotations

import datetime as dt

from outbreak_builders import CaseSpec, Meeting, Visit, at, result

from izquvar.outbreak.trace_tables import SCHEMAS, TraceTables

SPECS = [
    CaseSpec("A", 3, 6, visits=[Visit(at(2, 9.5), at(2, 11), "V1")], meetings=[Meeting("B", at(2, 10), at(2, 11))]),
    CaseSpec("B", 4, meetings=[Meeting("A", at(2, 10), at(2, 11), source="ble"), Meeting("C", at(3, 1), at(3, 2))]),
]


def test_rows_and_times_survive_flattening_exactly() -> None:
    tables = TraceTables()
    for spec in SPECS:
        tables.add(result(spec))
    out = tables.tables()
    assert {name: t.schema for name, t in out.items()} == SCHEMAS
    cases = out["cases"].to_pylist()
    assert [c["person"] for c in cases] == ["A", "B"]
    assert cases[0]["isolation"] == dt.date(2026, 3, 8) and cases[1]["isolation"] is None
    assert cases[0]["window_start"] == at(1, 0)
    place = out["places"].to_pylist()[0]
    assert (place["start"], place["end"], place["venue_id"], place["sources"]) == (at(2, 9.5), at(2, 11), "V1", ["gps"])
    evidence = out["evidence"].to_pylist()
    assert [(e["case"], e["contact"], e["source"]) for e in evidence] == [
        ("A", "B", "gps"), ("B", "A", "ble"), ("B", "C", "gps")
    ]  # fmt: skip
    assert evidence[2]["start"] == at(3, 1) and evidence[2]["start"].tzinfo is not None
    odd = result(CaseSpec("D", 3, meetings=[Meeting("E", at(2, 10) + dt.timedelta(microseconds=7), at(2, 11))]))
    tables.add(odd)
    assert tables.table("evidence").to_pylist()[-1]["start"] == at(2, 10) + dt.timedelta(microseconds=7)


def test_chunked_conversion_gives_the_same_tables() -> None:
    whole, chunked = TraceTables(), TraceTables(flush_rows=1)
    for spec in SPECS * 3:
        whole.add(result(spec))
        chunked.add(result(spec))
    for name in SCHEMAS:
        assert chunked.table(name).equals(whole.table(name)), name
