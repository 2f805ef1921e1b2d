"""SQLite's one writer: a thread that owns the write connection and commits in batches.

SQLite has one writer at a time anyway. Instead of letting request threads take turns on
a shared transaction (each turn a hand-off between threads, each waking thread fighting
for the GIL), callers queue their work here; the writer thread drains the queue, runs
each item in the open transaction, commits once (``synchronous=FULL``: the commit is the
sync, shared by the batch), then tells every item of the batch at once: a sync caller
by releasing its lock, async callers with one wake-up of their event loop per batch.

An item runs in a ``SAVEPOINT`` only when other items' work is in the transaction
already: the first item of a transaction (a lone writer always) has nothing of others to
protect, and if it fails the whole transaction is rolled back and begun again. So one
item's failure undoes only its own work and answers only its own caller. If the database
ends the transaction itself (SQLite does on a full disk or an I/O error) or the commit
fails, every item whose work was in it is told so (:class:`SharedCommitFailedError`).

On a database in a file the writer keeps its connection from batch to batch, detached
from the pool (no checkout and reset per batch), and begins each batch on the DBAPI
connection itself (``SQLITE_RAW_BEGIN``).

Work that must run on the caller's own thread (a unit of work opened with ``with``, held
across other code) borrows the transaction instead: the writer lends it and waits until
it is given back (:meth:`SqliteWriter.lend`), as the turn of the former group commit did.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from taskvars.persistence.failures import most_telling
from taskvars.persistence.group_commit import (
    MAX_BATCH,
    SharedCommitFailedError,
    transaction_lost,
)
from taskvars.persistence.loop_wakeups import settle_on_their_loops
from taskvars.persistence.values import ConcurrentModificationError

logger = logging.getLogger(__name__)

_QUEUED, _STARTED, _CANCELLED = range(3)


@dataclass(eq=False)
class Turn:
    """An item's place in the open transaction, and what its work left there."""

    connection: Connection
    # Whether the item runs inside a savepoint of its own (others' work is in the
    # transaction); without one, its failure rolls the whole transaction back.
    savepoint: bool
    # The work committed its unit of work: its statements stay in the batch.
    joined: bool = False
    # What runs once the batch is durable (content files kept, waiters told).
    after_commit: list[Callable[[], None]] = field(default_factory=list)
    # Its savepoint could not be rolled back: the transaction cannot be trusted.
    broken_by: BaseException | None = None


@dataclass(eq=False)
class WriteItem:
    """One caller's work, and how the caller learns its outcome."""

    run: Callable[[Turn], Any]
    # A sync caller waits on this lock, released once the outcome is known.
    done: threading.Lock | None = None
    # An async caller awaits this future, settled on its loop.
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[Any] | None = None
    # A borrowed turn: released when lent (or when it could not be), and given back.
    lent: threading.Lock | None = None
    given_back: threading.Lock | None = None
    state: int = _QUEUED
    turn: Turn | None = None
    result: Any = None
    error: BaseException | None = None


