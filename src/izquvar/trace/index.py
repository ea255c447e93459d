"""The stay index: every stay on a metric grid, sorted so that one case's co-location query reads a few cells.

Why this shape: a co-location query asks, for each of the case's ~100 stays, "which stays lie within D metres
and overlap in time?". Sorting all stays by (grid cell, start) turns that into, per case stay, a handful of
contiguous slices (the neighbour cells) cut down to the relevant time span by two binary searches. A running
maximum of the end time within each cell makes the lower time bound exact even when long stays (a night at
home) sit among short ones. A second, per-person CSR fetches the case's own stays without a scan.

Units are integers so that every engine that answers the same question (numba here, DuckDB and PostGIS in the
benchmark) computes bit-identical distances and overlaps:

* coordinates: decimetres in the national projection (:data:`PROJECTION`), ``int32``;
* time: whole seconds since :data:`EPOCH` (2020-01-01 UTC), ``int32`` (valid until 2088); sub-second parts of
  the input timestamps are dropped (floored).

On-disk format (a directory written by :meth:`StayIndex.save`; each ``.npy`` is memory-mapped on load)::

    meta.json           format version, cell size, epoch, projection, counts, carried column names
    persons.arrow       Arrow IPC file: one string column ``person``, sorted (UTF-8 byte order); id = row
    names.npy           bytes  [n_persons]  the same names as fixed-width UTF-8, for binary search
    person.npy          int32  [n_stays]  person id of each stay              (cell order)
    x_dm.npy, y_dm.npy  int32  [n_stays]  projected coordinates, decimetres    (cell order)
    start_s.npy         int32  [n_stays]  start, seconds since EPOCH           (cell order)
    end_s.npy           int32  [n_stays]  end,   seconds since EPOCH           (cell order)
    run_max_end.npy     int32  [n_stays]  max(end_s) over the cell's stays up to this one
    cell_keys.npy       int64  [n_cells]  sorted occupied cells, key = cx * 2**32 + (cy + 2**31)
    cell_offsets.npy    int64  [n_cells + 1]  CSR: stays of cell k are [offsets[k], offsets[k+1])
    person_offsets.npy  int64  [n_persons + 1]  CSR into person_stays
    person_stays.npy    int32/int64 [n_stays]  stay positions grouped by person, by start within a person
    carried.arrow       Arrow IPC file of the carried columns (e.g. venue_id), cell order (optional)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import InvalidInput, NotFound, StoreError
from izquvar.geo.distance import UZBEKISTAN_TM, to_metres

FORMAT_VERSION = 1
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
EPOCH_US = int(EPOCH.timestamp()) * 1_000_000
#: The national transverse Mercator of geo.distance (scale error within ±0.37 % over the whole country, so a
#: few metres are exact to about a centimetre; one plane for the country, unlike UTM 41N/42N, which split it).
#: An index records it and refuses to load under another.
PROJECTION = UZBEKISTAN_TM
DEFAULT_CELL_M = 25.0
#: A query may ask for at most this many cells of ring around a stay (D ≤ 8 × cell size).
MAX_RING = 8
REQUIRED_COLUMNS = ("person", "start", "end", "lat", "lon")
_INT32_MAX = np.iinfo(np.int32).max
#: Rows of one table converted at a time by :meth:`StayIndex.build` (bounds the float64/int64 temporaries).
_CHUNK_ROWS = 8_000_000

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]


def index_seconds(values: npt.NDArray[np.integer[Any]]) -> I64:
    """Unix seconds of stay-index seconds (which count from the index's epoch)."""
    return values.astype(np.int64) + EPOCH_US // 1_000_000


def cell_key(cx: npt.NDArray[np.int64], cy: npt.NDArray[np.int64]) -> I64:
    """One sortable int64 per grid cell (the same formula is inlined in the numba kernel)."""
    return cx * np.int64(1 << 32) + (cy + np.int64(1 << 31))


@dataclass(frozen=True)
class StayIndex:
    """All stays of a period, grid-sorted for co-location queries; build with :meth:`build`, reuse with
    :meth:`save` / :meth:`load`."""

    cell_m: float
    persons: pa.Array[Any]
    person: I32
    x_dm: I32
    y_dm: I32
    start_s: I32
    end_s: I32
    run_max_end: I32
    cell_keys: I64
    cell_offsets: I64
    person_offsets: I64
    person_stays: npt.NDArray[np.integer[Any]]
    #: The same names as fixed-width UTF-8 bytes, for an O(log n) lookup in C (``person_id``).
    names: npt.NDArray[np.bytes_] = field(default_factory=lambda: np.empty(0, dtype=np.bytes_))
    carried: pa.Table | None = None

    def __post_init__(self) -> None:
        if len(self.names) != len(self.persons):
            object.__setattr__(self, "names", _names(self.persons))

    @property
    def n_stays(self) -> int:
        return len(self.person)

    @property
    def n_persons(self) -> int:
        return len(self.persons)

    @property
    def cell_dm(self) -> int:
        return round(self.cell_m * 10)

    @property
    def max_distance_m(self) -> float:
        """The largest D a query may use: :data:`MAX_RING` cells around each case stay."""
        return self.cell_m * MAX_RING

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays (what a query process keeps mapped)."""
        arrays = (
            self.person,
            self.x_dm,
            self.y_dm,
            self.start_s,
            self.end_s,
            self.run_max_end,
            self.cell_keys,
            self.cell_offsets,
            self.person_offsets,
            self.person_stays,
        )
        total = sum(int(a.nbytes) for a in arrays) + int(self.persons.nbytes)
        return total + (int(self.carried.nbytes) if self.carried is not None else 0)

    def person_id(self, person: str) -> int | None:
        """The int id of ``person`` (binary search over the sorted names), ``None`` if it has no stays."""
        key = person.encode("utf-8")
        slot = int(np.searchsorted(self.names, key))
        if slot < len(self.names) and self.names[slot] == key and self.persons[slot].as_py() == person:
            return slot
        return None

    # ------------------------------------------------------------------ build

    @classmethod
    def build(cls, stays: pa.Table, *, cell_m: float = DEFAULT_CELL_M, carry: tuple[str, ...] = ()) -> StayIndex:
        """Index an Arrow table of stays (``person``, ``start``, ``end``, ``lat``, ``lon``; ``carry`` names
        extra columns kept alongside, e.g. ``venue_id``): :meth:`build_chunks` over zero-copy slices."""
        slices = (stays.slice(lo, _CHUNK_ROWS) for lo in range(0, stays.num_rows, _CHUNK_ROWS))
        return cls.build_chunks(slices if stays.num_rows else [stays], cell_m=cell_m, carry=carry)

    @classmethod
    def build_chunks(
        cls, chunks: Iterable[pa.Table], *, cell_m: float = DEFAULT_CELL_M, carry: tuple[str, ...] = ()
    ) -> StayIndex:
        """Index stays arriving as several tables (e.g. one per day partition), in bounded memory: each chunk
        becomes compact int32 columns (person codes, seconds, decimetres; string carried columns as codes
        into a shared vocabulary) as soon as it arrives and is then dropped, so the whole Arrow table never
        exists. The result is identical to :meth:`build` on the chunks' concatenation; error messages name
        the row within that concatenation."""
        if not (1.0 <= cell_m <= 1000.0):
            raise InvalidInput(f"cell_m must be between 1 and 1000 metres, got {cell_m}")
        columns = _CompactColumns(carry)
        pool = pa.default_memory_pool()
        for chunk in chunks:
            columns.add(chunk)
            del chunk
            pool.release_unused()  # hand the dropped chunk's pages back, or the allocator keeps them
        person_ids, persons = columns.person_ids()
        start_s, end_s, x_dm, y_dm = columns.take_numeric()
        order, cell_keys, cell_offsets, cell_rank = _cell_order(x_dm, y_dm, start_s, round(cell_m * 10))
        pos_dtype = np.int32 if len(order) <= _INT32_MAX else np.int64
        person_sorted = person_ids[order]
        del person_ids
        start_sorted = start_s[order]
        del start_s
        end_sorted = end_s[order]
        del end_s
        run_max_end = _running_max_within_cells(cell_rank, end_sorted)
        del cell_rank
        x_sorted = x_dm[order]
        del x_dm
        y_sorted = y_dm[order]
        del y_dm
        gather = order if carry else None  # kept only if carried columns still need it
        del order
        person_then_start = person_sorted.astype(np.int64)
        person_then_start <<= 32
        person_then_start |= start_sorted
        by_person = np.argsort(person_then_start, kind="stable")
        del person_then_start
        person_stays: npt.NDArray[np.integer[Any]] = by_person.astype(pos_dtype)
        del by_person
        person_offsets = np.zeros(len(persons) + 1, dtype=np.int64)
        np.cumsum(np.bincount(person_sorted, minlength=len(persons)), out=person_offsets[1:])
        # last: the carried columns are the bulkiest part, so the sorts above must not overlap them
        carried = columns.carried(gather) if gather is not None else None
        del gather
        return cls(
            cell_m=float(cell_m),
            persons=persons,
            person=person_sorted,
            x_dm=x_sorted,
            y_dm=y_sorted,
            start_s=start_sorted,
            end_s=end_sorted,
            run_max_end=run_max_end,
            cell_keys=cell_keys.astype(np.int64),
            cell_offsets=cell_offsets,
            person_offsets=person_offsets,
            person_stays=person_stays,
            carried=carried,
        )

    @classmethod
    def merge(cls, segments: Sequence[StayIndex]) -> StayIndex:
        """One index of several, e.g. one per day partition: identical, array for array, to :meth:`build_chunks`
        over the segments' stays in the same order. Why: an ingest touches a day or two, so an index kept per
        day rebuilds only those and is merged from integer arrays alone (no Parquet, no projection, no strings
        per stay). Each segment is already sorted by (cell, start) and cells keep their order when renumbered
        into the union, so the merge sort meets a few long sorted runs (what Timsort merges in O(n log k))."""
        segments = [s for s in segments if s.n_stays] or list(segments[:1])
        if not segments:
            raise InvalidInput("stays: nothing to merge")
        if len(segments) == 1:
            return segments[0]
        cell_m = segments[0].cell_m
        if any(s.cell_m != cell_m for s in segments):
            raise InvalidInput("stays: segments of different cell sizes cannot be merged")
        persons = _sorted_union([s.persons for s in segments])
        person = np.concatenate(
            [_positions_in(s.persons, persons)[np.asarray(s.person, dtype=np.int64)].astype(np.int32) for s in segments]
        )
        cells = [np.repeat(np.asarray(s.cell_keys), _counts(s.cell_offsets)) for s in segments]
        all_keys = np.unique(np.concatenate([np.asarray(s.cell_keys) for s in segments]))
        start = np.concatenate([np.asarray(s.start_s) for s in segments])
        key = np.concatenate([np.searchsorted(all_keys, c) for c in cells]).astype(np.int64)
        key <<= 32
        key |= start.astype(np.int64)  # start ≥ 0 (seconds since the epoch, int32): no sign bits spill
        order = np.argsort(key, kind="stable")
        del key
        cell_rank = np.concatenate([np.searchsorted(all_keys, c) for c in cells])[order].astype(np.int32)
        occupied = np.flatnonzero(np.r_[True, cell_rank[1:] != cell_rank[:-1]])
        cell_offsets = np.append(occupied, len(order)).astype(np.int64)
        person_sorted = person[order]
        start_sorted = start[order]
        end_sorted = np.concatenate([np.asarray(s.end_s) for s in segments])[order]
        person_then_start = person_sorted.astype(np.int64)
        person_then_start <<= 32
        person_then_start |= start_sorted
        by_person = np.argsort(person_then_start, kind="stable")
        person_offsets = np.zeros(len(persons) + 1, dtype=np.int64)
        np.cumsum(np.bincount(person_sorted, minlength=len(persons)), out=person_offsets[1:])
        carried = None
        if all(s.carried is not None for s in segments):
            joined = pa.concat_tables([cast("pa.Table", s.carried) for s in segments])
            carried = joined.take(order).combine_chunks()
        return cls(
            cell_m=cell_m,
            persons=persons,
            person=person_sorted,
            x_dm=np.concatenate([np.asarray(s.x_dm) for s in segments])[order],
            y_dm=np.concatenate([np.asarray(s.y_dm) for s in segments])[order],
            start_s=start_sorted,
            end_s=end_sorted,
            run_max_end=_running_max_within_cells(cell_rank, end_sorted),
            cell_keys=all_keys[cell_rank[occupied]].astype(np.int64),
            cell_offsets=cell_offsets,
            person_offsets=person_offsets,
            person_stays=by_person.astype(np.int32 if len(order) <= _INT32_MAX else np.int64),
            carried=carried,
        )

    # ------------------------------------------------------------------ save / load

    _ARRAYS = (
        "person",
        "x_dm",
        "y_dm",
        "start_s",
        "end_s",
        "run_max_end",
        "cell_keys",
        "cell_offsets",
        "person_offsets",
        "person_stays",
    )

    def save(self, directory: Path) -> None:
        """Write the index to ``directory`` (created; existing index files are replaced)."""
        directory.mkdir(parents=True, exist_ok=True)
        for name in self._ARRAYS:
            np.save(directory / f"{name}.npy", getattr(self, name), allow_pickle=False)
        _write_arrow(directory / "persons.arrow", pa.table({"person": self.persons}))
        carried_names: list[str] = []
        if self.carried is not None:
            _write_arrow(directory / "carried.arrow", self.carried)
            carried_names = self.carried.column_names
        meta = {
            "format": "izquvar-stay-index",
            "version": FORMAT_VERSION,
            "cell_m": self.cell_m,
            "epoch": EPOCH.isoformat(),
            "projection": PROJECTION,
            "n_stays": self.n_stays,
            "n_persons": self.n_persons,
            "n_cells": len(self.cell_keys),
            "carried": carried_names,
        }
        (directory / "meta.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> StayIndex:
        """Open a saved index; arrays are memory-mapped, so opening is instant and pages load on demand."""
        meta_path = directory / "meta.json"
        if not meta_path.is_file():
            raise NotFound(f"no stay index in {directory} (meta.json missing)")
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise StoreError(f"{meta_path}: not valid JSON ({exc})") from exc
        if meta.get("format") != "izquvar-stay-index" or meta.get("version") != FORMAT_VERSION:
            raise StoreError(f"{meta_path}: not a version {FORMAT_VERSION} izquvar stay index")
        if meta.get("projection") != PROJECTION or meta.get("epoch") != EPOCH.isoformat():
            raise StoreError(f"{meta_path}: written with another projection or epoch; rebuild the index")
        arrays = {name: np.asarray(np.load(directory / f"{name}.npy", mmap_mode="r")) for name in cls._ARRAYS}
        if len(arrays["person"]) != meta["n_stays"] or len(arrays["cell_keys"]) != meta["n_cells"]:
            raise StoreError(f"{directory}: array lengths disagree with meta.json; rebuild the index")
        persons = _read_arrow(directory / "persons.arrow").column("person").combine_chunks()
        carried = _read_arrow(directory / "carried.arrow") if meta["carried"] else None
        return cls(cell_m=float(meta["cell_m"]), persons=persons, carried=carried, **arrays)


# ---------------------------------------------------------------------- helpers


class _Vocabulary:
    """Distinct values seen so far, in first-seen order, so that codes handed out for earlier chunks stay
    valid as later chunks add values (re-encoding ``known + new`` keeps every known value's position)."""

    def __init__(self) -> None:
        self.values: pa.Array[Any] | None = None

    def encode(self, column: pa.ChunkedArray[Any]) -> I32:
        """int32 codes of ``column`` into :attr:`values`; -1 for a null."""
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column).combine_chunks())
        local = encoded.dictionary
        if self.values is None:
            self.values = local
            mapping = np.arange(len(local), dtype=np.int32)
        else:
            known = len(self.values)
            merged = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(pa.concat_arrays([self.values, local])))
            self.values = merged.dictionary
            mapping = merged.indices.to_numpy()[known:].astype(np.int32)
        if len(self.values) > _INT32_MAX:
            raise InvalidInput("stays: more than 2**31 distinct values in one column")
        mapping = np.append(mapping, np.int32(-1))  # the null slot
        filled = pc.fill_null(encoded.indices, pa.scalar(len(local), encoded.indices.type))
        codes: I32 = mapping[np.asarray(filled.to_numpy(zero_copy_only=False))]
        return codes


