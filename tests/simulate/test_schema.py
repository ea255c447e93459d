"""Every feed conforms to formats/feeds.py: file naming, exact Arrow types, keys, references, ranges and choices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from simkit import read_kind

from izquvar.formats import KINDS, kind_from_path
from izquvar.simulate import ALL_SOURCES, SimSummary
from izquvar.simulate.truth import SCHEMAS


def test_every_source_written(small_run: tuple[Path, SimSummary]) -> None:
    out, summary = small_run
    for name in ALL_SOURCES:
        assert summary.rows.get(name, 0) > 0, name
        kind = KINDS[name]
        if kind.reference:
            assert (out / f"{name}.parquet").is_file()
        else:
            assert list((out / name).glob("day=????-??-??/part-0.parquet")), name


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_exact_schema_and_recognised_name(small_run: tuple[Path, SimSummary], name: str) -> None:
    out, _ = small_run
    paths = [out / f"{name}.parquet"] if KINDS[name].reference else sorted((out / name).glob("day=*/part-0.parquet"))
    for path in paths:
        assert kind_from_path(path).name == name
        assert pq.read_schema(path).remove_metadata() == KINDS[name].arrow_schema()


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_keys_unique_required_present_ranges(small_run: tuple[Path, SimSummary], name: str) -> None:
    out, _ = small_run
    kind = KINDS[name]
    table = read_kind(out, name)
    keys = table.select(list(kind.key)).group_by(list(kind.key)).aggregate([])
    assert keys.num_rows == table.num_rows, f"{name}: duplicate keys"
    for column in kind.columns:
        values = table.column(column.name)
        if column.required:
            assert values.null_count == 0, f"{name}.{column.name} has nulls"
        if column.choices:
            assert set(pc.unique(values.drop_null()).to_pylist()) <= set(column.choices)
        if column.minimum is not None and len(values.drop_null()):
            assert pc.min(values).as_py() >= column.minimum, f"{name}.{column.name} below minimum"
        if column.maximum is not None and len(values.drop_null()):
            assert pc.max(values).as_py() <= column.maximum, f"{name}.{column.name} above maximum"


@pytest.mark.parametrize("name", ALL_SOURCES)
def test_references_resolve(small_run: tuple[Path, SimSummary], name: str) -> None:
    out, _ = small_run
    table = read_kind(out, name)
    for column in KINDS[name].columns:
        if not column.references:
            continue
        ref_kind, ref_column = column.references.split(".")
        known = set(read_kind(out, ref_kind).column(ref_column).to_pylist())
        used = set(table.column(column.name).drop_null().to_pylist())
        assert used <= known, f"{name}.{column.name}: unknown {sorted(used - known)[:3]}"


def test_partitions_hold_their_utc_date(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    for name in ("gps", "cell", "card", "ble", "checkins"):
        time_column = KINDS[name].time_column
        assert time_column is not None
        for path in (out / name).glob("day=*/part-0.parquet"):
            day = path.parent.name.removeprefix("day=")
            times = pq.ParquetFile(path).read().column(time_column)
            dates = {str(d) for d in np.unique(times.to_numpy().astype("datetime64[D]"))}
            assert dates == {day}


def test_identifiers_look_real(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    people = read_kind(out, "people").to_pandas()
    assert people.person.str.fullmatch(r"[3-6]\d{13}").all()
    assert people.person.is_unique
    phones = people.phone.dropna()
    assert phones.str.fullmatch(r"998\d{9}").all() and phones.is_unique
    digits = np.array([[int(c) for c in p] for p in people.person[:500]])
    weights = np.resize([7, 3, 1], 13)
    assert ((digits[:, :13] * weights).sum(axis=1) % 10 == digits[:, 13]).all()
    cell = read_kind(out, "cell").to_pandas()
    assert set(cell.subscriber) <= set(phones)
    card = read_kind(out, "card").to_pandas()
    assert set(card.card_holder) <= set(people.person)


def test_truth_schemas(small_run: tuple[Path, SimSummary]) -> None:
    out, _ = small_run
    for name in ("stays", "close_contacts"):
        for path in (out / "truth" / name).glob("day=*/part-0.parquet"):
            assert pq.read_schema(path).remove_metadata() == SCHEMAS[name]
    for name in ("infections", "cases"):
        assert pq.read_schema(out / "truth" / f"{name}.parquet").remove_metadata() == SCHEMAS[name]