class SqliteWriter:
    """The write connection of one SQLite database in this process, and its thread.

    Observed like :class:`~taskvars.persistence.group_commit.GroupCommit`:
    ``waiting``, ``busy``, ``batches_committed``, ``writes_committed``, ``on_commit``.
    """

    def __init__(self, bind: Engine, *, own_connection: bool = False) -> None:
        self._bind = bind
        # Keep the write connection from batch to batch, out of the pool for good (a
        # file database: the pool opens another of the same); otherwise it is checked
        # out per batch (an in-memory database's one connection is the pool's).
        self._own_connection = own_connection
        self._connection: Connection | None = None  # kept by the writer thread
        self._condition = threading.Condition()
        self._queue: deque[WriteItem] = deque()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._busy = False
        self.batches_committed = 0
        self.writes_committed = 0
        # Told the number of writes of each batch committed (metrics).
        self.on_commit: Callable[[int], None] | None = None

    @property
    def waiting(self) -> int:
        """Items queued and not started."""
        with self._condition:
            return len(self._queue)

    @property
    def busy(self) -> bool:
        """Whether the writer runs a batch now."""
        with self._condition:
            return self._busy

    def on_writer_thread(self) -> bool:
        return threading.current_thread() is self._thread

    # Callers

    def run(self, work: Callable[[Turn], Any], timeout: float) -> Any:
        """``work`` on the writer thread, in a batch; its result once the batch committed.
        Not started within ``timeout`` seconds: :class:`ConcurrentModificationError`."""
        done = threading.Lock()
        done.acquire()
        item = WriteItem(work, done=done)
        self._submit(item)
        self._wait(item, done, timeout)
        if item.error is not None:
            raise item.error
        return item.result

    async def run_async(self, work: Callable[[Turn], Any]) -> Any:
        """``work`` on the writer thread; awaited, its result once the batch committed.
        Cancelled before it started, it does not run."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._submit(WriteItem(work, loop=loop, future=future))
        return await future

    def lend(self, timeout: float) -> tuple[WriteItem, Turn]:
        """The open transaction, lent to the calling thread until :meth:`give_back`;
        then :meth:`wait_committed` if its work joined the batch."""
        lent = threading.Lock()
        lent.acquire()
        given_back = threading.Lock()
        given_back.acquire()

        def borrowed(turn: Turn) -> None:
            lent.release()
            given_back.acquire()  # the borrower's work runs meanwhile

        done = threading.Lock()
        done.acquire()
        item = WriteItem(borrowed, done=done, lent=lent, given_back=given_back)
        self._submit(item)
        self._wait(item, lent, timeout)
        if item.turn is None:  # the transaction could not begin
            assert item.error is not None
            raise item.error
        return item, item.turn

    @staticmethod
    def give_back(item: WriteItem) -> None:
        assert item.given_back is not None
        item.given_back.release()

    @staticmethod
    def wait_committed(item: WriteItem) -> None:
        """After :meth:`give_back` of a joined turn: returns once its batch committed."""
        assert item.done is not None
        item.done.acquire()
        if item.error is not None:
            raise item.error

    def stop(self) -> None:
        """Finish what is queued, then end the thread (a later item starts a new one)."""
        with self._condition:
            thread, self._stopping = self._thread, True
            self._condition.notify_all()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        with self._condition:
            self._stopping = False
            self._thread = None

    def _submit(self, item: WriteItem) -> None:
        if self.on_writer_thread():
            raise RuntimeError("a write cannot wait for the writer from the writer's own thread")
        with self._condition:
            self._queue.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._serve, name="taskvars-sqlite-writer", daemon=True
                )
                self._thread.start()
            self._condition.notify()

    def _wait(self, item: WriteItem, lock: threading.Lock, timeout: float) -> None:
        """Acquire ``lock`` (released by the writer); an item not started within
        ``timeout`` is taken off the queue: the database stayed busy (SQLite's own
        busy_timeout would say the same)."""
        if lock.acquire(timeout=timeout):
            return
        with self._condition:
            if item.state == _QUEUED:
                item.state = _CANCELLED
                self._queue.remove(item)
                raise ConcurrentModificationError("the database stayed busy with other writers")
        lock.acquire()

    # The writer thread

    def _serve(self) -> None:
        try:
            while True:
                with self._condition:
                    while not self._queue:
                        if self._stopping:
                            return
                        self._condition.wait()
                    self._busy = True
                try:
                    self._run_batch()
                except BaseException:
                    logger.exception("the SQLite writer failed a batch")
                finally:
                    with self._condition:
                        self._busy = False
        finally:
            connection, self._connection = self._connection, None
            if connection is not None:
                self._close(connection)

    def _next(self, members: int) -> WriteItem | None:
        """The next item to run in this batch, or ``None``: the queue is empty, or the
        batch is full (the first of a long queue does not wait for the last)."""
        with self._condition:
            while self._queue and members < MAX_BATCH:
                item = self._queue.popleft()
                if item.future is not None and item.future.cancelled():
                    continue
                item.state = _STARTED
                return item
        return None

    def _run_batch(self) -> None:
        members: list[WriteItem] = []
        settled: list[WriteItem] = []
        connection, self._connection = self._connection, None
        try:
            while (item := self._next(len(members))) is not None:
                if connection is None or not connection.in_transaction():
                    try:
                        connection = self._begin(connection)
                    except BaseException as error:
                        item.error = error
                        settled.append(item)
                        connection = None
                        continue
                turn = item.turn = Turn(connection, savepoint=bool(members))
                try:
                    item.result = item.run(turn)
                except BaseException as error:
                    item.error = error
                # A turn in no savepoint that did not join leaves nothing to check: the
                # whole transaction, its own statements only, is rolled back.
                lost = self._lost(turn, item.error) if turn.joined or turn.savepoint else None
                if lost is None:
                    if turn.joined:
                        members.append(item)
                        continue
                    settled.append(item)
                    if not turn.savepoint:
                        connection = self._roll_back(connection)
                    continue
                # The database ended the transaction itself (a full disk, an I/O error):
                # every member's work is gone; the turn that met it answers its own error.
                if turn.joined:
                    members.append(item)
                else:
                    item.error = item.error or lost
                    settled.append(item)
                for member in members:
                    member.error = _shared_failure(len(members), lost)
                settled.extend(members)
                members = []
                connection = self._roll_back(connection)
            if members:
                assert connection is not None
                self._commit(connection, members)
                settled.extend(members)
                members = []
        finally:
            for member in members:  # only if the writer itself failed
                member.error = member.error or RuntimeError("the SQLite writer failed")
            settled.extend(members)
            if connection is not None:
                if self._own_connection and self._reusable(connection):
                    self._connection = connection  # for the next batch
                else:
                    self._close(connection)
            self._settle(settled)

    def _begin(self, connection: Connection | None) -> Connection:
        if connection is None:
            connection = self._bind.connect()
            if self._own_connection:
                # The writer's own until it ends (closed then): no checkout and reset
                # per batch; the pool's metrics count a detached connection out of use.
                connection.connection.detach()
        try:
            connection.begin()
        except BaseException:
            connection.close()
            raise
        return connection

    @staticmethod
    def _reusable(connection: Connection) -> bool:
        """A kept connection must be idle and whole: after a failed commit or rollback
        (SQLAlchemy then still holds the transaction, inactive) it is closed instead, and
        the next batch opens another."""
        try:
            if connection.invalidated or connection.get_transaction() is not None:
                return False
            driver: Any = connection.connection.dbapi_connection  # sqlite3's own
            return driver is not None and not driver.in_transaction
        except Exception:
            return False

    @staticmethod
    def _lost(turn: Turn, error: BaseException | None) -> BaseException | None:
        if turn.broken_by is not None:
            return turn.broken_by
        lost = transaction_lost(turn.connection)
        return None if lost is None else most_telling(error, lost)

    def _roll_back(self, connection: Connection) -> Connection | None:
        """Whatever the transaction holds is undone; the connection, if still good."""
        try:
            if connection.in_transaction():
                connection.rollback()
            return connection
        except Exception:
            self._close(connection)
            return None

    def _commit(self, connection: Connection, members: list[WriteItem]) -> None:
        try:
            connection.commit()
        except BaseException as error:
            for member in members:
                member.error = _shared_failure(len(members), error)
            return
        # Committed: every action runs (a kept upload file must stay even if removing
        # some replaced file failed), and none of them can undo the answers.
        for member in members:
            assert member.turn is not None
            for action in member.turn.after_commit:
                try:
                    action()
                except Exception:
                    logger.exception("an action after a commit failed")
        self.batches_committed += 1
        self.writes_committed += len(members)
        if self.on_commit is not None:
            try:
                self.on_commit(len(members))
            except Exception:
                logger.exception("the commit observer failed")

    @staticmethod
    def _close(connection: Connection) -> None:
        try:
            connection.close()  # rolls back what was not committed
        except Exception:
            logger.exception("closing the SQLite writer's connection failed")

    @staticmethod
    def _settle(items: list[WriteItem]) -> None:
        """Tell every caller: sync ones one by one, async ones with one call on each loop."""
        for item in items:
            if item.loop is not None:
                continue
            if item.lent is not None and item.turn is None:
                item.lent.release()  # never lent: the borrower learns why
            if item.done is not None:
                item.done.release()
        settle_on_their_loops(items)


def _shared_failure(members: int, cause: BaseException) -> SharedCommitFailedError:
    failure = SharedCommitFailedError(f"the commit shared by {members} writes failed: {cause}")
    failure.__cause__ = cause
    return failure