def _is_text(kind: pa.DataType) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind))


class _CompactColumns:
    """The stays seen so far as compact per-chunk arrays: int32 person codes, seconds and decimetres, and
    the carried columns (text ones as int32 codes into a shared vocabulary, others as they came)."""

    def __init__(self, carry: tuple[str, ...]) -> None:
        self.carry = carry
        self.rows = 0
        self.people = _Vocabulary()
        self.parts: dict[str, list[npt.NDArray[Any]]] = {n: [] for n in ("person", "start", "end", "x", "y")}
        self.carry_schema: pa.Schema | None = None
        self.carry_words = {name: _Vocabulary() for name in carry}
        self.carry_parts: dict[str, list[Any]] = {name: [] for name in carry}

    def add(self, stays: pa.Table) -> None:
        """Check one chunk (rows numbered after the chunks before it) and keep its compact columns."""
        first = self.rows
        _check_columns(stays, self.carry, first)
        column = stays.column("person")
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            raise InvalidInput(f"stays: field 'person' must be a string column, got {column.type}")
        person = self.people.encode(column.cast(pa.string()))
        start_s = _seconds(stays.column("start"), "start", first)
        end_s = _seconds(stays.column("end"), "end", first)
        bad = np.flatnonzero(end_s < start_s)
        if len(bad):
            raise InvalidInput(
                f"stays: row {first + int(bad[0])}: field 'end' is before 'start' ({len(bad)} such rows in its chunk)"
            )
        x_dm, y_dm = _decimetres(stays, first_row=first)
        for name, values in (("person", person), ("start", start_s), ("end", end_s), ("x", x_dm), ("y", y_dm)):
            self.parts[name].append(values)
        if self.carry:
            self._add_carried(stays.select(list(self.carry)))
        self.rows += stays.num_rows

    def _add_carried(self, carried: pa.Table) -> None:
        if self.carry_schema is None:
            self.carry_schema = carried.schema
        elif not carried.schema.equals(self.carry_schema):
            raise InvalidInput(
                f"stays: row {self.rows}: carried columns are {carried.schema.types}, "
                f"earlier rows had {self.carry_schema.types}"
            )
        for name in self.carry:
            column = carried.column(name)
            text = _is_text(column.type)
            self.carry_parts[name].append(self.carry_words[name].encode(column) if text else column)

    def person_ids(self) -> tuple[I32, pa.Array[Any]]:
        """Dense int32 ids in sorted-name order (so the names can be binary-searched), and the names."""
        codes = _concatenate(self.parts.pop("person"), np.int32)
        values = self.people.values if self.people.values is not None else pa.array([], pa.string())
        sort = pc.sort_indices(values).to_numpy()
        rank = np.empty(len(sort), dtype=np.int32)
        rank[sort] = np.arange(len(sort), dtype=np.int32)
        persons = values.take(pa.array(sort)).cast(pa.string())
        return rank[codes], persons

    def take_numeric(self) -> tuple[I32, I32, I32, I32]:
        """start, end, x, y as whole arrays (each column's parts freed as soon as it is joined)."""
        return (
            _concatenate(self.parts.pop("start"), np.int32),
            _concatenate(self.parts.pop("end"), np.int32),
            _concatenate(self.parts.pop("x"), np.int32),
            _concatenate(self.parts.pop("y"), np.int32),
        )

    def carried(self, order: npt.NDArray[np.integer[Any]]) -> pa.Table | None:
        """The carried columns in index order (text materialised from its codes only now)."""
        if not self.carry:
            return None
        schema = self.carry_schema or pa.schema([(name, pa.string()) for name in self.carry])
        arrays: list[Any] = []
        positions = pa.array(order)
        for field_ in schema:  # one column at a time, its parts freed before the next is gathered
            parts = self.carry_parts.pop(field_.name)
            if not _is_text(field_.type):
                column = pa.chunked_array([c for part in parts for c in part.chunks], type=field_.type)
                del parts
                arrays.append(column.take(positions))
                del column
                continue
            codes = _concatenate(parts, np.int32)[order]
            words = self.carry_words.pop(field_.name).values
            nulls = codes < 0
            indices = pa.array(codes, mask=nulls) if nulls.any() else pa.array(codes)
            del codes, nulls
            arrays.append((words if words is not None else pa.array([], field_.type)).take(indices))
        return pa.Table.from_arrays(arrays, schema=schema)


