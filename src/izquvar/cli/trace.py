"""``izquvar trace PERSON --store STORE --onset YYYY-MM-DD``: where a case was and who they met.

One case, four views of the same ``TraceResult``: ``table`` for the investigator at a terminal, ``json`` (the
documented contract, docs/trace-json.md) for other programs, ``geojson`` for GIS tools, ``html`` for a
self-contained report to open offline, print or attach to the case file. ``--out`` writes the file atomically
(a reader never sees half a report) and prints its path.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import click
from rich.console import Console

from izquvar import open_store
from izquvar.cli.options import rules_options, store_option
from izquvar.errors import InvalidInput
from izquvar.i18n import LANGS, Lang, parse_lang
from izquvar.report.geojson import geojson_text
from izquvar.report.html import render_html
from izquvar.report.table import trace_renderable, trace_text
from izquvar.store.fsutil import atomic_write_bytes
from izquvar.trace.result import TraceResult
from izquvar.trace.rules import load_rules
from izquvar.trace.tracer import Tracer

FORMATS = ("table", "json", "geojson", "html")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_day(text: str, option: str) -> dt.date:
    """A date written exactly YYYY-MM-DD: 03/04 means different days to different people."""
    value = text.strip()
    if _ISO_DAY.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(f"{option} {text!r}: not a calendar date ({exc}).") from None
    raise InvalidInput(f"{option} {text!r}: expected a date as YYYY-MM-DD, e.g. 2026-03-12.")


def render(result: TraceResult, output_format: str, lang: Lang) -> str:
    """The trace in one of ``FORMATS`` as text; the table without colour, 160 columns wide, for a file or a
    pipe (a terminal gets colour and its own width instead)."""
    if output_format == "json":
        return result.to_json() + "\n"
    if output_format == "geojson":
        return geojson_text(result) + "\n"
    if output_format == "html":
        return render_html(result, lang)
    if output_format == "table":
        return trace_text(result, lang)
    raise InvalidInput(f"--format {output_format!r}: expected one of {', '.join(FORMATS)}.")


def write_output(path: Path, content: str) -> None:
    """Replace ``path`` with ``content`` in one step; the directory must exist (a typo must not create one)."""
    if path.is_dir():
        raise InvalidInput(f"--out {path}: is a directory; give a file name.")
    if not path.parent.is_dir():
        raise InvalidInput(f"--out {path}: directory {path.parent} does not exist.")
    atomic_write_bytes(path, content.encode("utf-8"))


@click.command("trace")
@click.argument("person")
@store_option()
@click.option(
    "--onset",
    required=True,
    metavar="YYYY-MM-DD",
    help="Symptom onset (or specimen date when asymptomatic).",
)
@click.option("--isolated", default=None, metavar="YYYY-MM-DD", help="Date the case was isolated.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table: for reading; json: the documented contract; geojson: for GIS; html: an offline report.",
)
@click.option(
    "--lang",
    default="en",
    show_default=True,
    envvar="IZQUVAR_LANG",
    metavar="|".join(LANGS),
    help="Language of the table and report (names, explanations, dates). Env: IZQUVAR_LANG.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file (atomically) and print its path; default: standard output.",
)
@rules_options
def trace_command(
    person: str,
    store_path: Path,
    onset: str,
    isolated: str | None,
    output_format: str,
    lang: str,
    out: Path | None,
    rules_path: Path | None,
    disease: str | None,
) -> None:
    """Trace PERSON (a raw identifier or a pseudonym): the places and the contacts in the infectious window."""
    language = parse_lang(lang)
    onset_day = parse_day(onset, "--onset")
    isolation_day = parse_day(isolated, "--isolated") if isolated is not None else None
    store = open_store(store_path, create=False)
    rules = load_rules(rules_path, disease)
    if rules is None:
        result = store.trace(person, onset_day, isolation_day, lang=language)
    else:
        result = Tracer(store, rules=rules).trace(person, onset_day, isolation_day, language)
    if out is not None:
        write_output(out, render(result, output_format, language))
        click.echo(str(out))
    elif output_format == "table" and sys.stdout.isatty():
        Console().print(trace_renderable(result, language))
    else:
        click.echo(render(result, output_format, language), nl=False)


def register(group: click.Group) -> None:
    """Add ``izquvar trace`` to the command group."""
    group.add_command(trace_command)
