"""``izquvar simulate``: write a synthetic Tashkent's data feeds and ground truth to a directory."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from izquvar.errors import InvalidInput
from izquvar.simulate.config import ALL_SOURCES, DEFAULT_START, SimConfig

#: CLI option → SimConfig field, for every imperfection and rate a user may want to change.
_IMPERFECTIONS: tuple[tuple[str, str, type, str], ...] = (
    ("--phone-share", "phone_owner_share", float, "share of people over 12 owning a phone"),
    ("--app-share", "app_user_share", float, "share of phone owners using the app (GPS, Bluetooth)"),
    ("--gps-loss", "gps_loss", float, "share of GPS fixes lost"),
    ("--gps-sigma-outdoor", "gps_sigma_outdoor_m", float, "GPS error outdoors, metres (RMS)"),
    ("--gps-sigma-indoor", "gps_sigma_indoor_m", float, "GPS error indoors, metres (RMS)"),
    ("--gps-still-interval", "gps_interval_still_s", int, "seconds between fixes when still"),
    ("--gps-moving-interval", "gps_interval_moving_s", int, "seconds between fixes when moving"),
    ("--cell-interval-min", "cell_interval_min_min", float, "shortest gap between network events, minutes"),
    ("--cell-interval-max", "cell_interval_max_min", float, "longest gap between network events, minutes"),
    ("--cell-not-nearest", "cell_not_nearest_share", float, "share of events served by a farther cell"),
    ("--tower-spacing", "tower_spacing_m", float, "distance between cell towers, metres"),
    ("--card-holder-share", "card_holder_share", float, "share of adults holding a bank card"),
    ("--card-share", "card_payment_share", float, "share of purchases paid by card where cards are taken"),
    ("--checkin-compliance", "checkin_compliance", float, "share of visits with a QR check-in"),
    ("--checkout-share", "checkout_share", float, "share of check-ins that also check out"),
    ("--ble-range", "ble_range_m", float, "Bluetooth detection range, metres"),
    ("--ble-noise", "ble_noise_db", float, "Bluetooth attenuation noise, dB (σ)"),
    ("--index-cases", "index_cases", int, "infected people at the start"),
    ("--interview-share", "interview_reached_share", float, "share of confirmed cases a tracer interviews"),
    (
        "--interview-recall-exponent",
        "interview_recall_exponent",
        float,
        "power-law decline of recall with days since the meeting (0: none)",
    ),
    ("--asymptomatic-share", "asymptomatic_share", float, "share of infections without symptoms"),
    ("--test-share", "symptomatic_test_share", float, "share of symptomatic people who get tested"),
    ("--pcr-share", "pcr_share", float, "share of tests that are PCR (the rest antigen)"),
    (
        "--background-test-rate",
        "background_test_rate",
        float,
        "daily chance anyone is tested for other reasons",
    ),
)


def _parse_set(values: tuple[str, ...]) -> dict[str, Any]:
    """``--set name=value`` pairs, typed like the SimConfig field they set."""
    fields = SimConfig.__dataclass_fields__
    out: dict[str, Any] = {}
    defaults = SimConfig()
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or name not in fields:
            raise InvalidInput(f"simulate: --set expects name=value with a SimConfig field name, got {item!r}.")
        current = getattr(defaults, name)
        try:
            if isinstance(current, bool):
                value: Any = raw.lower() in ("1", "true", "yes")
            elif isinstance(current, int):
                value = int(raw)
            elif isinstance(current, float):
                value = float(raw)
            elif isinstance(current, tuple):
                parts = [p for p in raw.split(",") if p]
                kind = type(current[0]) if current else str
                value = tuple(kind(p) for p in parts)
            else:
                value = raw
        except ValueError as exc:
            raise InvalidInput(f"simulate: --set {name}: cannot read {raw!r} ({exc}).") from exc
        out[name] = value
    return out


def register(group: click.Group) -> None:
    """Add ``simulate`` to the ``izquvar`` command group."""

    @click.option(
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        help="Set any SimConfig parameter (see docs/simulator.md).",
    )
    @click.option("--no-close-contacts", is_flag=True, help="Skip the close-contact truth table (faster at scale).")
    @click.option(
        "--sources",
        default=",".join(ALL_SOURCES),
        show_default=True,
        help="Comma-separated feeds to write (truth is always written).",
    )
    @click.option("--start", default=DEFAULT_START.isoformat(), show_default=True, help="First day, YYYY-MM-DD.")
    @click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
    @click.option("--out", type=click.Path(path_type=Path), required=True, help="New or empty output directory.")
    @click.option("--seed", type=int, default=1, show_default=True, help="Same seed and options, same bytes.")
    @click.option("--days", type=int, default=14, show_default=True, help="Days to simulate.")
    @click.option("--people", type=int, default=10_000, show_default=True, help="Inhabitants of the synthetic city.")
    @click.command("simulate")
    def simulate_command(
        people: int,
        days: int,
        seed: int,
        out: Path,
        fmt: str,
        start: str,
        sources: str,
        no_close_contacts: bool,
        settings: tuple[str, ...],
        **imperfections: Any,
    ) -> None:
        """Simulate an outbreak in a synthetic Tashkent and write every data feed and the ground truth."""
        from izquvar.simulate import simulate

        try:
            start_day = dt.date.fromisoformat(start)
        except ValueError as exc:
            raise InvalidInput(f"simulate: --start must be YYYY-MM-DD, got {start!r}.") from exc
        chosen = tuple(s.strip() for s in sources.split(",") if s.strip())
        params: dict[str, Any] = {
            "people": people,
            "days": days,
            "seed": seed,
            "format": fmt,
            "start": start_day,
            "sources": chosen,
            "close_contacts": not no_close_contacts,
        }
        for _, field_name, _, _ in _IMPERFECTIONS:
            value = imperfections.get(field_name)
            if value is not None:
                params[field_name] = value
        params.update(_parse_set(settings))
        config = SimConfig(**params)
        summary = simulate(config, out, progress=sys.stderr.isatty())
        click.echo(
            f"Simulated {summary.people:,} people in {summary.households:,} households "
            f"for {summary.days} days "
            f"({summary.seconds:.1f} s); {summary.infections:,} infections."
        )
        for name, rows in summary.rows.items():
            click.echo(f"  {name:<22} {rows:>12,} rows")
        click.echo(f"Written to {out}")

    command = simulate_command
    for flag, field_name, kind, help_text in _IMPERFECTIONS:  # appended after the options above
        command = click.option(flag, field_name, type=kind, default=None, help=help_text)(command)
    group.add_command(command)