def _concatenate(parts: list[npt.NDArray[Any]], dtype: type[np.int32]) -> I32:
    """One array of the parts, emptying the list as it goes so each part is freed once copied."""
    out = np.empty(sum(len(p) for p in parts), dtype=dtype)
    lo = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        out[lo : lo + len(part)] = part
        lo += len(part)
    return out


def _check_columns(stays: pa.Table, carry: tuple[str, ...], first_row: int = 0) -> None:
    missing = [c for c in (*REQUIRED_COLUMNS, *carry) if c not in stays.column_names]
    if missing:
        raise InvalidInput(f"stays: missing column(s) {', '.join(missing)}")
    for name in REQUIRED_COLUMNS:
        column = stays.column(name)
        if column.null_count:
            row = first_row + int(pc.index(pc.is_null(column), True).as_py())
            raise InvalidInput(f"stays: row {row}: field '{name}' is empty")


def _seconds(column: pa.ChunkedArray[Any], name: str, first_row: int = 0) -> I32:
    """Whole seconds since EPOCH (floored), refusing times outside the int32 range."""
    if not pa.types.is_timestamp(column.type) or column.type.tz is None:
        raise InvalidInput(f"stays: field '{name}' must be a tz-aware timestamp, got {column.type}")
    micros = column.cast(pa.timestamp("us", tz="UTC")).to_numpy().astype("datetime64[us]").astype(np.int64)
    seconds = np.floor_divide(micros - EPOCH_US, 1_000_000)
    bad = np.flatnonzero((seconds < 0) | (seconds > _INT32_MAX))
    if len(bad):
        raise InvalidInput(f"stays: row {first_row + int(bad[0])}: field '{name}' is outside 2020-01-01 .. 2088-01-19")
    return seconds.astype(np.int32)


