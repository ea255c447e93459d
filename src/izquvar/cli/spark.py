"""``izquvar spark stays`` and ``izquvar spark contacts``: the pipeline's steps on Apache Spark (docs/spark.md).

Both read the embedded store's Parquet files (those its manifest lists) on a Spark master (``--master``,
``local[*]`` by default) and write Parquet datasets (Spark part files) under ``--out``; the terminal shows
what was written. The results are those of the embedded engine (tests/spark checks it).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from izquvar.cli.options import rules_options, store_option
from izquvar.errors import InvalidInput, NotFound

_MASTER = click.option(
    "--master",
    default="local[*]",
    show_default=True,
    envvar="IZQUVAR_SPARK_MASTER",
    metavar="URL",
    help="Spark master URL: local[*], local[N], spark://HOST:7077, yarn... Env: IZQUVAR_SPARK_MASTER.",
)
_OUT = click.option(
    "--out", type=click.Path(path_type=Path, file_okay=False), required=True, help="Directory for the Parquet output."
)


def register(group: click.Group) -> None:
    group.add_command(spark_group)


@click.group("spark")
def spark_group() -> None:
    """Run the pipeline's steps on Apache Spark over the store's Parquet (needs izquvar[spark] and Java 17+)."""


@spark_group.command("stays")
@store_option()
@_MASTER
@_OUT
@click.option("--partitions", type=click.IntRange(min=1), default=None, metavar="N",
              help="Repartition the pings by person into N partitions first (default: as read).")  # fmt: skip
@click.option("--buckets", type=click.IntRange(min=1), default=None, metavar="N",
              help="Detect stays per hash bucket of persons (N groups) instead of per person.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
def stays_command(
    store_path: Path, master: str, out: Path, partitions: int | None, buckets: int | None, as_json: bool
) -> None:
    """Stays from the store's GPS pings, placed (venue, areas): OUT/stays/, the columns of the stored stays."""
    from izquvar.spark import spark_session, stays_of_store, write_parquet
    from izquvar.spark.layout import open_for_reading

    store = open_for_reading(store_path)
    spark = spark_session(master)
    target = write_parquet(stays_of_store(spark, store, partitions, buckets), out, "stays")
    written = spark.read.parquet(str(target)).count()
    _report({"stays": {"path": str(target), "rows": written}}, as_json)


@spark_group.command("contacts")
@store_option()
@_MASTER
@_OUT
@click.option("--cases", "cases_path", type=click.Path(path_type=Path), default=None,
              help="CSV person,onset[,isolation]; default: every person with a positive lab result.")  # fmt: skip
@click.option("--stays", "stays_path", type=click.Path(path_type=Path), default=None,
              help="Stays to join: a Parquet dataset (OUT/stays of 'spark stays'); default: the store's.")  # fmt: skip
@click.option("--distance-m", type=float, default=None, help="Co-location radius; default: the rules' gps.query_m.")
@click.option("--min-minutes", type=float, default=None,
              help="Least union overlap of a contact; default: the rules' gps.min_minutes.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@rules_options
def contacts_command(
    store_path: Path,
    master: str,
    out: Path,
    cases_path: Path | None,
    stays_path: Path | None,
    distance_m: float | None,
    min_minutes: float | None,
    as_json: bool,
    rules_path: Path | None,
    disease: str | None,
) -> None:
    """GPS co-location of every confirmed case's stays in its infectious window: OUT/encounters/, OUT/contacts/."""
    from izquvar.outbreak import cases_from_lab, read_cases_file
    from izquvar.spark import CaseWindow, contacts_of_store, spark_session, write_parquet
    from izquvar.spark.layout import open_for_reading
    from izquvar.trace.rules import load_rules, rules_from_settings

    store = open_for_reading(store_path)
    rules = load_rules(rules_path, disease) or rules_from_settings()
    profile = rules.disease.profile()
    confirmed = read_cases_file(cases_path) if cases_path is not None else cases_from_lab(store)
    if not confirmed:
        raise NotFound(f"{store_path}: no confirmed cases (no positive lab result); pass --cases FILE.")
    cases = []
    for case in confirmed:
        start, end = profile.window(case.onset, case.isolation)
        cases.append(CaseWindow(_pseudonym(store, case.person), start, end))
    radius = rules.gps.query_m if distance_m is None else distance_m
    minutes = rules.gps.min_minutes if min_minutes is None else min_minutes
    spark = spark_session(master)
    stays = None
    if stays_path is not None:
        if not stays_path.exists():
            raise NotFound(f"--stays {stays_path}: no such Parquet dataset")
        stays = spark.read.parquet(str(stays_path))
    found, met = contacts_of_store(spark, store, cases, radius, minutes, stays)
    written = {}
    for name, frame in (("encounters", found), ("contacts", met)):
        target = write_parquet(frame, out, name)
        written[name] = {"path": str(target), "rows": spark.read.parquet(str(target)).count()}
    _report({"cases": len(cases), "distance_m": radius, "min_minutes": minutes, **written}, as_json)


def _pseudonym(store: object, person: str) -> str:
    """A case's pseudonym: the store's lab results already hold them, a cases file may hold raw identifiers
    (32 hexadecimal characters are taken as a pseudonym)."""
    person = person.strip()
    if len(person) == 32 and all(c in "0123456789abcdef" for c in person):
        return person
    pseudonym = getattr(store, "pseudonym", None)
    if pseudonym is None:
        raise InvalidInput(f"case {person!r}: not a pseudonym, and the store cannot hash it")
    result: str = pseudonym(person)
    return result


def _report(written: dict[str, object], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(written, indent=2))
        return
    for name, value in written.items():
        if isinstance(value, dict):
            click.echo(f"{name}: {value['rows']:,} rows → {value['path']}")
        else:
            click.echo(f"{name}: {value}")
