"""A writer lock on the store directory: one ingest or purge at a time, released even by SIGKILL."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from izquvar.errors import StoreError


@contextmanager
def writer_lock(path: Path, *, wait: bool = True) -> Iterator[bool]:
    """Hold the exclusive lock at ``path``; yields ``False`` instead when ``wait`` is off and it is taken.

    ``flock`` locks die with the process, so a killed ingest never leaves the store locked.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError as exc:
            raise StoreError(f"cannot lock the store ({path.parent}): {exc}") from exc
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
