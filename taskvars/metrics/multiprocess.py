"""``--workers N``: prometheus-client's multiprocess mode.

Each worker process writes its metric values to memory-mapped files in one directory,
named by ``PROMETHEUS_MULTIPROC_DIR``; a scrape, in whichever worker gets it, reads them
all. The variable must be set before a worker first imports the client, so ``serve``
sets it before it starts them. Files of an earlier run would be added to this one's, so
the directory is emptied at start.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def enabled() -> bool:
    return bool(os.environ.get(DIRECTORY_VARIABLE))


@contextmanager
def shared_directory() -> Iterator[Path]:
    """The directory the workers write to while the block runs: the one the environment
    names, emptied first, or a fresh one of ours, removed afterwards."""
    named = os.environ.get(DIRECTORY_VARIABLE)
    if named:
        directory = Path(named)
        directory.mkdir(exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="taskvars-metrics-"))
    os.environ[DIRECTORY_VARIABLE] = str(directory)
    try:
        yield directory
    finally:
        del os.environ[DIRECTORY_VARIABLE]
        shutil.rmtree(directory, ignore_errors=True)


def collecting_registry() -> CollectorRegistry:
    """A registry that adds up every process's files, for one scrape."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def process_stopped() -> None:
    """This worker's live gauges no longer count (called as it shuts down)."""
    mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
