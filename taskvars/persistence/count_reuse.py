"""Counts answered again without counting, for as long as the database provably has
not changed since they were counted.

Task lists poll the same counts every few seconds (Camunda's Tasklist its filters'),
and the same SQL over the same committed data gives the same number; counting probes
tens of thousands of candidate rows. So each count is kept (the most recent
:data:`CAPACITY`, per :class:`~taskvars.persistence.unit_of_work.Database`) with the
database's version it counted, and a later count with the same key is answered from it
while the database's version is still that one. Each database says what its version is:

- PostgreSQL: the statement's snapshot (``pg_current_snapshot()``, see
  :class:`PostgresSnapshots`), read in the same statement as the count;
- SQLite: ``PRAGMA data_version`` on a connection that never writes (see
  :class:`SqliteDataVersions`), read before the count's transaction begins.

Only what a read unit of work counts is kept (a writer's session may hold writes not
committed yet): :class:`~taskvars.persistence.unit_of_work.UnitOfWork` gives the reuse
to read units of work only.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, Select, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from taskvars.persistence.database import is_sqlite

# Counts kept at most; the least recently used goes first. A task list asks a handful of
# counts per user and filter; this many stay a few tens of KiB.
CAPACITY = 256


class Versions(Protocol):
    """How one kind of database tells whether it changed."""

    def now(self, session: Session) -> Hashable | None:
        """The database's version as ``session`` would read it now; ``None`` when a
        count kept cannot answer for what ``session`` would see."""

    def count(
        self, session: Session, statement: Select[Any], parameters: dict[str, Any]
    ) -> tuple[int, Hashable | None]:
        """``statement``'s count with ``parameters`` on ``session``, and the version of
        the data it counted (``None``: not known; the count is not kept)."""

    def close(self) -> None:
        """Release what the versions are read with."""


@dataclass(frozen=True)
class _Kept:
    version: Hashable
    count: int


class CountReuse:
    """Counts kept by key (one key, one statement and its parameters), each with the
    version of the data it counted. Thread-safe: units of work count on worker
    threads."""

    def __init__(self, versions: Versions, capacity: int = CAPACITY) -> None:
        self._versions = versions
        self._capacity = capacity
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self._lock = threading.Lock()

    def count(
        self,
        session: Session,
        key: Hashable,
        statement: Callable[[], tuple[Select[Any], dict[str, Any]]],
    ) -> int:
        """The count of ``statement()``, a ``SELECT count(...)`` and its parameters that
        ``key`` stands for (equal keys: the same SQL and parameters): the one kept for
        ``key`` if the database is still at the version it was counted at, else counted
        now (and kept). ``statement`` is called only to count."""
        kept = self._take(key)
        if kept is not None:
            version = self._versions.now(session)
            if version is not None and version == kept.version:
                return kept.count
        count, version = self._versions.count(session, *statement())
        if version is not None:
            self._keep(key, _Kept(version, count))
        return count

    def __len__(self) -> int:
        return len(self._kept)

    def close(self) -> None:
        with self._lock:
            self._kept.clear()
        self._versions.close()

    def _take(self, key: Hashable) -> _Kept | None:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None:
                self._kept.move_to_end(key)
            return kept

    def _keep(self, key: Hashable, kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self._capacity:
                self._kept.popitem(last=False)


class PostgresSnapshots:
    """PostgreSQL's version: the statement's snapshot, ``xmin:xmax:xip``.

    Two equal snapshots see exactly the same committed transactions, whichever session
    takes them: ``GetSnapshotData`` (``src/backend/storage/ipc/procarray.c``) sets
    ``xmax`` to ``latestCompletedXid + 1`` ("xmax is always latestCompletedXid + 1")
    and lists in ``xip`` every running transaction that has an xid below it; every
    commit or abort of a transaction with an xid either removes that xid from the
    running ones or, if it was at or past ``xmax``, moves ``latestCompletedXid`` past
    it (``ProcArrayEndTransaction`` -> ``MaintainLatestCompletedXid``, for commits and
    aborts alike). ``pg_current_snapshot()`` (``src/backend/utils/adt/xid8funcs.c``)
    returns the active snapshot (``GetActiveSnapshot()``), the very one the statement
    reads with; it lists top-level xids only, and a subtransaction's xid is never
    assigned before its top-level one's, which stays listed until it ends. The
    snapshot is the whole cluster's: a commit anywhere in it counts as a change
    (conservative). An xid of the session's own means writes of its own not committed,
    which no snapshot shows: such a count is neither kept nor answered from one kept.
    (Both functions are PostgreSQL 13's and later's.)
    """

    _NOW = select(
        text("pg_current_snapshot()::text"),
        func.pg_current_xact_id_if_assigned().is_(None),
    )

    def now(self, session: Session) -> Hashable | None:
        snapshot, without_xid = session.execute(self._NOW).one()
        return snapshot if without_xid else None

    def count(
        self, session: Session, statement: Select[Any], parameters: dict[str, Any]
    ) -> tuple[int, Hashable | None]:
        counted = select(
            statement.scalar_subquery(),
            text("pg_current_snapshot()::text"),
            func.pg_current_xact_id_if_assigned().is_(None),
        )
        count, snapshot, without_xid = session.execute(counted, parameters).one()
        return count or 0, snapshot if without_xid else None

    def close(self) -> None:
        pass


class SqliteDataVersions:
    """SQLite's version: ``PRAGMA data_version`` on a connection of its own that never
    writes (``query_only``). SQLite changes that value on a connection whenever another
    connection commits (this process's writer, its raw writes, another process), and
    never for the connection's own commits, so this one's changes for every commit.

    A count is kept with the version read before its transaction began, and only if its
    session had not begun one yet (its snapshot is then taken at the count, after the
    version was read): a commit between the two changes the version, and the count is
    then merely not reused. A session already in a transaction reads an older snapshot
    than the version now: it neither keeps nor reuses counts.
    """

    _DATA_VERSION = "PRAGMA data_version"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = threading.Lock()
        self._connection: Any = None
        self._cursor: Any = None
        # A data_version compares only with the same connection's (a new one starts
        # low again): the version is this connection's number and its value.
        self._connections_made = 0
        self._closed = False

    def now(self, session: Session) -> Hashable | None:
        if session.in_transaction():
            return None
        with self._lock:
            if self._closed:  # the database is being disposed of: nothing is kept
                return None
            try:
                if self._cursor is None:
                    self._connection, self._cursor = self._connect()
                    self._connections_made += 1
                value = int(self._cursor.execute(self._DATA_VERSION).fetchone()[0])
            except (sqlite3.Error, DBAPIError):
                # Not known: the count runs, and reports what the database says.
                self._close()
                return None
            return (self._connections_made, value)

    def count(
        self, session: Session, statement: Select[Any], parameters: dict[str, Any]
    ) -> tuple[int, Hashable | None]:
        version = self.now(session)
        return session.scalar(statement, parameters) or 0, version

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._close()

    def _close(self) -> None:
        connection, self._connection, self._cursor = self._connection, None, None
        if connection is not None:
            connection.close()

    def _connect(self) -> tuple[Any, Any]:
        """A connection out of the pool for good, set up as the pool's are (autocommit:
        each read of the version sees the latest commit), that refuses to write."""
        connection = self._engine.raw_connection()
        driver: Any = connection.driver_connection  # gone from the proxy once detached
        connection.detach()
        try:
            cursor = driver.cursor()
            cursor.execute("PRAGMA query_only=ON")
        except BaseException:
            connection.close()
            raise
        return connection, cursor


def count_reuse_for(engine: Engine, *, in_memory: bool) -> CountReuse | None:
    """The reuse of counts on ``engine``'s database; none for an in-memory SQLite
    database (another connection would open another, empty database)."""
    if not is_sqlite(engine):
        return CountReuse(PostgresSnapshots())
    if in_memory:
        return None
    return CountReuse(SqliteDataVersions(engine))
