"""The simulator's ground truth, read back for judging tracing (see docs/simulator.md for what it holds).

Truth tables carry raw identifiers; :meth:`SimTruth.pseudonymised` maps them to the store's pseudonyms so that
they can be compared with traced contacts, which never carry raw identifiers.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from izquvar.errors import InvalidInput, NotFound
from izquvar.simulate.truth import SCHEMAS
from izquvar.store.protocol import Pseudonyms


@dataclass(frozen=True)
class SimTruth:
    """Truth cases, close-contact pairs (by local day) and infections of one simulation."""

    cases: pa.Table
    close_contacts: pa.Table
    infections: pa.Table
    utc_offset: dt.timedelta
    people: int
    days: int
    start: dt.date

    @classmethod
    def load(cls, sim_dir: Path) -> SimTruth:
        """Read ``sim_dir``'s simulation.json and truth tables (Parquet or CSV, as the simulator wrote)."""
        sim_dir = Path(sim_dir)
        meta_path = sim_dir / "simulation.json"
        if not meta_path.is_file():
            raise NotFound(f"{sim_dir}: not a simulator output (no simulation.json).")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            config = meta["config"]
            fmt = "csv" if config.get("format") == "csv" else "parquet"
            offset = dt.timedelta(hours=float(config.get("utc_offset_hours", 5)))
            people, days, start = int(meta["people"]), int(meta["days"]), dt.date.fromisoformat(meta["start"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidInput(f"{meta_path}: unreadable simulation metadata ({exc}).") from exc
        if not config.get("close_contacts", True):
            raise InvalidInput(f"{sim_dir}: simulated with --no-close-contacts; there is no close-contact truth.")
        return cls(
            cases=_read(sim_dir / "truth" / f"cases.{fmt}", "cases", fmt),
            close_contacts=_read(sim_dir / "truth" / "close_contacts", "close_contacts", fmt),
            infections=_read(sim_dir / "truth" / f"infections.{fmt}", "infections", fmt),
            utc_offset=offset,
            people=people,
            days=days,
            start=start,
        )

    def pseudonymised(self, store: Pseudonyms) -> SimTruth:
        """The same truth with every person column replaced by the store's pseudonym."""

        def swap(table: pa.Table, columns: tuple[str, ...]) -> pa.Table:
            for name in columns:
                index = table.schema.get_field_index(name)
                table = table.set_column(index, name, store.pseudonyms(table.column(name).combine_chunks()))
            return table

        return replace(
            self,
            cases=swap(self.cases, ("person",)),
            close_contacts=swap(self.close_contacts, ("person_a", "person_b")),
            infections=swap(self.infections, ("infector", "infectee")),
        )

    def onsets(self) -> dict[str, tuple[dt.date | None, dt.date | None, dt.date | None]]:
        """Per person: local onset date (None when asymptomatic), first positive specimen date, isolation."""
        onset_us = self.cases.column("onset").cast(pa.int64()).to_numpy(zero_copy_only=False)
        persons: list[str] = self.cases.column("person").to_pylist()  # type: ignore[assignment]
        asymptomatic = self.cases.column("asymptomatic").to_pylist()
        specimen = self.cases.column("specimen_date").to_pylist()
        isolation = self.cases.column("isolation").to_pylist()
        shift = int(self.utc_offset.total_seconds() * 1_000_000)
        local = np.where(np.isnan(onset_us.astype(np.float64)), 0, onset_us).astype(np.int64) + shift
        days = (local // 86_400_000_000).astype("datetime64[D]").astype(object)
        return {
            p: (None if a else d, s, i)
            for p, a, d, s, i in zip(persons, asymptomatic, days, specimen, isolation, strict=True)
        }


def read_truth_stays(sim_dir: Path, store: Pseudonyms, persons: pa.Array[Any] | None = None) -> pa.Table:
    """``truth/stays`` (person, venue, zone, start, end, kind) with persons as store pseudonyms: where everyone
    really was. ``persons`` (pseudonyms) keeps only their stays. Each distinct raw identifier is hashed once."""
    sim_dir = Path(sim_dir)
    try:
        config = json.loads((sim_dir / "simulation.json").read_text(encoding="utf-8"))["config"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotFound(f"{sim_dir}: not a readable simulator output ({exc}).") from exc
    fmt = "csv" if config.get("format") == "csv" else "parquet"
    stays = _read(sim_dir / "truth" / "stays", "stays", fmt)
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(stays.column("person").combine_chunks()))
    named = pa.DictionaryArray.from_arrays(encoded.indices, store.pseudonyms(encoded.dictionary)).dictionary_decode()
    stays = stays.set_column(stays.schema.get_field_index("person"), "person", named)
    if persons is not None:
        stays = stays.filter(pc.is_in(stays.column("person"), value_set=persons))
    return stays


def _read(path: Path, name: str, fmt: str) -> pa.Table:
    if not path.exists():
        raise NotFound(f"{path}: missing ground-truth table {name}.")
    schema = SCHEMAS[name]
    try:
        # partitioning=None: the day=... directories must not add a column (close_contacts has its own day)
        dataset = pads.dataset(str(path), format=fmt, schema=schema, partitioning=None)  # type: ignore[call-overload]
        table: pa.Table = dataset.to_table()
    except (pa.ArrowInvalid, OSError) as exc:
        raise InvalidInput(f"{path}: unreadable ground-truth table {name} ({exc}).") from exc
    return table
