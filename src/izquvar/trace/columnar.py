"""Tables as named numpy columns, and tables grouped by an integer key with CSR offsets.

Why: a trace reads a few dozen rows of each table per case. A pandas operation costs tens of microseconds
whatever its size, a numpy slice about one, so everything a trace looks up per case is a slice of plain
arrays: the rows of key ``k`` are ``offsets[k]:offsets[k + 1]``. Keys are integer codes (persons, venues,
households, groups), so lookups never compare strings, and every array but the few string columns is a
fixed-width numpy array that could be persisted and memory-mapped like the stay index.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import ItemsView, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self, cast, overload

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from izquvar.errors import NotFound, StoreError

I64 = npt.NDArray[np.int64]


class Columns:
    """Equal-length named numpy columns: ``columns[name]`` is a column, ``len(columns)`` the number of rows and
    iterating gives the names (deliberately not a ``Mapping``, whose ``len`` would count the columns).

    ``narrow`` names int64 columns held as int32 (persisted tables, see :func:`narrow_column`), each with the
    base added back: rows taken from them are int64 again, as built, so every rule computes as before; a whole
    narrowed column read with ``columns[name]`` is widened when it has a base, and given as stored (int32 codes,
    equal values) when not."""

    __slots__ = ("_data", "_narrow", "_rows")

    def __init__(
        self, data: dict[str, npt.NDArray[Any]], rows: int | None = None, narrow: Mapping[str, int] | None = None
    ) -> None:
        self._data = data
        self._rows = rows if rows is not None else (len(next(iter(data.values()))) if data else 0)
        self._narrow = dict(narrow) if narrow else {}

    def __len__(self) -> int:
        return self._rows

    def __getitem__(self, name: str) -> npt.NDArray[Any]:
        base = self._narrow.get(name)
        if base:
            return self._data[name].astype(np.int64) + base
        return self._data[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __contains__(self, name: object) -> bool:
        return name in self._data

    @property
    def names(self) -> list[str]:
        return list(self._data)

    def items(self) -> ItemsView[str, npt.NDArray[Any]]:
        return self._data.items()

    def take(self, rows: npt.NDArray[Any] | slice) -> Self:
        """The rows selected by a boolean mask, positions or a slice (a slice gives views, no copies)."""
        data = {name: values[rows] for name, values in self._data.items()}
        for name, base in self._narrow.items():
            data[name] = data[name].astype(np.int64) + base if base else data[name].astype(np.int64)
        if isinstance(rows, slice):
            start, stop, step = rows.indices(self._rows)
            return type(self)(data, len(range(start, stop, step)))
        n = int(np.count_nonzero(rows)) if rows.dtype == np.bool_ else len(rows)
        return type(self)(data, n)

    def with_columns(self, **columns: npt.NDArray[Any]) -> Self:
        """These columns with some added or replaced (arrays of the same length)."""
        narrow = {name: base for name, base in self._narrow.items() if name not in columns}
        return type(self)({**self._data, **columns}, self._rows, narrow)


class Names:
    """Strings by code, held as one fixed-width UTF-8 bytes array (memory-mappable: no Python string per
    name); indexing decodes only what is asked for: one name gives a ``str``, positions give an object array."""

    __slots__ = ("raw",)

    def __init__(self, raw: npt.NDArray[np.bytes_]) -> None:
        self.raw = raw

    @classmethod
    def of(cls, values: pa.ChunkedArray[Any] | pa.Array[Any]) -> Names:
        """The names of a string column, in its order."""
        binary = values.cast(pa.binary())
        if isinstance(binary, pa.ChunkedArray):
            binary = binary.combine_chunks()
        return cls(np.asarray(binary.to_numpy(zero_copy_only=False), dtype=np.bytes_))

    def __len__(self) -> int:
        return len(self.raw)

    @overload
    def __getitem__(self, index: int | np.integer[Any]) -> str: ...
    @overload
    def __getitem__(self, index: npt.NDArray[Any] | slice) -> npt.NDArray[np.object_]: ...
    def __getitem__(self, index: int | np.integer[Any] | npt.NDArray[Any] | slice) -> str | npt.NDArray[np.object_]:
        if isinstance(index, int | np.integer):
            return bytes(self.raw[index]).decode("utf-8")
        return np.asarray([v.decode("utf-8") for v in self.raw[index].tolist()], dtype=object)

    def tolist(self) -> list[str]:
        return [v.decode("utf-8") for v in self.raw.tolist()]

    def arrow(self) -> pa.Array[Any]:
        """The names as an Arrow string array (what vectorised encoding matches against)."""
        return pa.array(self.raw, pa.binary()).cast(pa.string())


class CodedStrings:
    """A string column held as int32 codes into its distinct values (``-1``: missing): indexing gives an
    object array of those values (one Python string per distinct value, shared), so a column of tens of
    millions of rows costs 4 bytes a row, mapped, and no Python object per row."""

    __slots__ = ("codes", "table")

    def __init__(self, codes: npt.NDArray[np.int32], values: list[str]) -> None:
        self.codes = codes
        #: The distinct values, then ``None`` (what code -1 gives).
        self.table: npt.NDArray[np.object_] = np.asarray([*values, None], dtype=object)

    @classmethod
    def of(cls, column: pa.ChunkedArray[Any] | pa.Array[Any]) -> CodedStrings:
        encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(column))
        if isinstance(encoded, pa.ChunkedArray):
            encoded = cast("pa.DictionaryArray[Any, Any]", encoded.unify_dictionaries().combine_chunks())
        codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
        return cls(codes, [str(v) for v in encoded.dictionary.to_pylist()])

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, rows: npt.NDArray[Any] | slice) -> npt.NDArray[np.object_]:
        return self.table[self.codes[rows]]

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        values = np.asarray([v.encode("utf-8") for v in self.table[:-1].tolist()], dtype=np.bytes_)
        return {prefix + _CODES: self.codes, prefix + _VALUES: values}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> CodedStrings:
        return cls(arrays[prefix + _CODES], [v.decode("utf-8") for v in arrays[prefix + _VALUES].tolist()])


@dataclass(frozen=True)
class Grouped:
    """A table's rows sorted by an integer key (then by a second column, ties in load order), with the row
    range of every key: what "all rows of this person / venue / household" costs is one slice. The key itself
    is kept as the column ``key``."""

    offsets: I64
    columns: Columns

    @classmethod
    def build(
        cls, columns: dict[str, npt.NDArray[Any]], key: I64, n_keys: int, then: npt.NDArray[Any] | None = None
    ) -> Grouped:
        """Group ``columns`` by ``key`` (codes ``0..n_keys-1``; negative codes are dropped), stably."""
        kept = key >= 0
        if not kept.all():
            key = key[kept]
            columns = {name: values[kept] for name, values in columns.items()}
            then = None if then is None else then[kept]
        order = np.argsort(key, kind="stable") if then is None else np.lexsort((then, key))
        counts = np.bincount(key, minlength=n_keys) if len(key) else np.zeros(n_keys, dtype=np.int64)
        offsets = np.zeros(n_keys + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        sorted_columns = {name: np.asarray(values)[order] for name, values in columns.items()}
        sorted_columns["key"] = key[order].astype(np.int64)
        return cls(offsets, Columns(sorted_columns, len(order)))

    def __len__(self) -> int:
        return len(self.columns)

    def to_arrays(self, prefix: str) -> dict[str, npt.NDArray[Any]]:
        """The table as plain arrays named ``prefix.*`` for :func:`save_arrays`: int64 columns narrowed to
        int32 where their range allows (:func:`narrow_column`), object columns as codes and their distinct
        values, and the key stored once when it repeats a column (a person-keyed table's ``person``)."""
        names = self.columns.names
        arrays: dict[str, npt.NDArray[Any]] = {
            f"{prefix}.offsets": self.offsets,
            f"{prefix}.columns": np.asarray(names, dtype=np.str_),
        }
        key = self.columns["key"]
        same = next(
            (
                n
                for n in names
                if n != "key" and self.columns[n].dtype == key.dtype and np.array_equal(self.columns[n], key)
            ),
            None,
        )
        for name in names:
            if name == "key" and same is not None:
                arrays[f"{prefix}.key{_SAME_AS}"] = np.asarray([same], dtype=np.str_)
                continue
            values = self.columns[name]
            narrowed = narrow_column(values, time=name.endswith("_s"))
            if narrowed is not None:
                arrays[f"{prefix}.{name}"], arrays[f"{prefix}.{name}{_BASE}"] = narrowed[0], np.asarray([narrowed[1]])
            else:
                arrays.update(column_arrays(f"{prefix}.{name}", values))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, npt.NDArray[Any]], prefix: str) -> Grouped:
        """The table :meth:`to_arrays` wrote (numeric columns stay memory-mapped, narrowed ones widen per
        slice)."""
        names = [str(name) for name in arrays[f"{prefix}.columns"].tolist()]
        columns: dict[str, npt.NDArray[Any]] = {}
        narrow: dict[str, int] = {}
        for name in names:
            same = arrays.get(f"{prefix}.{name}{_SAME_AS}")
            source = f"{prefix}.{same[0]}" if same is not None else f"{prefix}.{name}"
            columns[name] = column_of(arrays, source)
            base = arrays.get(f"{source}{_BASE}")
            if base is not None:
                narrow[name] = int(base[0])
        offsets = arrays[f"{prefix}.offsets"]
        return cls(offsets, Columns(columns, int(offsets[-1]), narrow))

    def span(self, code: int) -> tuple[int, int]:
        """Row range ``[lo, hi)`` of one key (empty for a negative or unknown code)."""
        if code < 0 or code + 1 >= len(self.offsets):
            return 0, 0
        return int(self.offsets[code]), int(self.offsets[code + 1])

    def has(self, code: int) -> bool:
        lo, hi = self.span(code)
        return hi > lo

    def rows(self, code: int) -> Columns:
        """The rows of one key, as views."""
        lo, hi = self.span(code)
        return self.columns.take(slice(lo, hi))

    def positions(self, codes: I64) -> tuple[I64, I64]:
        """Row positions of the keys ``codes`` (each key's rows in order, keys in the given order) and, for
        each position, the index into ``codes`` it belongs to: a vectorised join of ``codes`` with the table."""
        codes = np.asarray(codes, dtype=np.int64)
        valid = (codes >= 0) & (codes + 1 < len(self.offsets))
        safe = np.where(valid, codes, 0)
        lo = np.where(valid, self.offsets[safe], 0)
        return ranges(lo, np.where(valid, self.offsets[safe + 1], 0))


