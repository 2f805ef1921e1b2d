"""The content files of replaced and deleted values, removed by a thread of their own.

Removing a large file is not cheap: ext4 frees its blocks as it goes, 12 ms for 64 MiB
and 190 ms for 1 GiB on this project's test machine. Done right after the commit, as it
was, that held up the answer to the write that replaced the value and, on SQLite, every
other write of the process, queued behind the one writer thread that ran it. Nothing
needs the removal to be over: the commit that dropped the rows naming these files is
durable, so no new reader finds them, and a reader of an earlier snapshot that finds one
gone reads again (``ContentReplacedError``). Only the disk space waits.

A process that stops before it removed them leaves orphans, which the sweep at the next
start removes, as ``taskvars check --repair`` does (``content_files``). A clean stop waits
for the removals pending (``Database.dispose``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import deque
from collections.abc import Iterable
from pathlib import Path

logger = logging.getLogger(__name__)


class FileRemover:
    """Removes the files handed to it, in order, in a thread that runs while there are
    any (and is started again for the next ones)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._pending: deque[Path] = deque()
        self._running = False

    def remove(self, paths: Iterable[Path]) -> None:
        with self._lock:
            self._pending.extend(paths)
            if self._running or not self._pending:
                return
            self._running = True
        threading.Thread(target=self._run, name="taskvars-remove-files", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until every file handed over so far is removed; False on timeout."""
        with self._lock:
            return self._done.wait_for(lambda: not self._running, timeout)

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    self._running = False
                    self._done.notify_all()
                    return
                path = self._pending.popleft()
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                logger.warning(
                    "could not remove the content file %s (%s); the next start or "
                    "taskvars check --repair removes it",
                    path,
                    error.strerror or error,
                )


_REMOVERS: dict[str, FileRemover] = {}
_REMOVERS_LOCK = threading.Lock()


def remover_for(directory: Path) -> FileRemover:
    """The one remover of ``directory`` in this process: whoever waits for it (a clean
    stop, ``taskvars check``, a test) waits for every removal pending there, whichever
    object of the directory asked for it."""
    key = os.path.abspath(directory)
    with _REMOVERS_LOCK:
        remover = _REMOVERS.get(key)
        if remover is None:
            remover = _REMOVERS[key] = FileRemover()
        return remover
