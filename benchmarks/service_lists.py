"""Case, contact and person lists on PostgreSQL at a national outbreak's size, through the real API, against the
same queries' raw SQL (issue 9's target).

    python benchmarks/service_lists.py [--database URL] [--cases 300000] [--contacts 1000000] [--persons N]
                                       [--big 5000] [--requests 50] [--seed 7] [--json]

Without ``--database`` the script starts a PostgreSQL server of its own (Debian's binaries, a temporary data
directory, as the tests do); with it, the database's tables must be disposable (migrated to the newest schema
first, back to nothing afterwards). It fills the database in bulk (``COPY``, not the ORM): ``--persons``
registered persons (default: half the contacts, at least the cases) with a phone each, named from the
simulator's name lists and living in every district of the country; ``--cases`` cases (a person each, a
classification, onset and specimen dates, opened over 180 days) with one finished tracing job each; and
``--contacts`` contacts spread over the cases, 80 % of them registered persons, plus one case with ``--big``
contacts. Then ``VACUUM ANALYZE``, an epidemiologist of the whole country, ``izquvar serve`` on a free port in
a process of its own, and a sign-in over HTTP.

Each request kind is sent ``--requests`` times (after 3 not timed), with parameters drawn afresh each time: ``GET
/cases`` filtered by classification (paged), by district, by the week it was reported, and by all of them with the
specimen dates; ``GET /contacts`` by classification and district, and by exposure dates; ``GET /persons?q=`` name
prefixes in Latin and Cyrillic, PINFLs and phones; and the big case: ``GET /cases/{id}`` and its first ten pages of
``GET /cases/{id}/contacts``. The baseline, in the same run: the same query's SQL (the page, its ids picked first
as ``cases.service`` does, and the count) sent bare through psycopg; the ratio is what the API adds (sign-in
lookup, the audit record, the person and job look-ups, JSON). Targets: lists and search p95 < 200 ms, the big case
< 300 ms (p95); PASS/FAIL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from servicebench import add_epidemiologist, log, percentiles, postgres_server, running_service, signed_in_client

LIST_TARGET_S = 0.200
BIG_CASE_TARGET_S = 0.300
CLASSIFICATIONS = ("confirmed", "suspected", "probable", "not_a_case")
CLASS_SHARE = (0.6, 0.2, 0.1, 0.1)
CONTACT_CLASSES = ("close", "casual", "possible")
RELATIONS = ("household", "work", "school", "venue", "transport", "visit", "other")
FIRST_DAY = dt.date(2026, 5, 1)
DAYS = 180
UTC = dt.UTC
EVIDENCE = json.dumps(
    [
        {
            "kind": "stay",
            "source": "gps",
            "place": "home",
            "start": "2026-05-02T08:00:00Z",
            "minutes": 240.0,
            "distance_m": 3.5,
        }
    ]
)


@dataclass
class Filled:
    districts: list[str]
    persons: int
    big_case: int
    big_contacts: int
    family_names: list[str]
    national_id_of: Callable[[int], str]
    phone_of: Callable[[int], str]


def _national_id(i: int) -> str:
    from izquvar.persons.national_id import check_digit

    body = f"3{i:012d}"
    return body + str(check_digit(body))


def _phone(i: int) -> str:
    return f"99890{i:07d}"


def _moment(day: int, second: int) -> dt.datetime:
    return dt.datetime.combine(FIRST_DAY + dt.timedelta(days=day), dt.time(), UTC) + dt.timedelta(seconds=second)


def fill(url: str, *, persons: int, cases: int, contacts: int, big: int, seed: int) -> Filled:
    """The generated registry, cases, jobs and contacts, written with COPY (ids given; sequences moved on)."""
    from sqlalchemy import make_url

    from izquvar.db import make_engine
    from izquvar.geo.areas import AreaIndex
    from izquvar.persons.models import search_keys
    from izquvar.simulate.sources.persons import names

    rng = np.random.default_rng(seed)
    areas = AreaIndex.default()
    regions = areas.ids("region")
    districts = [(r, d) for r in regions for d in areas.ids("district", r)]
    family, male, female = names("family"), names("male-given"), names("female-given")
    keys: dict[tuple[str, str, str], tuple[str, str, str]] = {}
    engine = make_engine(url)
    raw = engine.raw_connection()
    connection: Any = raw.driver_connection
    now = dt.datetime.now(UTC)
    began = time.perf_counter()

    person_district = rng.integers(0, len(districts), persons)
    is_male = rng.random(persons) < 0.5
    family_i = rng.integers(0, len(family), persons)
    given_i = rng.integers(0, 50, persons)
    father_i = rng.integers(0, len(male), persons)
    births = rng.integers(-20_000, 19_000, persons)
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY persons (id, national_id, family_name, given_name, patronymic, birth_date, sex, region_id, "
            "district_id, street, house, preferred_language, family_key, given_key, full_key, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            for i in range(persons):
                m = bool(is_male[i])
                surname = family[family_i[i]] + ("" if m else "a")
                given = (male if m else female)[given_i[i] % len(male if m else female)]
                patronymic = male[father_i[i]] + ("ovich" if m else "ovna")
                key = keys.get((surname, given, patronymic))
                if key is None:
                    key = keys[(surname, given, patronymic)] = search_keys(surname, given, patronymic)
                region, district = districts[person_district[i]]
                copy.write_row((i + 1, _national_id(i + 1), surname, given, patronymic,
                                dt.date(1970, 1, 1) + dt.timedelta(days=int(births[i])), "M" if m else "F", region,
                                district, "Navoiy koʻchasi", str(i % 200 + 1), "uz-Latn", *key, now, now))  # fmt: skip
        with cursor.copy("COPY person_phones (id, person_id, msisdn) FROM STDIN") as copy:
            for i in range(persons):
                copy.write_row((i + 1, i + 1, _phone(i + 1)))
        log(f"{persons:,} persons and phones in {time.perf_counter() - began:.0f} s")

        # cases: the first ``cases`` persons, shuffled, each opened on a day of the 180 (ids in time order)
        case_person = rng.permutation(persons)[:cases] + 1
        opened_day = np.sort(rng.integers(0, DAYS, cases))
        opened_second = rng.integers(0, 86_400, cases)
        classification = rng.choice(len(CLASSIFICATIONS), cases, p=CLASS_SHARE)
        onset_back = rng.integers(0, 6, cases)
        with cursor.copy(
            "COPY cases (id, person_id, disease, classification, onset_date, specimen_date, hospitalised, "
            "region_id, district_id, confirmed_at, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(cases):
                person = int(case_person[i])
                region, district = districts[person_district[person - 1]]
                opened = _moment(int(opened_day[i]), int(opened_second[i]))
                day = opened.date()
                klass = CLASSIFICATIONS[classification[i]]
                copy.write_row((i + 1, person, "COVID-19", klass, day - dt.timedelta(days=int(onset_back[i]) + 1),
                                day - dt.timedelta(days=1), False, region, district,
                                opened if klass == "confirmed" else None, opened, opened))  # fmt: skip
        with cursor.copy(
            "COPY tracing_jobs (id, case_id, status, attempts, max_attempts, lang, run_after, summary, created_at, "
            "started_at, finished_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(cases):
                opened = _moment(int(opened_day[i]), int(opened_second[i]))
                summary = '{"contacts": 3, "proposed": 3, "identified": 2, "by_class": {"close": 1, "casual": 2}}'
                copy.write_row((i + 1, i + 1, "done", 1, 3, "en", opened, summary, opened, opened, opened, opened))
        log(f"{cases:,} cases and tracing jobs in {time.perf_counter() - began:.0f} s")

        # contacts: spread over the cases, then ``big`` for one case in the middle of the period
        big_case = cases // 2 + 1
        contact_case = np.concatenate([rng.integers(1, cases + 1, contacts), np.full(big, big_case)])
        total = len(contact_case)
        identified = rng.random(total) < 0.8
        contact_person = rng.integers(1, persons + 1, total)
        contact_class = rng.choice(len(CONTACT_CLASSES), total, p=(0.3, 0.5, 0.2))
        relation = rng.integers(0, len(RELATIONS), total)
        exposure_back = rng.integers(0, 5, total)
        risk = rng.random(total).round(3)
        minutes = rng.integers(5, 600, total)
        with cursor.copy(
            "COPY contacts (id, case_id, person_id, pseudonym, classification, relation, setting, "
            "last_exposure_date, risk, minutes, evidence, explanation, region_id, district_id, created_at) "
            "FROM STDIN"
        ) as copy:
            for i in range(total):
                case = int(contact_case[i])
                region, district = districts[person_district[case_person[case - 1] - 1]]
                opened = _moment(int(opened_day[case - 1]), int(opened_second[case - 1]))
                copy.write_row((i + 1, case, int(contact_person[i]) if identified[i] else None, f"{i:064x}",
                                CONTACT_CLASSES[contact_class[i]], RELATIONS[relation[i]], "home",
                                opened.date() - dt.timedelta(days=int(exposure_back[i])), float(risk[i]),
                                float(minutes[i]), EVIDENCE, "4 h at the same home on 2 May, 3.5 m apart",
                                region, district, opened + dt.timedelta(hours=1, seconds=i % 3600)))  # fmt: skip
        log(f"{total:,} contacts in {time.perf_counter() - began:.0f} s")
        for table in ("persons", "person_phones", "cases", "tracing_jobs", "contacts"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    connection.commit()
    connection.autocommit = True
    connection.execute("VACUUM ANALYZE")
    raw.close()
    engine.dispose()
    log(f"filled and analysed in {time.perf_counter() - began:.0f} s ({make_url(url).get_backend_name()})")
    return Filled([d for _, d in districts], persons, big_case, big, sorted(set(family)), _national_id, _phone)


@dataclass(frozen=True)
class Kind:
    """One kind of request: its target, the API request and its SQL, from parameters drawn per request."""

    name: str
    target_s: float
    draw: Callable[[np.random.Generator], dict[str, Any]]
    path: Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]
    sql: Callable[[dict[str, Any]], list[tuple[str, tuple[Any, ...]]]]


def _day_start(day: dt.date) -> dt.datetime:
    from izquvar.localtime import UZBEKISTAN_TZ

    return dt.datetime.combine(day, dt.time(), UZBEKISTAN_TZ)


Statements = list[tuple[str, tuple[Any, ...]]]


def _page_and_count(
    table: str, where: str, args: tuple[Any, ...], offset: int = 0
) -> list[tuple[str, tuple[Any, ...]]]:
    return [
        (f"SELECT count(*) FROM {table} WHERE {where}", args),
        (
            f"SELECT * FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} "
            f"ORDER BY created_at DESC, id DESC LIMIT 50 OFFSET {offset}) ORDER BY created_at DESC, id DESC",
            args,
        ),
    ]


def kinds(filled: Filled) -> list[Kind]:
    from izquvar.geo.transliterate import latin_to_cyrillic

    districts, names = filled.districts, filled.family_names

    def day(rng: np.random.Generator) -> dt.date:
        return FIRST_DAY + dt.timedelta(days=int(rng.integers(0, DAYS - 7)))

    def prefix(rng: np.random.Generator) -> dict[str, Any]:
        name = names[int(rng.integers(0, len(names)))]
        text = name[: int(rng.integers(3, 7))]
        return {"q": latin_to_cyrillic(text) if rng.random() < 0.5 else text, "latin": text}

    def search_sql(p: dict[str, Any]) -> Statements:
        """The search's query (``persons.service.search``): each way to match on its own index, the page from
        their union, then its persons."""
        from izquvar.persons.search_key import name_key, prefix_range, words_key

        if "id" in p:
            ways = [("id IN (SELECT person_id FROM person_phones WHERE msisdn = %s)", (p["phone"],))] if p[
                "by_phone"] else [("national_id = %s", (p["id"],))]  # fmt: skip
        else:
            (low, high), (wlow, whigh) = prefix_range(name_key(p["q"])), prefix_range(words_key(p["q"]))
            ways = [("family_key >= %s AND family_key < %s", (low, high)),
                    ("given_key >= %s AND given_key < %s", (low, high)),
                    ("full_key >= %s AND full_key < %s", (wlow, whigh))]  # fmt: skip
        union = " UNION ".join(f"SELECT id, family_key, given_key FROM persons WHERE {w}" for w, _ in ways)
        args = tuple(a for _, values in ways for a in values)
        return [(f"SELECT * FROM persons WHERE id IN (SELECT id FROM ({union}) AS m ORDER BY family_key, given_key, "
                 "id LIMIT 51) ORDER BY family_key, given_key, id", args)]  # fmt: skip

    def identifier(rng: np.random.Generator) -> dict[str, Any]:
        i = int(rng.integers(1, filled.persons + 1))
        return {"id": filled.national_id_of(i), "phone": filled.phone_of(i), "by_phone": bool(rng.random() < 0.5)}

    big = filled.big_case
    pages = max(1, min(10, filled.big_contacts // 50))  # of the big case's contacts: the first ten, all full
    return [
        Kind("cases ?classification (paged)", LIST_TARGET_S,
             lambda r: {"c": CLASSIFICATIONS[int(r.integers(0, 3))], "offset": 50 * int(r.integers(0, 20))},
             lambda p: ("/api/v1/cases", {"classification": p["c"], "offset": p["offset"]}),
             lambda p: _page_and_count("cases", "classification = %s", (p["c"],), p["offset"])),
        Kind("cases ?district_id", LIST_TARGET_S,
             lambda r: {"d": districts[int(r.integers(0, len(districts)))]},
             lambda p: ("/api/v1/cases", {"district_id": p["d"]}),
             lambda p: _page_and_count("cases", "district_id = %s", (p["d"],))),
        Kind("cases ?reported_from/to (a week)", LIST_TARGET_S,
             lambda r: {"from": day(r)},
             lambda p: ("/api/v1/cases", {"reported_from": p["from"].isoformat(),
                                          "reported_to": (p["from"] + dt.timedelta(days=6)).isoformat()}),
             lambda p: _page_and_count("cases", "created_at >= %s AND created_at < %s",
                                       (_day_start(p["from"]), _day_start(p["from"] + dt.timedelta(days=7))))),
        Kind("cases ?classification&district&specimen", LIST_TARGET_S,
             lambda r: {"c": "confirmed", "d": districts[int(r.integers(0, len(districts)))], "from": day(r)},
             lambda p: ("/api/v1/cases", {"classification": p["c"], "district_id": p["d"],
                                          "specimen_from": p["from"].isoformat(),
                                          "specimen_to": (p["from"] + dt.timedelta(days=30)).isoformat()}),
             lambda p: _page_and_count("cases", "classification = %s AND district_id = %s AND specimen_date >= %s "
                                       "AND specimen_date <= %s",
                                       (p["c"], p["d"], p["from"], p["from"] + dt.timedelta(days=30)))),
        Kind("contacts ?classification&district", LIST_TARGET_S,
             lambda r: {"c": CONTACT_CLASSES[int(r.integers(0, 3))],
                        "d": districts[int(r.integers(0, len(districts)))]},
             lambda p: ("/api/v1/contacts", {"classification": p["c"], "district_id": p["d"]}),
             lambda p: _page_and_count("contacts", "classification = %s AND district_id = %s", (p["c"], p["d"]))),
        Kind("contacts ?exposed_from/to (a week)", LIST_TARGET_S,
             lambda r: {"from": day(r)},
             lambda p: ("/api/v1/contacts", {"exposed_from": p["from"].isoformat(),
                                             "exposed_to": (p["from"] + dt.timedelta(days=6)).isoformat()}),
             lambda p: _page_and_count("contacts", "last_exposure_date >= %s AND last_exposure_date <= %s",
                                       (p["from"], p["from"] + dt.timedelta(days=6)))),
        Kind("persons ?q= name prefix (Latin/Cyrillic)", LIST_TARGET_S, prefix,
             lambda p: ("/api/v1/persons", {"q": p["q"]}), search_sql),
        Kind("persons ?q= PINFL or phone", LIST_TARGET_S, identifier,
             lambda p: ("/api/v1/persons", {"q": p["phone"] if p["by_phone"] else p["id"]}), search_sql),
        Kind(f"cases/{{id}} (the case with {filled.big_contacts:,} contacts)", BIG_CASE_TARGET_S, lambda r: {},
             lambda p: (f"/api/v1/cases/{big}", {}),
             lambda p: [("SELECT * FROM cases WHERE id = %s", (big,)),
                        ("SELECT * FROM tracing_jobs WHERE id IN (SELECT max(id) FROM tracing_jobs WHERE case_id = %s)",
                         (big,))]),
        Kind("cases/{id}/contacts of that case", BIG_CASE_TARGET_S,
             lambda r: {"offset": 50 * int(r.integers(0, pages))},
             lambda p: (f"/api/v1/cases/{big}/contacts", {"offset": p["offset"]}),
             lambda p: _page_and_count("contacts", "case_id = %s", (big,), p["offset"])),
    ]  # fmt: skip


def measure(base: str, url: str, kinds_: list[Kind], requests: int, seed: int) -> list[dict[str, Any]]:
    from izquvar.db import make_engine

    client = signed_in_client(base)
    engine = make_engine(url)
    raw = engine.raw_connection()
    connection: Any = raw.driver_connection
    connection.autocommit = True
    rows: list[dict[str, Any]] = []
    for kind in kinds_:
        rng = np.random.default_rng(seed)
        api: list[float] = []
        sql: list[float] = []
        items = 0
        for n in range(requests + 3):
            params = kind.draw(rng)
            path, query = kind.path(params)
            began = time.perf_counter()
            answer = client.get(path, params=query)
            took = time.perf_counter() - began
            if answer.status_code != 200:
                raise SystemExit(f"GET {path} {query}: {answer.status_code} {answer.text[:500]}")
            began = time.perf_counter()
            for statement, args in kind.sql(params):
                connection.execute(statement, args).fetchall()
            bare = time.perf_counter() - began
            if n >= 3:
                api.append(took)
                sql.append(bare)
                body = answer.json()
                items += len(body["items"]) if "items" in body else 1
        rows.append({"kind": kind.name, "target_s": kind.target_s, "api": percentiles(api), "sql": percentiles(sql),
                     "items_per_answer": items / requests})  # fmt: skip
        log(f"{kind.name}: p95 {rows[-1]['api']['p95'] * 1000:.0f} ms")
    raw.close()
    engine.dispose()
    client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default=None, help="a disposable PostgreSQL URL (default: a server of its own)")
    parser.add_argument("--cases", type=int, default=300_000)
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=None, help="default: half the contacts, at least the cases")
    parser.add_argument("--big", type=int, default=5_000, help="contacts of the one big case")
    parser.add_argument("--requests", type=int, default=50, help="timed requests of each kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON line")
    args = parser.parse_args(argv)
    persons = args.persons or max(args.cases, args.contacts // 2)
    if persons < args.cases:
        raise SystemExit("--persons must be at least --cases (a case each)")

    from izquvar.db import downgrade, upgrade

    with tempfile.TemporaryDirectory(prefix="izquvar-lists-bench-") as tmp:
        server: Any = nullcontext(args.database) if args.database else postgres_server()
        with server as url:
            upgrade(url)
            try:
                filled = fill(url, persons=persons, cases=args.cases, contacts=args.contacts, big=args.big,
                              seed=args.seed)  # fmt: skip
                add_epidemiologist(url)
                with running_service(url, Path(tmp) / "home", env={"IZQUVAR_TRACING_WORKER": "false"}) as base:
                    rows = measure(base, url, kinds(filled), args.requests, args.seed)
            finally:
                if args.database:
                    downgrade(url, "base")

    print(f"service lists on PostgreSQL: {persons:,} persons, {args.cases:,} cases, {args.contacts + args.big:,} "
          f"contacts (one case with {args.big:,}); {args.requests} requests each, real HTTP (izquvar serve), "
          "one after another")  # fmt: skip
    print(f"  {'request':<44} {'API p50':>8} {'API p95':>8} {'SQL p50':>8} {'SQL p95':>8} {'ratio':>6} {'target':>7}")
    failed = 0
    for row in rows:
        api, sql = row["api"], row["sql"]
        ok = api["p95"] < row["target_s"]
        failed += not ok
        row["verdict"] = "PASS" if ok else "FAIL"
        print(f"  {row['kind']:<44} {api['median'] * 1e3:6.1f}ms {api['p95'] * 1e3:6.1f}ms "
              f"{sql['median'] * 1e3:6.1f}ms {sql['p95'] * 1e3:6.1f}ms {api['median'] / sql['median']:5.1f}x "
              f"{'<' + format(row['target_s'] * 1e3, '.0f') + 'ms':>7} {row['verdict']}")  # fmt: skip
    print(f"  targets (lists and search p95 < 200 ms, the big case < 300 ms): {'PASS' if not failed else 'FAIL'}")
    if args.json:
        print(json.dumps({"persons": persons, "cases": args.cases, "contacts": args.contacts, "big": args.big,
                          "requests": args.requests, "rows": rows}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
