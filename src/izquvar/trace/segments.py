"""Indexes kept per day partition and merged, so that a batch re-indexes only the days it touched.

Why: feeds arrive all day, and each batch touches a day or two of a fortnight. An index of one kind's rows
(the stay index, the operator records) is therefore built one day partition at a time, each segment kept in
the store's index cache under the partition's version (:meth:`~izquvar.store.protocol.FeedReader.partitions`),
and the whole index is the merge of the segments, itself kept for that set of versions. A new batch rebuilds
the segments whose version changed and merges again; a new process maps the kept merge.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

import pyarrow as pa

from izquvar.errors import NotFound, StoreError
from izquvar.store.protocol import FeedReader, IndexCache

T = TypeVar("T")


@dataclass(frozen=True)
class SegmentedKind(Generic[T]):
    """How one kind's rows are indexed a day partition at a time: each step of :func:`day_indexed`."""

    #: The stored kind read (``stays``, ``cell``) and the columns read of it (``None``: all).
    kind: str
    columns: Sequence[str] | None
    #: The index cache's directory for it, and the format version in every kept name (bumped on a change).
    cache_name: str
    version: int
    build: Callable[[pa.Table], T]
    #: Segments (in day order) into one index equal to building it from all their rows at once.
    merge: Callable[[list[T]], T]
    save: Callable[[T, Path], None]
    #: Map what :attr:`save` wrote; :class:`NotFound` / :class:`StoreError` when absent or damaged.
    load: Callable[[Path], T]


@dataclass(frozen=True)
class DayIndexed(Generic[T]):
    """An index of every day partition of a kind: the merged ``whole``, the name it is kept under (one per set
    of partition versions) and the day segments it was merged from (empty when mapped whole from the cache)."""

    whole: T
    key: str
    segments: Mapping[str, T] = field(default_factory=dict)


def day_indexed(
    spec: SegmentedKind[T], feeds: FeedReader, cache: IndexCache | None, previous: DayIndexed[T] | None = None
) -> DayIndexed[T]:
    """The index of every partition of ``spec.kind``: ``previous`` when no partition changed; else the kept merge
    for these versions; else a merge of the day segments, each reused from ``previous`` or the cache when its
    partition's version is unchanged and built from that day's rows otherwise. What is built is kept (when the
    cache can be written to), and segments of versions that are gone are removed."""
    versions = feeds.partitions(spec.kind)
    digest = hashlib.sha256(json.dumps({str(d): v for d, v in versions.items()}, sort_keys=True).encode("utf-8"))
    key = f"all-{digest.hexdigest()[:24]}-v{spec.version}"
    if previous is not None and previous.key == key:
        return previous
    directory = cache.index_dir(spec.cache_name) if cache is not None else None
    if directory is not None:
        with contextlib.suppress(NotFound, StoreError):
            return DayIndexed(spec.load(directory / key), key)
    reused = previous.segments if previous is not None else {}
    segments: dict[str, T] = {}
    for day, version in versions.items():
        name = f"day-{day.isoformat() if day else 'none'}-{version}-v{spec.version}"
        segments[name] = reused[name] if name in reused else _segment(spec, feeds, day, directory, name)
    parts = list(segments.values()) or [spec.build(_rows(spec, feeds, None))]
    whole = spec.merge(parts)
    if directory is not None:
        _keep(spec, whole, directory / key)
        for old in directory.iterdir():
            if old.name not in segments and old.name != key and not old.name.startswith("."):
                shutil.rmtree(old, ignore_errors=True)
    return DayIndexed(whole, key, segments)


def _segment(spec: SegmentedKind[T], feeds: FeedReader, day: dt.date | None, directory: Path | None, name: str) -> T:
    """One day partition's index: mapped from the cache when kept there, else built (and kept)."""
    if directory is not None:
        with contextlib.suppress(NotFound, StoreError):
            return spec.load(directory / name)
    segment = spec.build(_rows(spec, feeds, day))
    if directory is not None:
        _keep(spec, segment, directory / name)
    return segment


def _rows(spec: SegmentedKind[T], feeds: FeedReader, day: dt.date | None) -> pa.Table:
    """The rows of one day partition (``None``: the rows kept without a day; none when there are none)."""
    if day is not None:
        return feeds.table(spec.kind, columns=spec.columns, days=[day])
    for partition, table in feeds.table_by_day(spec.kind, columns=spec.columns):
        if partition is None:
            return table
    return feeds.table(spec.kind, columns=spec.columns, days=[]).slice(0, 0)


def _keep(spec: SegmentedKind[T], index: T, directory: Path) -> None:
    """Save under a temporary name, then rename: a reader never maps half an index; a store that cannot be
    written to traces from memory."""
    staging = directory.with_name(f".{directory.name}-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        spec.save(index, staging)
        shutil.rmtree(directory, ignore_errors=True)
        staging.replace(directory)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
