"""PostgreSQL connections on the event loop, in autocommit, for the fast path's small
requests (:mod:`.postgres_small_values`): each runs one statement, its own transaction,
with no worker thread and no ``BEGIN``/``COMMIT`` round trips. Durability is the
server's ``synchronous_commit``, as for every other write: the statement returns only
once its implicit commit has.

The pool is a few lines of its own rather than psycopg_pool's: that one connects in the
background and, while the database is away, makes a request wait its whole timeout and
then fail with its own ``PoolTimeout``. Here, as in SQLAlchemy's pool that serves the
full pipeline, a connection is made when the request needs it, so an outage fails the
request at once with libpq's own error, which :mod:`.failures` turns into the same 503.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import anyio
import psycopg
from psycopg.rows import namedtuple_row
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from taskvars.persistence.database import input_waiting, postgres_connect_arguments
from taskvars.persistence.failures import storage_failure
from taskvars.persistence.unit_of_work import Database

logger = logging.getLogger(__name__)

AsyncConnection = psycopg.AsyncConnection[Any]
# As many connections, and as long a wait for one, as SQLAlchemy's default pool gives the
# full pipeline (5 + 10 overflow, 30 s): the same limits under the same load.
CONNECTIONS = 15
WAIT_SECONDS = 30.0


class AsyncConnections:
    """Autocommit connections to one database, made on demand and kept while healthy."""

    def __init__(self, connect_arguments: Mapping[str, Any]) -> None:
        self._connect_arguments = dict(connect_arguments)
        self._idle: list[AsyncConnection] = []
        self._slots = anyio.Semaphore(CONNECTIONS)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one statement (or a few, each its own transaction)."""
        await self._take_slot()
        try:
            connection = await self._take()
            try:
                yield connection
            except BaseException as error:
                # A connection a statement failed on is kept only if it is idle and
                # well (a constraint's error, a stale version); cancelled mid-statement
                # or broken, it goes, and so do the others if the server went away.
                await self._discard_or_keep(connection, error)
                raise
            self._idle.append(connection)
        finally:
            self._slots.release()

    async def _take_slot(self) -> None:
        # A free slot is taken at once: the cancel scope of the timed wait costs more than
        # the rest of taking a connection, and only a wait needs it.
        try:
            self._slots.acquire_nowait()
            return
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(WAIT_SECONDS) as waited:
            await self._slots.acquire()
        if waited.cancelled_caught:
            raise PoolTimeoutError("no connection became free in time")

    async def _take(self) -> AsyncConnection:
        while self._idle:
            connection = self._idle.pop()
            # Input on an idle connection is the server's farewell (see
            # database.discard_dead_connections_on_checkout): not worth a ping.
            if not input_waiting(connection):
                return connection
            await _close(connection)
        return await psycopg.AsyncConnection.connect(
            **self._connect_arguments, autocommit=True, row_factory=namedtuple_row
        )

    async def _discard_or_keep(self, connection: AsyncConnection, error: BaseException) -> None:
        idle = connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        if isinstance(error, psycopg.Error) and storage_failure(error) is None and idle:
            self._idle.append(connection)
            return
        await _close(connection)
        if storage_failure(error) is not None:
            await self.close()

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await _close(connection)


async def _close(connection: AsyncConnection) -> None:
    with anyio.CancelScope(shield=True):
        try:
            await connection.close()
        except Exception:  # closing a broken connection: nothing left to tell
            logger.debug("closing a connection failed", exc_info=True)


# Each database's connections, while its app serves (see :func:`serving`).
_CONNECTIONS: weakref.WeakKeyDictionary[Database, AsyncConnections] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def serving(database: Database) -> AsyncIterator[None]:
    """Connections for ``database``'s small requests while the app's lifespan lasts (on
    its event loop), closed at its end; none for SQLite."""
    if database.kind != "postgresql":
        yield
        return
    connections = AsyncConnections(postgres_connect_arguments(database.engine.url))
    _CONNECTIONS[database] = connections
    try:
        yield
    finally:
        _CONNECTIONS.pop(database, None)
        await connections.close()


def connections_of(database: Database) -> AsyncConnections | None:
    """``database``'s connections for small requests; ``None`` outside :func:`serving`
    (SQLite, or an app without a lifespan)."""
    return _CONNECTIONS.get(database)
