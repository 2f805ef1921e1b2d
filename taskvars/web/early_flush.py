"""A content file flushed to disk while it is still being written.

A content file must be on disk before the row naming it commits. Flushed once, after the
last byte, the disk takes about as long again as the transfer did: this machine's virtual
disk keeps what it is sent in the host's cache and writes it out at the flush (64 MiB:
75 ms; 1 GiB: 0.9-1.1 s). Flushed every ``every_bytes`` by a thread of its own, beside the
writes and never holding them up, the flushes overlap the transfer and the final one has
only the last stretch left: a 64 MiB upload then ends about 35 ms after its last byte
arrives instead of 105 (measured with the arrival paced at 1 GB/s).

The final flush is not made redundant: it is the one that covers every write, and the
caller still makes it. Only an early flush's failure needs care: Linux reports a
write-back error once per open file, so after an early flush has seen it the final one
may succeed although data was lost. :meth:`EarlyFlush.raise_failure` reports it again.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ThreadPoolExecutor


class EarlyFlush:
    """Flushes of ``fd`` started as writes progress; at most one runs at a time.

    ``written`` and ``raise_failure`` are called from the one thread that writes the
    file, ``close`` once that thread is done with it (then the caller may close its own
    descriptor and remove the file at once).
    """

    def __init__(self, fd: int, every_bytes: int) -> None:
        # A descriptor of its own for the same open file (so the same write-back error
        # state), closed by the flushing thread after its last flush: ``close`` need not
        # wait for a flush still running.
        self._fd = os.dup(fd)
        self._every_bytes = every_bytes
        self._executor: ThreadPoolExecutor | None = None
        self._running: Future[None] | None = None
        self._flushed_up_to = 0  # where the last flush started
        self._failure: OSError | None = None

    def written(self, end: int) -> None:
        """The file is written up to ``end``: start a flush if ``every_bytes`` more were
        written since the last one started and none is running (a flush running long
        is not queued behind: the next one covers both stretches)."""
        if end - self._flushed_up_to < self._every_bytes:
            return
        if self._running is not None and not self._running.done():
            return
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="taskvars-flush")
        self._flushed_up_to = end
        self._running = self._executor.submit(self._flush_now, self._fd)

    def raise_failure(self) -> None:
        """Raise the error of an early flush that failed, if any, once the running one
        is done; call from the writing thread after the final flush."""
        if self._running is not None:
            self._running.result()
        if self._failure is not None:
            raise self._failure

    def close(self) -> None:
        """End the thread once a flush it is running is done, without waiting for it (an
        upload abandoned on the event loop must not wait for the disk); its descriptor
        is closed then."""
        if self._fd < 0:
            return
        fd, self._fd = self._fd, -1
        if self._executor is None:
            os.close(fd)
            return
        self._executor.submit(os.close, fd)
        self._executor.shutdown(wait=False)
        self._executor = None

    def _flush_now(self, fd: int) -> None:
        try:
            os.fdatasync(fd)
        except OSError as error:
            self._failure = self._failure or error
