"""GPS co-location on Spark gives the embedded tracer's encounters, row for row, for every case of a small city.

The embedded answer is the tracer's own: its stay index, its GPS rules (``gps.query_m``, ``gps.min_minutes``)
and each case's infectious window as the tracer clips it, asked of the numba grid engine the GPS source uses.
Besides the city's lab-confirmed cases (who meet few people in three days), every third person is a case over
the whole simulation, so that hundreds of encounters, nights at home across midnight included, are compared.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from izquvar.outbreak import cases_from_lab
from izquvar.spark import CaseWindow, contacts_of_store
from izquvar.spark.layout import arrow_of
from izquvar.trace.engine import GridEngine, contact_seconds, encounter_query
from izquvar.trace.tracer import Tracer
from sparkkit import City


def case_windows(tracer: Tracer, city: City) -> list[CaseWindow]:
    """The lab's cases in their windows as the tracer clips them to the data, then every third person."""
    data = tracer.data
    windows = []
    for case in cases_from_lab(city.store):
        start, end = tracer.window(case.onset)
        s = max(int(start.timestamp()), data.data_start_s)
        e = max(s, min(int(end.timestamp()), data.data_end_s or int(end.timestamp())))
        windows.append(CaseWindow(case.person, _utc(s), _utc(e)))
    first, last = _utc(data.data_start_s), _utc(data.data_end_s)
    persons = data.stays.persons.to_pylist()[::3]
    windows += [CaseWindow(p, first + dt.timedelta(hours=k % 24), last) for k, p in enumerate(persons)]
    return windows


def _utc(seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def test_spark_gives_the_tracers_encounters_for_every_case(
    spark: Any, spark_city: City, spark_city_tracer: Tracer
) -> None:
    tracer = spark_city_tracer
    index, rules = tracer.data.stays, tracer.rules.gps
    radius = min(rules.query_m, index.max_distance_m)
    windows = case_windows(tracer, spark_city)
    grid = GridEngine(index)
    expected, seconds = [], {}
    for k, case in enumerate(windows):
        query = encounter_query(index, case.person, case.start, case.end, radius, rules.min_minutes)
        if query is None:
            continue
        found = grid.encounters(query)
        name = index.persons.take(index.person[found.contact_stay]).to_pylist()
        start = index.start_s
        rows = zip(name, start[found.case_stay], start[found.contact_stay], *found[2:], strict=True)
        expected += [(k, who, int(a), int(b), int(s), int(e), int(d2)) for who, a, b, s, e, d2 in rows]
        per_person = contact_seconds(index, found)
        seconds.update({(k, index.persons[p].as_py()): s for p, s in per_person.items()})
    assert len(expected) > 300 and len({row[0] for row in expected}) > 20

    encounters, contacts = contacts_of_store(spark, spark_city.store, windows, radius, rules.min_minutes)
    columns = ("case_id", "contact", "case_stay_s", "contact_stay_s", "ov_s", "ov_e", "d2")
    rows = arrow_of(encounters).select(list(columns)).to_pylist()
    assert sorted(tuple(r[c] for c in columns) for r in rows) == sorted(expected)
    met = arrow_of(contacts).to_pylist()
    assert {(r["case_id"], r["contact"]): r["seconds"] for r in met} == seconds
    assert all(r["minutes"] >= rules.min_minutes and r["closest_m"] <= radius for r in met)
    assert all(r["case_person"] == windows[r["case_id"]].person for r in met)