def ranges(lo: I64, hi: I64) -> tuple[I64, I64]:
    """The positions of the ranges ``[lo[k], hi[k])`` concatenated, and the ``k`` each belongs to."""
    counts = np.maximum(np.asarray(hi, dtype=np.int64) - lo, 0)
    owner = np.repeat(np.arange(len(counts), dtype=np.int64), counts)
    starts = np.cumsum(counts) - counts
    return np.arange(len(owner), dtype=np.int64) - starts[owner] + np.asarray(lo, dtype=np.int64)[owner], owner


def stable_order(key: I64) -> I64:
    """``np.argsort(key, kind="stable")``, computed as one plain sort of ``key · n + position`` when that fits
    in 64 bits: numpy sorts plain int64 values with vectorised (SIMD) code, several times faster than a stable
    argsort on the tens of thousands of operator records a busy case's cells hold."""
    n = len(key)
    if n < 2:
        return np.arange(n, dtype=np.int64)
    low = int(key.min())
    span = int(key.max()) - low + 1
    if span * n >= 2**62:
        return np.argsort(key, kind="stable").astype(np.int64)
    packed = np.sort((key - low) * n + np.arange(n, dtype=np.int64))
    order: I64 = packed % n
    return order


# ---------------------------------------------------------------------- persistence