def _cell_order(
    x_dm: I32, y_dm: I32, start_s: I32, cell_dm: int
) -> tuple[npt.NDArray[np.integer[Any]], I64, I64, npt.NDArray[np.integer[Any]]]:
    """The permutation that sorts stays by (cell, start), the occupied cells' keys and CSR offsets, and each
    sorted stay's cell rank. Cells are numbered densely over the data's bounding box, so (cell, start) packs
    into one int64 and a single sort does everything (no separate ``np.unique`` pass over 100 million keys);
    a bounding box too large for that (not one country) falls back to ``np.unique``."""
    n = len(x_dm)
    gx = np.floor_divide(x_dm, cell_dm)
    gy = np.floor_divide(y_dm, cell_dm)
    smin = int(start_s.min()) if n else 0
    time_bits = (int(start_s.max()) - smin).bit_length() if n else 0
    gx0, gy0 = (int(gx.min()), int(gy.min())) if n else (0, 0)
    ny = int(gy.max()) - gy0 + 1 if n else 1
    span = (int(gx.max()) - gx0 + 1) * ny if n else 1
    if n and span.bit_length() + time_bits <= 62:
        # in place, so that only one full-length int64 exists besides the sort's own buffers
        dense = gx.astype(np.int64)
        del gx
        dense -= gx0
        dense *= ny
        dense += gy
        del gy
        dense -= gy0
        dense <<= time_bits
        dense += start_s  # the low time_bits are zero, so adding start_s - smin (< 2**time_bits) is an OR
        dense -= smin
        wide_order = np.argsort(dense, kind="stable")
        order = wide_order.astype(np.int32 if n <= _INT32_MAX else np.int64)  # halves the memory of the gathers
        del wide_order
        sorted_dense = dense[order]
        del dense
        sorted_dense >>= time_bits
        starts = np.flatnonzero(sorted_dense[1:] != sorted_dense[:-1]) + 1
        starts = np.concatenate([np.zeros(1, dtype=np.int64), starts])
        cells = sorted_dense[starts]
        del sorted_dense
        cell_keys = cell_key(cells // ny + gx0, cells % ny + gy0)
    else:
        keys = cell_key(gx.astype(np.int64), gy.astype(np.int64))
        del gx, gy
        cell_keys, inverse = np.unique(keys, return_inverse=True)
        del keys
        # (cell rank, start) in one int64 key: both fit in 31 bits.
        order = np.argsort(inverse.astype(np.int64) << 31 | (start_s - smin).astype(np.int64), kind="stable")
        counts = np.bincount(inverse, minlength=len(cell_keys))
        del inverse
        starts = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts)[:-1]])
    cell_offsets = np.append(starts, n).astype(np.int64)
    narrow: npt.NDArray[np.integer[Any]] = order.astype(np.int32 if n <= _INT32_MAX else np.int64, copy=False)
    rank: I32 = np.repeat(np.arange(len(cell_keys), dtype=np.int32), np.diff(cell_offsets))
    return narrow, cell_keys.astype(np.int64), cell_offsets, rank


