"""Group commit: write transactions that arrive together share one commit, and its sync.

A commit waits for the disk (SQLite syncs its WAL, PostgreSQL flushes its own), and
that wait, not the statements, is most of the time a small write takes. So writers do
not each open a transaction: they take turns on one shared transaction, each inside a
``SAVEPOINT`` of its own, and the last writer in line commits for everybody who went
before it. One writer's error or conflict rolls back to its savepoint, undoing only its
own statements and answering only its own client; the others stay in the batch. The
first writer of a batch has nobody's work to protect and runs without a savepoint: if it
fails, the batch is given up (rolled back) and the writers queued behind begin another.

Every writer still waits for the commit that contains its work before it answers, so
an acknowledged write is as durable as before. If that commit fails, every writer in
the batch is told so (:class:`SharedCommitFailedError`) and none of their work stays.

Turns are handed on while someone is waiting: a batch grows while writers queue, and is
committed as soon as nobody is (or when it holds :data:`MAX_BATCH` writers), so a lone
writer commits at once and never waits for company.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine

from taskvars.persistence.failures import most_telling
from taskvars.persistence.notifications import COMMIT_WAITS_FOR_NOTIFICATION_QUEUE
from taskvars.persistence.values import ConcurrentModificationError, DatabaseUnreachableError

logger = logging.getLogger(__name__)

# Writers per commit at most, so the first of a long queue does not wait for the last.
MAX_BATCH = 32


class SharedCommitFailedError(RuntimeError):
    """The commit that held this write (and others) failed; none of them was stored."""


@dataclass(eq=False)
class Batch:
    """One shared transaction, on one connection, and what became of its commit."""

    connection: Connection
    # Writers whose savepoint was released into this transaction.
    members: int = 0
    # A writer could not roll back to its savepoint: the transaction cannot be trusted.
    broken: bool = False
    # Why, when known: every writer of the batch is told (a lost connection is a 503).
    broken_by: BaseException | None = None
    # A writer's work in it sent a notification: its COMMIT may wait for another
    # transaction's (see notifications.notify).
    notified: bool = False
    committed: threading.Event = field(default_factory=threading.Event)
    failure: BaseException | None = None


class GroupCommit:
    """The turn to write, and the open batch, for one database in one process (used on
    PostgreSQL; SQLite's writes go through its writer thread, :mod:`.sqlite_writer`).

    ``join`` waits for the turn and returns the batch to write in; ``leave`` gives the
    turn up, and, for a writer whose work went into the batch, returns once the batch has
    committed (raising if it could not).
    """

    def __init__(
        self,
        bind: Engine,
        *,
        overlap_commits: bool,
    ) -> None:
        self._bind = bind
        # PostgreSQL can run the next batch on another connection while this one commits;
        # SQLite has one writer, so the turn is held until the commit is done.
        self._overlap_commits = overlap_commits
        self._condition = threading.Condition()
        self._busy = False
        self._waiting = 0
        self._batch: Batch | None = None
        # Batches committed and writers they held: how much sharing there was.
        self.batches_committed = 0
        self.writes_committed = 0
        # Told the number of writes of each batch committed (metrics).
        self.on_commit: Callable[[int], None] | None = None

    @property
    def waiting(self) -> int:
        """Writers waiting for their turn now."""
        with self._condition:
            return self._waiting

    @property
    def busy(self) -> bool:
        """Whether a writer holds the turn now."""
        with self._condition:
            return self._busy

    def join(self, timeout: float) -> Batch:
        with self._condition:
            self._waiting += 1
            try:
                if not self._condition.wait_for(lambda: not self._busy, timeout):
                    raise ConcurrentModificationError("the database stayed busy with other writers")
            finally:
                self._waiting -= 1
            self._busy = True
            batch = self._batch
        if batch is not None:
            return batch
        connection: Connection | None = None
        try:
            connection = self._bind.connect()
            connection.begin()
        except BaseException:
            if connection is not None:
                connection.close()
            self._give_up_turn()
            raise
        batch = Batch(connection)
        with self._condition:
            self._batch = batch
        return batch

    def leave(self, batch: Batch, *, with_work: bool, error: BaseException | None = None) -> None:
        """Give up the turn; ``with_work``: this writer's savepoint was released into
        ``batch`` and it must learn whether the batch committed. ``error``: what ended
        this writer's work, if anything did."""
        if with_work:
            batch.members += 1
        if not batch.broken:
            lost = transaction_lost(batch.connection)
            if lost is not None:
                # The database ended the transaction itself (SQLite does on a full disk or
                # an I/O error; PostgreSQL when it shuts down or the connection breaks):
                # what follows would run outside it, one statement at a time. The error
                # that met it says why.
                batch.broken = True
                batch.broken_by = most_telling(error, lost)
        with self._condition:
            hand_on = not batch.broken and self._waiting > 0 and batch.members < MAX_BATCH
            if hand_on:
                self._busy = False
                self._condition.notify()
            else:
                self._batch = None
        if not hand_on:
            try:
                self._finish(batch)
            finally:
                self._give_up_turn_after_commit()
        if with_work:
            batch.committed.wait()
            if batch.failure is not None:
                raise SharedCommitFailedError(
                    f"the commit shared by {batch.members} writes failed: {batch.failure}"
                ) from batch.failure

    def _finish(self, batch: Batch) -> None:
        if self._overlap_commits:
            self._give_up_turn()
        try:
            if batch.broken:
                batch.failure = batch.broken_by or RuntimeError("the shared transaction was lost")
            elif batch.members:
                if batch.notified:
                    batch.connection.execute(COMMIT_WAITS_FOR_NOTIFICATION_QUEUE)
                batch.connection.commit()
        except BaseException as error:
            batch.failure = error
        finally:
            try:
                batch.connection.close()  # rolls back what was not committed
            except Exception:
                # Committed or not is decided; a connection that will not close is the
                # pool's to discard, not the writers' to fail for.
                logger.exception("closing a shared transaction's connection failed")
            finally:
                batch.committed.set()
        if batch.members and batch.failure is None:
            with self._condition:
                self.batches_committed += 1
                self.writes_committed += batch.members
            if self.on_commit is not None:
                try:
                    self.on_commit(batch.members)
                except Exception:
                    logger.exception("the commit observer failed")

    def _give_up_turn_after_commit(self) -> None:
        if not self._overlap_commits:
            self._give_up_turn()

    def _give_up_turn(self) -> None:
        with self._condition:
            self._busy = False
            self._condition.notify()


def transaction_lost(connection: Connection) -> BaseException | None:
    """Why the database, not only SQLAlchemy, no longer has the transaction open and
    usable (sqlite3's ``in_transaction``; psycopg's transaction status), or ``None``."""
    lost = DatabaseUnreachableError("The database is unavailable: the connection was lost")
    if connection.invalidated:
        # SQLAlchemy saw the connection break (and asking it for the driver's would raise).
        return lost
    try:
        # The DBAPI connection, which the sync drivers' is: a connection detached from
        # the pool (the SQLite writer's own) no longer names its driver_connection.
        driver: Any = connection.connection.dbapi_connection
    except Exception as error:
        return error
    if driver is None:
        return lost
    if hasattr(driver, "in_transaction"):
        in_transaction = bool(driver.in_transaction)
    else:
        in_transaction = str(driver.info.transaction_status.name) == "INTRANS"
    return None if in_transaction else RuntimeError("the database ended the transaction")
