"""Find the feed files among the paths given to ``izquvar ingest`` and put them in a safe order.

A directory is walked: every file whose name (relative to that directory) names a kind is a feed; the
simulator's ground truth (``truth/``) and ``simulation.json`` are not feeds and are skipped quietly, like
hidden files and any izquvar store found inside (a directory holding the store's marker file, which the
store passes in). Reference kinds come first, in dependency order (venues
before the merchants that point at them), so events can be checked against the places and people of the
same ingest.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from izquvar.errors import IngestFailed, InvalidInput
from izquvar.formats import KINDS, SUFFIXES, Kind, kind_from_path

#: Reference kinds first, each after the kinds it refers to; then events.
INGEST_ORDER: tuple[str, ...] = (
    "areas",
    "venues",
    "towers",
    "merchants",
    "people",
    "rosters",
    "gps",
    "cell",
    "card",
    "checkins",
    "ble",
    "lab",
    "interviews",
)
assert set(INGEST_ORDER) == set(KINDS), "every kind needs a place in the ingest order"

#: Names in a simulator output directory that are not feeds.
NOT_FEEDS = frozenset({"truth", "simulation.json"})


@dataclass(frozen=True)
class FeedFile:
    """One file to ingest and the kind it holds."""

    path: Path
    kind: Kind


def discover(
    paths: Iterable[str | Path], kind: str | None = None, *, store_marker: str | None = None
) -> list[FeedFile]:
    """The feed files under ``paths``, reference kinds first; ``kind`` forces the kind of all of them. A walked
    directory holding a file named ``store_marker`` is a store: its files are not feeds."""
    forced = _forced_kind(kind)
    found: dict[Path, FeedFile] = {}
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise IngestFailed(f"{path}: no such file or directory; nothing was ingested.")
        if path.is_dir():
            for feed in _walk(path, forced, store_marker):
                found.setdefault(feed.path.resolve(), feed)
        else:
            found.setdefault(path.resolve(), FeedFile(path, forced or kind_from_path(path)))
    order = {name: i for i, name in enumerate(INGEST_ORDER)}
    return sorted(found.values(), key=lambda f: (order[f.kind.name], str(f.path)))


def _forced_kind(kind: str | None) -> Kind | None:
    if kind is None:
        return None
    if kind not in KINDS:
        raise InvalidInput(f"unknown kind {kind!r}; known kinds: {', '.join(KINDS)}.")
    return KINDS[kind]


def _walk(root: Path, forced: Kind | None, store_marker: str | None) -> list[FeedFile]:
    feeds = []
    stores = [p.parent for p in root.rglob(store_marker)] if store_marker else []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if not path.is_file() or any(p.startswith(".") or p in NOT_FEEDS for p in relative.parts):
            continue
        if any(path.is_relative_to(store) for store in stores):
            continue  # an izquvar store inside the directory: its files are not feeds
        if path.suffix.lower() not in SUFFIXES:
            continue
        if forced is not None:
            feeds.append(FeedFile(path, forced))
            continue
        # Relative to the walked root (so the root's own ancestors never name a kind), root name included
        # so that ``ingest OUT/gps`` still knows its pings are GPS.
        try:
            feeds.append(FeedFile(path, kind_from_path(Path(root.resolve().name) / relative)))
        except InvalidInput:
            continue
    return feeds
