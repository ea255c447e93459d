"""The manifest: the one list of live files and ingested batches, replaced atomically at each commit.

Readers only ever look at files the manifest lists, so a batch becomes visible all at once, when the new
manifest replaces the old one (``os.replace``), and a killed writer leaves at most unlisted orphans behind.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from izquvar.errors import StoreError
from izquvar.store.fsutil import atomic_write_bytes

MANIFEST_VERSION = 1


@dataclass(frozen=True)
class FileEntry:
    """One live Parquet file of the store."""

    path: str
    table: str
    rows: int
    bytes: int
    batch: str
    day: str | None = None


@dataclass(frozen=True)
class SourceEntry:
    """One input file of a batch, remembered by content hash so re-ingesting it is a no-op."""

    file: str
    sha256: str
    kind: str
    rows: int
    stored: int
    rejected: int


@dataclass(frozen=True)
class BatchEntry:
    """One committed ingest (or purge)."""

    id: str
    at: str
    operation: str
    sources: tuple[SourceEntry, ...] = ()


@dataclass
class Manifest:
    """The live state of a store; mutate a copy, then :func:`save_manifest` it to commit."""

    generation: int = 0
    files: list[FileEntry] = field(default_factory=list)
    batches: list[BatchEntry] = field(default_factory=list)

    def files_of(self, table: str, days: set[dt.date] | None = None) -> list[FileEntry]:
        """Live files of a table, optionally only those of some days (partitioned tables)."""
        wanted = None if days is None else {d.isoformat() for d in days}
        return [f for f in self.files if f.table == table and (wanted is None or f.day is None or f.day in wanted)]

    def ingested_hashes(self) -> dict[str, str]:
        """Content hash of every source ever committed → the batch that stored it."""
        return {s.sha256: b.id for b in self.batches for s in b.sources}

    def to_json(self) -> bytes:
        body: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "generation": self.generation,
            "files": [asdict(f) for f in self.files],
            "batches": [{**asdict(b), "sources": [asdict(s) for s in b.sources]} for b in self.batches],
        }
        return json.dumps(body, indent=1, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, data: bytes, where: Path) -> Manifest:
        try:
            body = json.loads(data)
            if body.get("manifest_version") != MANIFEST_VERSION:
                raise StoreError(
                    f"{where}: manifest version {body.get('manifest_version')!r} is not {MANIFEST_VERSION}; "
                    "this store was written by another izquvar version."
                )
            return cls(
                generation=int(body["generation"]),
                files=[FileEntry(**f) for f in body["files"]],
                batches=[
                    BatchEntry(
                        id=b["id"],
                        at=b["at"],
                        operation=b["operation"],
                        sources=tuple(SourceEntry(**s) for s in b["sources"]),
                    )
                    for b in body["batches"]
                ],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{where}: the manifest is damaged ({exc}).") from exc


def load_manifest(path: Path) -> Manifest:
    """The committed manifest, or an empty one for a new store."""
    if not path.exists():
        return Manifest()
    return Manifest.from_json(path.read_bytes(), path)


def save_manifest(path: Path, manifest: Manifest) -> None:
    """Commit: atomically replace the manifest (temp file, fsync, ``os.replace``, fsync of the directory)."""
    atomic_write_bytes(path, manifest.to_json())