def _decimetres(stays: pa.Table, chunk: int = 8_000_000, first_row: int = 0) -> tuple[I32, I32]:
    """Projected coordinates in whole decimetres, projected a chunk at a time so that no full-length
    float64 temporaries exist at 100 million stays."""
    n = stays.num_rows
    x_dm = np.empty(n, dtype=np.int32)
    y_dm = np.empty(n, dtype=np.int32)
    limit = _INT32_MAX / 10.0
    for lo in range(0, n, chunk):
        part = stays.slice(lo, chunk)
        lat = _floats(part.column("lat"), "lat", -90.0, 90.0, first_row + lo)
        lon = _floats(part.column("lon"), "lon", -180.0, 180.0, first_row + lo)
        x_m, y_m = to_metres(lat, lon)
        bad = np.flatnonzero(~((np.abs(x_m) < limit) & (np.abs(y_m) < limit)))
        if len(bad):
            raise InvalidInput(
                f"stays: row {first_row + lo + int(bad[0])}: position too far from Uzbekistan to project"
            )
        x_dm[lo : lo + len(part)] = np.rint(x_m * 10.0)
        y_dm[lo : lo + len(part)] = np.rint(y_m * 10.0)
    return x_dm, y_dm


def _floats(
    column: pa.ChunkedArray[Any], name: str, low: float, high: float, first_row: int = 0
) -> npt.NDArray[np.float64]:
    values = column.cast(pa.float64()).to_numpy()
    bad = np.flatnonzero(~((values >= low) & (values <= high)))
    if len(bad):
        raise InvalidInput(
            f"stays: row {first_row + int(bad[0])}: field '{name}' is {values[bad[0]]}, not in [{low}, {high}]"
        )
    return np.asarray(values, dtype=np.float64)