#: Suffixes of an object (string) column's two arrays: codes, and the distinct values as UTF-8 bytes; of a
#: narrowed column's base; of a column stored as another (the name of that other).
_CODES, _VALUES, _BASE, _SAME_AS = ":codes", ":values", ":base", ":same_as"
#: Narrowed times count from this Unix second (the stay index's epoch, 2020-01-01): int32 reaches 2088.
TIME_BASE_S = 1_577_836_800
_I32 = np.iinfo(np.int32)


def narrow_codes(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Integer codes as int32 when they fit (the same values in half the bytes), other arrays as they are."""
    if values.dtype != np.int64 or (
        len(values) and not (_I32.min <= int(values.min()) and int(values.max()) <= _I32.max)
    ):
        return values
    return values.astype(np.int32)


def narrow_column(values: npt.NDArray[Any], *, time: bool) -> tuple[npt.NDArray[np.int32], int] | None:
    """An int64 column as int32 values and the base to add back (Unix seconds from :data:`TIME_BASE_S`,
    codes as they are), or ``None`` when the column is not int64 or its range does not fit."""
    if values.dtype != np.int64:
        return None
    base = TIME_BASE_S if time else 0
    if len(values) and not (_I32.min <= int(values.min()) - base and int(values.max()) - base <= _I32.max):
        return None
    return (values - base).astype(np.int32), base


def column_arrays(name: str, values: npt.NDArray[Any]) -> dict[str, npt.NDArray[Any]]:
    """One column as arrays :func:`save_arrays` can write: a fixed-width array as is, an object column of
    strings (``None`` for missing) as int32 codes (-1: missing) into its distinct values."""
    if values.dtype != np.object_:
        return {name: values}
    encoded = cast("pa.DictionaryArray[Any, Any]", pc.dictionary_encode(pa.array(values.tolist(), pa.string())))
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int32)
    distinct = np.asarray(encoded.dictionary.cast(pa.binary()).to_numpy(zero_copy_only=False), dtype=np.bytes_)
    return {name + _CODES: codes, name + _VALUES: distinct}


def column_of(arrays: Mapping[str, npt.NDArray[Any]], name: str) -> npt.NDArray[Any]:
    """The column :func:`column_arrays` split: a string column comes back as an object array sharing one
    Python string per distinct value (a gather, no per-row decoding)."""
    if name in arrays:
        return arrays[name]
    values = [v.decode("utf-8") for v in arrays[name + _VALUES].tolist()]
    table = np.asarray([*values, None], dtype=object)
    codes = np.asarray(arrays[name + _CODES], dtype=np.int64)
    return cast("npt.NDArray[np.object_]", table[np.where(codes < 0, len(values), codes)])


def save_arrays(directory: Path, arrays: Mapping[str, npt.NDArray[Any]], meta: Mapping[str, Any]) -> None:
    """Write named fixed-width arrays (one ``.npy`` each) and ``meta.json`` (with every array's shape and
    dtype, checked on load) into ``directory``, written whole under a temporary name and then renamed, so
    that a reader never sees half a directory."""
    staging = directory.with_name(f".{directory.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        shapes = {}
        for name, values in arrays.items():
            if values.dtype == np.object_:
                raise TypeError(f"array {name!r} holds Python objects; encode it with column_arrays")
            np.save(staging / f"{name}.npy", np.ascontiguousarray(values), allow_pickle=False)
            shapes[name] = {"shape": list(values.shape), "dtype": values.dtype.str}
        document = {**meta, "arrays": shapes}
        (staging / "meta.json").write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        shutil.rmtree(directory, ignore_errors=True)
        staging.replace(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def load_arrays(directory: Path, expect: Mapping[str, Any]) -> tuple[dict[str, npt.NDArray[Any]], dict[str, Any]]:
    """Memory-map what :func:`save_arrays` wrote; :class:`NotFound` when absent, :class:`StoreError` when
    ``meta.json`` lacks one of the ``expect`` entries or disagrees with it, or an array is missing, truncated
    or of another shape or dtype than recorded (the caller rebuilds)."""
    meta_path = directory / "meta.json"
    if not meta_path.is_file():
        raise NotFound(f"no persisted tables in {directory}")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{meta_path}: unreadable ({exc})") from exc
    if not isinstance(meta, dict) or not isinstance(meta.get("arrays"), dict):
        raise StoreError(f"{meta_path}: not a persisted-tables description")
    for key, value in expect.items():
        if meta.get(key) != value:
            raise StoreError(f"{meta_path}: {key} is {meta.get(key)!r}, expected {value!r}")
    arrays: dict[str, npt.NDArray[Any]] = {}
    for name, spec in meta["arrays"].items():
        try:
            values = np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError, EOFError) as exc:
            raise StoreError(f"{directory / name}.npy: unreadable ({exc})") from exc
        if list(values.shape) != spec.get("shape") or values.dtype.str != spec.get("dtype"):
            raise StoreError(f"{directory / name}.npy: shape or dtype differs from {meta_path}")
        arrays[name] = values
    return arrays, meta
