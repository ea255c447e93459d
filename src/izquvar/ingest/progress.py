"""A rich progress bar for long ingests, on stderr so stdout stays clean for ``--json``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from izquvar.ingest.batch import ProgressHook


@contextmanager
def ingest_progress(enabled: bool) -> Iterator[ProgressHook | None]:
    """Yields a hook that moves the bar (bytes of input done), or ``None`` when disabled."""
    if not enabled:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=None)

        def hook(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield hook