def _running_max_within_cells(cell_rank: npt.NDArray[np.integer[Any]], end_s: I32) -> I32:
    """max(end) over each cell's stays so far. Packing (rank, end) into one int64 lets a single global
    ``maximum.accumulate`` restart at every cell, because ranks only grow."""
    packed = cell_rank.astype(np.int64)
    packed <<= 32
    packed |= end_s  # end_s ≥ 0, so no sign bits spill into the rank
    np.maximum.accumulate(packed, out=packed)
    packed &= np.int64(0xFFFFFFFF)
    return packed.astype(np.int32)


def _counts(offsets: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """The length of each CSR slice."""
    bounds: npt.NDArray[np.int64] = np.asarray(offsets, dtype=np.int64)
    return bounds[1:] - bounds[:-1]


def _sorted_union(parts: Sequence[pa.Array[Any]]) -> pa.Array[Any]:
    """The distinct strings of several arrays in UTF-8 byte order (the order the index sorts its names in)."""
    distinct: pa.Array[Any] = pc.unique(pa.concat_arrays([part.cast(pa.string()) for part in parts]))
    return distinct.take(pc.sort_indices(distinct))


def _positions_in(values: pa.Array[Any], within: pa.Array[Any]) -> I64:
    """The position of each of ``values`` in ``within`` (all present)."""
    return np.asarray(pc.index_in(values, value_set=within).to_numpy(zero_copy_only=False), dtype=np.int64)


def _names(persons: pa.Array[Any]) -> npt.NDArray[np.bytes_]:
    """Names as a NumPy bytes array; UTF-8 byte order is the order Arrow sorted them in."""
    return np.asarray(persons.cast(pa.binary()).to_numpy(zero_copy_only=False), dtype=np.bytes_)


def _write_arrow(path: Path, table: pa.Table) -> None:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _read_arrow(path: Path) -> pa.Table:
    if not path.is_file():
        raise StoreError(f"{path} is missing; rebuild the index")
    with pa.memory_map(str(path), "r") as source:
        return pa.ipc.open_file(source).read_all()
