"""PostgreSQL: small uploads to tasks' variables that arrive while others are being
stored wait, then go together in one transaction
(:func:`.postgres_small_values.store_in_tasks`).

Why: each upload touches its task's ``lastUpdated``, and PostgreSQL holds that row's
lock until the commit has been flushed, so uploads to one task in transactions of their
own run one after another, a WAL flush each, and never commit as a group (sampled under
``bench.small_uploads``: three quarters of the backends' time waiting on that lock).
Gathered, the task row is locked once and one flush commits them all. Each upload is
still acknowledged only after its commit.

One batch is stored at a time; a lone upload goes at once, as one statement in
autocommit. Uploads naming the same variable go in separate batches, in the order they
came: no transaction writes a variable twice, and the later upload finds the earlier
one's version, as it would once that had committed.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from taskvars.persistence import postgres_small_values
from taskvars.persistence.async_postgres import AsyncConnections, connections_of
from taskvars.persistence.postgres_small_values import TaskUpload
from taskvars.persistence.unit_of_work import Database

logger = logging.getLogger(__name__)

# At most this many uploads a transaction: a batch's wait stays short behind the one
# before it.
MOST_A_BATCH = 64

_Waiting = tuple[TaskUpload, "asyncio.Future[bool]"]


class TaskUploadBatches:
    """The uploads of one database's connections waiting to be stored."""

    def __init__(self, connections: AsyncConnections, database: Database) -> None:
        # Weakly: these batches are kept by their connections (_BATCHES), which go when
        # the app's lifespan ends.
        self._connections = weakref.ref(connections)
        self._database = database
        self._waiting: list[_Waiting] = []
        self._storing: asyncio.Task[None] | None = None

    async def store(self, upload: TaskUpload) -> bool:
        """:func:`.postgres_small_values.store_in_task`'s answer for ``upload``, once the
        transaction that stored it has committed."""
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((upload, stored))
        if self._storing is None:
            self._storing = asyncio.create_task(self._store_waiting())
        # Cancelled (the client went away): cancels ``stored``, and an upload not yet
        # sent is then left out.
        return await stored

    async def _store_waiting(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch, self._waiting = _next_batch(self._waiting)
                if batch:
                    await self._store(batch)
        except BaseException as error:
            # Cancelled (the loop is closing), or no upload's own error: no upload
            # waits for an answer forever, and each gets the error as it is.
            for _, stored in batch + self._waiting:
                if stored.done():
                    continue
                if isinstance(error, Exception):
                    stored.set_exception(error)
                else:
                    stored.cancel()
            self._waiting = []
            raise
        finally:
            self._storing = None

    async def _store(self, batch: list[_Waiting]) -> None:
        database = self._database
        connections = self._connections()
        if connections is None:  # the lifespan is over
            raise asyncio.CancelledError
        try:
            outcomes = await postgres_small_values.store_in_tasks(
                connections, [upload for upload, _ in batch], database.on_write_retry
            )
        except Exception as error:  # not one upload's: every one's answer
            for _, stored in batch:
                if not stored.done():
                    stored.set_exception(error)
            return
        # Answered first: what follows observes a commit made, whatever it does.
        for (_, stored), outcome in zip(batch, outcomes, strict=True):
            if stored.done():
                continue
            if isinstance(outcome, Exception):
                stored.set_exception(outcome)
            else:
                stored.set_result(outcome)
        written = sum(outcome is True for outcome in outcomes)
        if written and database.group_commit.on_commit is not None:
            try:
                database.group_commit.on_commit(written)  # observed as others (metrics)
            except Exception:
                logger.exception("the commit observer failed")


def _next_batch(waiting: list[_Waiting]) -> tuple[list[_Waiting], list[_Waiting]]:
    """The uploads to store now, and those left waiting: at most one per variable, and
    none whose request went away."""
    batch: list[_Waiting] = []
    left: list[_Waiting] = []
    variables: set[tuple[str, str]] = set()
    for upload, stored in waiting:
        if stored.done():
            continue
        variable = (upload.task_id, upload.name)
        if variable in variables or len(batch) == MOST_A_BATCH:
            left.append((upload, stored))
            continue
        variables.add(variable)
        batch.append((upload, stored))
    return batch, left


_BATCHES: weakref.WeakKeyDictionary[AsyncConnections, TaskUploadBatches] = (
    weakref.WeakKeyDictionary()
)


def batches_of(database: Database) -> TaskUploadBatches | None:
    """The batches of ``database``'s connections for small requests; ``None`` where it
    has none (see :func:`.async_postgres.connections_of`)."""
    connections = connections_of(database)
    if connections is None:
        return None
    batches = _BATCHES.get(connections)
    if batches is None:
        batches = _BATCHES[connections] = TaskUploadBatches(connections, database)
    return batches
