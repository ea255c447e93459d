"""SocioPatterns face-to-face contacts as Bluetooth proximity encounters (the ``ble`` feed).

SocioPatterns RFID badges, worn on the chest, record a contact between two people when they face each other
within about 1–1.5 m during a 20-second interval (Cattuto et al., PLoS ONE 5, e11596, 2010). Each record
``(time, i, j)`` says "i and j were face to face during the 20 s starting at time". That is what a Bluetooth
encounter row says, so each record becomes one ``ble`` row:

* ``time``: the record's time; ``duration_s`` = 20;
* ``attenuation_db`` = :data:`FACE_TO_FACE_DB`: the log-distance path-loss model the simulator uses (55 dB at
  1 m, exponent 2) at the badges' 1.5 m range: 55 + 20·log10(1.5) ≈ 58.5 dB, inside GAEN's "near" bucket
  (≤ 63 dB), i.e. a face-to-face contact counts fully towards the close-contact minutes;
* ``person_a``/``person_b``: ``<data set>-<badge id>`` (e.g. ``hospital-1157``), the smaller id first.

Records repeated within a file (same pair, same time, in either order: hs2011.csv has 21) describe the same
20 seconds and are kept once; the store would reject the repeats as duplicate keys anyway.

Times: files with a ``datetime`` column (Hospital, Conference, Workplace) keep their wall-clock times, read as
UTC (only differences matter here); files with only seconds (primaryschool, hs2011) need a ``start_date``,
whose midnight (UTC) is second 0. With ``start_date`` given, a dated file is moved by whole days so that it
starts on ``start_date`` (times of day kept). The readers accept the comma, tab and semicolon layouts of the
five files in the SocioPatterns collection.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from izquvar.errors import InvalidInput, NotFound
from izquvar.formats import BLE

RECORD_SECONDS = 20
#: Attenuation that stands for a face-to-face contact at ≤ 1.5 m (see the module docstring).
FACE_TO_FACE_DB = round(55.0 + 20.0 * math.log10(1.5), 1)

RECORDS_SCHEMA = pa.schema(
    [  # type: ignore[arg-type]  # (pyarrow-stubs mistype a list of fields)
        pa.field("time", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("person_a", pa.string(), nullable=False),
        pa.field("person_b", pa.string(), nullable=False),
    ]
)

_ID_COLUMNS = (("node_a", "node_b"), ("id1", "id2"))
_SECONDS_COLUMNS = ("time", "Time")


def _delimiter(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        header = handle.readline()
    for candidate in ("\t", ";", ","):
        if candidate in header:
            return candidate
    raise InvalidInput(f"{path}: line 1: cannot tell the delimiter of the header {header.strip()!r}.")


def _dataset_name(path: Path) -> str:
    return path.stem.lower()


def read_records(path: Path, start_date: dt.date | None = None) -> pa.Table:
    """The file's contact records, one per (pair, 20-s interval), sorted by time then pair."""
    path = Path(path)
    if not path.is_file():
        raise NotFound(f"{path}: no such SocioPatterns file.")
    delimiter = _delimiter(path)
    with path.open(encoding="utf-8", newline="") as handle:
        header = next(csv.reader(handle, delimiter=delimiter))
    names = [f"c{i}" for i in range(len(header))]  # hs2011 repeats a column name: read by position
    try:
        raw = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
        )
    except pa.ArrowInvalid as exc:
        raise InvalidInput(f"{path}: unreadable ({exc}).") from exc
    position = {name: names[i] for i, name in enumerate(header)}
    ids = next((pair for pair in _ID_COLUMNS if all(p in position for p in pair)), None)
    if ids is None:
        raise InvalidInput(f"{path}: line 1: no badge id columns (node_a,node_b or id1,id2) in {header}.")
    times = _times(raw, position, path, start_date)
    prefix = _dataset_name(path) + "-"
    a = _ids(raw.column(position[ids[0]]), path, ids[0])
    b = _ids(raw.column(position[ids[1]]), path, ids[1])
    real = a != b  # a badge "facing itself" is a recording artefact (hs2011.csv has one): not a contact
    a, b, times = a[real], b[real], times.filter(pa.array(real))
    low, high = np.minimum(a, b), np.maximum(a, b)
    table = pa.table(
        {
            "time": times,
            "person_a": pc.binary_join_element_wise(prefix, pa.array(low.astype(str)), ""),
            "person_b": pc.binary_join_element_wise(prefix, pa.array(high.astype(str)), ""),
        }
    )
    unique = table.group_by(["time", "person_a", "person_b"], use_threads=False).aggregate([])
    return (
        unique.sort_by([("time", "ascending"), ("person_a", "ascending"), ("person_b", "ascending")])
        .select(RECORDS_SCHEMA.names)
        .cast(RECORDS_SCHEMA)
    )


