"""How fast ``izquvar import persons`` loads a registry file: first import, the same file again, and updates.

    python benchmarks/registry_import.py [--rows 100000] [--database URL] [--seed 7]

The file is the simulated city's registry format with every field filled (names from the simulator's lists,
PINFLs, one or two phones, Tashkent addresses with mahalla). The database is a fresh SQLite file unless
``--database`` names another (a PostgreSQL URL: its ``persons`` tables must not exist yet or be disposable).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np

from izquvar.db import downgrade, make_engine, make_session_factory, session_scope, upgrade
from izquvar.geo.areas import TASHKENT_CITY_ID, AreaIndex
from izquvar.persons.importer import COLUMNS, ImportReport, import_persons
from izquvar.simulate.ids import msisdn, pinfl
from izquvar.simulate.sources.persons import names


def write_file(path: Path, rows: int, seed: int, renamed_share: float = 0.0) -> None:
    """A registry file of ``rows`` persons (the same persons for one seed; ``renamed_share`` of them renamed)."""
    rng = np.random.default_rng(seed)
    birth = rng.integers(-20_000, 19_000, rows)
    male = rng.random(rows) < 0.5
    ids = pinfl(birth, male, rng.integers(0, 1000, rows))
    phones = msisdn(2 * rows, rng).reshape(rows, 2)
    two = rng.random(rows) < 0.3
    areas = AreaIndex.default()
    mahallas = [(d, m) for d in areas.ids("district", TASHKENT_CITY_ID) for m in areas.ids("mahalla", d)]
    place = rng.integers(0, len(mahallas), rows)
    given_m, given_f, family = names("male-given"), names("female-given"), names("family")
    renamed = np.random.default_rng(seed + 1).random(rows) < renamed_share
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i in range(rows):
            district, mahalla = mahallas[place[i]]
            surname = family[i % len(family)] + ("" if male[i] else "a")
            writer.writerow(
                (
                    ids[i],
                    surname + ("-Renamed" if renamed[i] else ""),
                    (given_m if male[i] else given_f)[i % 50],
                    (given_m[i % 40] + ("ovich" if male[i] else "ovna")),
                    (dt.date(1970, 1, 1) + dt.timedelta(days=int(birth[i]))).isoformat(),
                    "M" if male[i] else "F",
                    ";".join(phones[i][: 2 if two[i] else 1]),
                    TASHKENT_CITY_ID,
                    district,
                    mahalla,
                    "Navoiy koʻchasi",
                    str(i % 200 + 1),
                    "uz-Latn",
                )
            )


def timed_import(url: str, path: Path) -> tuple[ImportReport, float]:
    engine = make_engine(url)
    began = time.perf_counter()
    with session_scope(make_session_factory(engine)) as session:
        report = import_persons(path, db_session=session)
    seconds = time.perf_counter() - began
    engine.dispose()
    if not report.stored:
        raise SystemExit(f"the generated file has problems: {report.errors[:3]}")
    return report, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", default=None, help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="izquvar-registry-bench-") as tmp:
        work = Path(tmp)
        url = args.database or f"sqlite:///{work / 'izquvar.db'}"
        upgrade(url)
        first, changed = work / "persons.csv", work / "persons-changed.csv"
        write_file(first, args.rows, args.seed)
        write_file(changed, args.rows, args.seed, renamed_share=0.1)
        print(f"{args.rows:,} rows, {first.stat().st_size / 1e6:.1f} MB, {make_engine(url).dialect.name}")
        for label, path in (("first import", first), ("same file again", first), ("10 % renamed", changed)):
            report, seconds = timed_import(url, path)
            print(
                f"{label:>16}: {seconds:6.1f} s  ({args.rows / seconds:8,.0f} rows/s)  created {report.created:,}, "
                f"updated {report.updated:,}, unchanged {report.unchanged:,}"
            )
        if args.database:
            downgrade(url, "base")


if __name__ == "__main__":
    main()
