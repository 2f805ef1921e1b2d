"""SQLite's small reads off the event loop: one thread with a connection of its own.

A read of one variable is one indexed ``SELECT``: tens of microseconds in SQLite, less
than handing it to a worker thread (anyio's hop: a thread woken and a loop woken per
read) and far less than a SQLAlchemy ``Session`` around it (``BEGIN``, ``ROLLBACK``, the
pool's checkout and reset). Here the caller queues the read; the thread runs every read
queued, one after the other, on its one connection in autocommit (a lone ``SELECT`` is
its own snapshot, as consistent as a transaction around it), then wakes each caller's
event loop once for all of its reads. It never waits for the writer: in WAL mode a
reader takes no lock the writer holds.

Reads that need more than one statement (content in a file, a large value) do not come
here: they run in a unit of work of their own, in one snapshot.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine

from taskvars.persistence.loop_wakeups import settle_on_their_loops

T = TypeVar("T")


@dataclass(eq=False)
class _Read:
    work: Callable[[Any], Any]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[Any]
    result: Any = None
    error: BaseException | None = None


class SqliteReader:
    """The reading thread of one SQLite database, started by the first read."""

    def __init__(self, bind: Engine) -> None:
        self._bind = bind
        self._condition = threading.Condition()
        self._queue: deque[_Read] = deque()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self.batches = 0  # how many times the thread woke its callers (tests observe it)

    async def run(self, work: Callable[[Any], T]) -> T:
        """``work(cursor)`` on the reading thread, given a DBAPI cursor in autocommit;
        its result, or what it raised. Cancelled before it started, it does not run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        with self._condition:
            self._queue.append(_Read(work, loop, future))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="taskvars-sqlite-reader", daemon=True
                )
                self._thread.start()
            self._condition.notify()
        return await future

    def stop(self) -> None:
        """Finish what is queued, close the connection, end the thread (a later read
        starts a new one)."""
        with self._condition:
            thread, self._stopping = self._thread, True
            self._condition.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._condition:
            self._stopping = False
            self._thread = None

    def _serve(self) -> None:
        connection: Any = None
        cursor: Any = None
        try:
            while True:
                with self._condition:
                    while not self._queue:
                        if self._stopping:
                            return
                        self._condition.wait()
                    reads = list(self._queue)
                    self._queue.clear()
                if connection is None:
                    try:
                        connection, cursor = self._connect()
                    except Exception as error:
                        for read in reads:
                            read.error = error
                        self._settle(reads)
                        continue
                for read in reads:
                    if read.future.cancelled():
                        continue
                    try:
                        read.result = read.work(cursor)
                    except BaseException as error:
                        read.error = error
                self._settle(reads)
        finally:
            if connection is not None:
                connection.close()

    def _connect(self) -> tuple[Any, Any]:
        """A connection out of the pool for good (this thread's own, closed when it
        ends), set up as the pool's are, and its one cursor."""
        connection = self._bind.raw_connection()
        driver: Any = connection.driver_connection  # gone from the proxy once detached
        connection.detach()
        return connection, driver.cursor()

    def _settle(self, reads: list[_Read]) -> None:
        self.batches += 1  # before any caller can see its read settled
        settle_on_their_loops(reads)