def _ids(column: pa.ChunkedArray[Any], path: Path, name: str) -> npt.NDArray[np.int64]:
    try:
        return np.asarray(column.cast(pa.int64()).to_numpy(), dtype=np.int64)
    except (pa.ArrowInvalid, ValueError) as exc:
        raise InvalidInput(f"{path}: field {name}: badge ids must be integers ({exc}).") from exc


def _times(raw: pa.Table, position: dict[str, str], path: Path, start_date: dt.date | None) -> pa.Array[Any]:
    if "datetime" in position:
        try:
            local = pc.strptime(raw.column(position["datetime"]), format="%Y-%m-%d %H:%M:%S", unit="us")
        except pa.ArrowInvalid as exc:
            raise InvalidInput(f"{path}: field datetime: expected YYYY-MM-DD HH:MM:SS ({exc}).") from exc
        us = np.asarray(local.cast(pa.int64()).to_numpy(), dtype=np.int64)
        if start_date is not None and len(us):
            first_day = int(us.min() // 86_400_000_000)
            target_day = (start_date - dt.date(1970, 1, 1)).days
            us = us + (target_day - first_day) * 86_400_000_000
    else:
        column = next((c for c in _SECONDS_COLUMNS if c in position), None)
        if column is None:
            raise InvalidInput(f"{path}: line 1: no time column (datetime, time or Time).")
        if start_date is None:
            raise InvalidInput(f"{path}: records carry seconds only; give the start date of the recording.")
        seconds = _ids(raw.column(position[column]), path, column)
        midnight = (start_date - dt.date(1970, 1, 1)).days * 86_400
        us = (midnight + seconds) * 1_000_000
    return pa.array(us, pa.int64()).cast(pa.timestamp("us", tz="UTC"))


def to_ble(path: Path, start_date: dt.date | None = None) -> pa.Table:
    """The file as a ``ble`` feed table: one 20-s encounter at :data:`FACE_TO_FACE_DB` per record."""
    records = read_records(path, start_date)
    n = records.num_rows
    return pa.table(
        {
            "person_a": records.column("person_a").combine_chunks(),
            "person_b": records.column("person_b").combine_chunks(),
            "time": records.column("time").combine_chunks(),
            "duration_s": pa.array(np.full(n, RECORD_SECONDS, dtype=np.int64)),
            "attenuation_db": pa.array(np.full(n, FACE_TO_FACE_DB)),
        }
    ).cast(BLE.arrow_schema())


def main(argv: list[str] | None = None) -> None:
    """``python -m izquvar.realdata.sociopatterns FILE --start-date YYYY-MM-DD --out ble.parquet``."""
    import argparse

    import pyarrow.parquet as pq

    parser = argparse.ArgumentParser(description="SocioPatterns contacts to an izquvar ble feed (Parquet).")
    parser.add_argument("file", type=Path)
    parser.add_argument("--start-date", type=dt.date.fromisoformat, default=None)
    parser.add_argument("--out", type=Path, required=True, help="output file, e.g. ble-hospital.parquet")
    args = parser.parse_args(argv)
    table = to_ble(args.file, args.start_date)
    pq.write_table(table, args.out)
    print(f"{table.num_rows:,} encounters written to {args.out}")


if __name__ == "__main__":
    main()
