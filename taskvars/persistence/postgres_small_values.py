"""PostgreSQL: the fast path's small requests, one statement each, on the event loop.

A variable read or a small binary download is :data:`.variables.VISIBLE_FROM` (the
scope chain, the variable and its bytes) run in autocommit: a single statement sees one
snapshot, as the full pipeline's read transaction does, without its ``BEGIN`` and
``ROLLBACK``. A small binary upload to a task's variable is :data:`_STORE_IN_TASK`: the
writes :meth:`.variables.Variables.set_in_task` (and, for a task in no other scope,
``set_seen``) make for a task outside any process instance (content and chunk, the
variable created or replaced at the version read, the task's ``lastUpdated``, the
replaced content released unless history holds it), in one data-modifying statement
that commits as it returns (uploads that arrive together share a transaction:
:mod:`.task_upload_batches`). A task in a process instance is left to the full store
(its history records the write, its conditions hear of it).

Statements are SQLAlchemy Core from the same tables, compiled once for psycopg and run
on its async connections (:mod:`.async_postgres`), with the parameters as psycopg takes
them (enum members as their values).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import psycopg
from sqlalchemy import (
    Boolean,
    Column,
    Table,
    bindparam,
    exists,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from taskvars.persistence.async_postgres import AsyncConnections
from taskvars.persistence.failures import storage_failure
from taskvars.persistence.models import (
    BinaryChunk,
    BinaryContent,
    HistoricVariable,
    IdSpace,
    Scope,
    Task,
)
from taskvars.persistence.unit_of_work import LOCK_SQLSTATES, SHARED_LOCK_WAIT, WRITE_ATTEMPTS
from taskvars.persistence.values import (
    ConcurrentModificationError,
    LockConflictError,
    NewValue,
    ScopeNotFoundError,
    ScopeRef,
    StoredValue,
)
from taskvars.persistence.variable_statements import VALUE_COLUMNS, VARIABLE, versioned_update
from taskvars.persistence.variables import (
    VISIBLE_FROM,
    chain_and_visible_in,
    visible_from_parameters,
)

_SCOPE = cast(Table, Scope.__table__)
_TASK = cast(Table, Task.__table__)
_CONTENT = cast(Table, BinaryContent.__table__)
_CHUNK = cast(Table, BinaryChunk.__table__)
_HISTORY = cast(Table, HistoricVariable.__table__)
_DIALECT = postgresql.psycopg.dialect()  # type: ignore[no-untyped-call]
# deadlock_detected, serialization_failure, lock_not_available: as in unit_of_work, a
# write PostgreSQL failed over a lock runs again, WRITE_ATTEMPTS times in all.


@dataclass(frozen=True)
class Compiled:
    """A statement as psycopg runs it: its SQL (``%(name)s`` parameters), and the values
    of the parameters SQLAlchemy made of its literals."""

    sql: bytes
    literals: Mapping[str, Any]

    @classmethod
    def of(cls, statement: ClauseElement) -> Compiled:
        compiled = cast(SQLCompiler, statement.compile(dialect=_DIALECT))
        literals = {
            name: bind.effective_value
            for bind, name in compiled.bind_names.items()
            if not bind.required
        }
        return cls(str(compiled).encode(), literals)

    def parameters(self, given: Mapping[str, Any]) -> dict[str, Any]:
        return {**self.literals, **given}


def _typed(name: str, column: Column[Any]) -> Any:
    """The parameter ``name``, as a value of ``column``'s type: in a ``SELECT`` list an
    untyped parameter would be taken as text. Without a length: a value too long for
    the column fails the write, as it does in the full store, instead of being cut."""
    return sql_cast(bindparam(name), type(column.type)())


def _store_in_task_statement() -> Any:
    found = (
        select(_SCOPE.c.pk, _SCOPE.c.parent_pk, _SCOPE.c.process_instance_pk)
        .where(
            _SCOPE.c.id_space == bindparam("id_space"),
            _SCOPE.c.external_id == bindparam("task_id"),
        )
        .cte("found")
    )
    # Only a task outside any process instance: history records nothing of its writes,
    # and no condition waits for them. Not local (a task's variables): a task of no
    # other scope either, whose own variable is the only one visible from it.
    target = (
        select(found.c.pk)
        .where(
            found.c.process_instance_pk.is_(None),
            or_(bindparam("local", type_=Boolean), found.c.parent_pk.is_(None)),
        )
        .cte("target")
    )
    old = (
        select(VARIABLE.c.pk, VARIABLE.c.content_pk, VARIABLE.c.revision)
        .select_from(VARIABLE.join(target, VARIABLE.c.scope_pk == target.c.pk))
        .where(VARIABLE.c.name == bindparam("name"))
        .cte("old")
    )
    # The content's pk, drawn first: the variable names it, and the content is written
    # only if the variable is (a replace that lost the race leaves nothing behind).
    new_content = select(
        func.nextval(func.pg_get_serial_sequence(_CONTENT.name, "pk")).label("pk")
    ).cte("new_content")
    new_content_pk = select(new_content.c.pk).scalar_subquery()
    inserted = (
        insert(VARIABLE)
        .from_select(
            ["id", "scope_pk", "name", "revision", *VALUE_COLUMNS],
            select(
                _typed("id", VARIABLE.c.id),
                target.c.pk,
                _typed("name", VARIABLE.c.name),
                literal_column("1"),
                *(
                    new_content_pk
                    if column == "content_pk"
                    else _typed(f"new_{column}", VARIABLE.c[column])
                    for column in VALUE_COLUMNS
                ),
            ).where(~exists().select_from(old)),
        )
        .returning(VARIABLE.c.pk)
        .cte("inserted")
    )
    updated = (
        versioned_update(
            variable_pk=select(old.c.pk).scalar_subquery(),
            read_revision=select(old.c.revision).scalar_subquery(),
            values={"content_pk": new_content_pk},
        )
        .returning(VARIABLE.c.pk)
        .cte("updated")
    )
    written = union_all(select(inserted.c.pk), select(updated.c.pk)).cte("written")
    was_written = exists().select_from(written)
    content = (
        insert(_CONTENT)
        .from_select(
            ["pk", "size", "digest", "file_name"],
            select(
                new_content.c.pk,
                _typed("size", _CONTENT.c.size),
                _typed("digest", _CONTENT.c.digest),
                null(),
            ).where(was_written),
        )
        .returning(_CONTENT.c.pk)
        .cte("content")
    )
    chunk = (
        insert(_CHUNK)
        .from_select(
            ["content_pk", "seq", "data"],
            select(content.c.pk, literal_column("0"), _typed("data", _CHUNK.c.data)),
        )
        .cte("chunk")
    )
    touched = (
        update(_TASK)
        .where(_TASK.c.scope_pk == select(target.c.pk).scalar_subquery(), was_written)
        .values(last_updated=bindparam("now"))
        .cte("touched")
    )
    old_content_pk = select(old.c.content_pk).scalar_subquery()
    released = (
        _CONTENT.delete()
        .where(
            _CONTENT.c.pk == old_content_pk,
            exists().select_from(updated),
            ~exists().where(_HISTORY.c.content_pk == old_content_pk),
        )
        .cte("released")
    )
    return select(
        select(func.count()).select_from(found).scalar_subquery().label("found"),
        select(func.count()).select_from(target).scalar_subquery().label("alone"),
        select(func.count()).select_from(written).scalar_subquery().label("written"),
    ).add_cte(chunk, touched, released)


_STORE_IN_TASK = Compiled.of(_store_in_task_statement())
_BATCH_LOCK_WAIT = f"SET LOCAL lock_timeout = '{SHARED_LOCK_WAIT}'"
_VISIBLE_FROM = Compiled.of(VISIBLE_FROM)


async def visible_from(
    connections: AsyncConnections,
    id_space: IdSpace,
    external_id: str,
    name: str,
    *,
    local: bool,
    inline_bytes: int,
) -> tuple[list[ScopeRef], StoredValue | None]:
    """:meth:`.variables.Variables.visible_from`'s chain and variable (a small binary
    value's bytes with it), in one statement. Raises ``ScopeNotFoundError``."""
    parameters = visible_from_parameters(
        id_space, external_id, name, local=local, inline_bytes=inline_bytes
    )
    parameters["id_space"] = id_space.value
    async with connections.connection() as connection:
        cursor = await connection.execute(_VISIBLE_FROM.sql, _VISIBLE_FROM.parameters(parameters))
        rows = await cursor.fetchall()
    return chain_and_visible_in(rows, id_space, external_id)


@dataclass(frozen=True)
class TaskUpload:
    """A small binary value for the task ``task_id``'s variable ``name``: ``value``, whose
    content is ``data`` (one chunk, more than nothing), written at ``now``; not ``local``:
    the variable as seen from the task (the same one, where the task is in no other
    scope)."""

    task_id: str
    name: str
    value: NewValue
    data: bytes
    now: datetime
    local: bool

    def parameters(self) -> dict[str, Any]:
        """:data:`_STORE_IN_TASK`'s parameters for this upload."""
        content = self.value.content
        assert content is not None
        return _STORE_IN_TASK.parameters(
            {
                "id_space": IdSpace.TASK.value,
                "task_id": self.task_id,
                "local": self.local,
                "name": self.name,
                "id": str(uuid.uuid4()),
                "size": content.size,
                "digest": content.digest,
                "data": self.data,
                "now": self.now,
                # The content's pk is the statement's own (new_content).
                **{
                    f"new_{column}": getattr(self.value, column)
                    for column in VALUE_COLUMNS
                    if column != "content_pk"
                },
            }
        )

    def stored(self, row: Any) -> bool:
        """What :data:`_STORE_IN_TASK`'s ``row`` says of this upload (see
        :func:`store_in_task`)."""
        if row.found == 0:
            raise ScopeNotFoundError(IdSpace.TASK, self.task_id)
        if row.alone == 0:
            return False
        if row.written != 1:
            raise ConcurrentModificationError(
                f"variable {self.name} was changed by another request meanwhile"
            )
        return True


async def store_in_task(
    connections: AsyncConnections,
    upload: TaskUpload,
    on_retry: Callable[[], None] | None = None,
) -> bool:
    """Create or replace the variable ``upload`` names, in one statement that commits as
    it returns. ``False``: nothing written, the task is in a process instance (the full
    store writes it, history too) or, not ``local``, in another scope. Raises
    ``ScopeNotFoundError``, and ``ConcurrentModificationError`` when another request
    created or changed the variable first."""
    row = await _run_write(
        connections, _STORE_IN_TASK.sql, upload.parameters(), upload.name, on_retry
    )
    return upload.stored(row)


async def store_in_tasks(
    connections: AsyncConnections,
    uploads: Sequence[TaskUpload],
    on_retry: Callable[[], None] | None = None,
) -> list[bool | Exception]:
    """What :func:`store_in_task` answers for each of ``uploads`` (its result or its
    error), all of them in one transaction: one commit, one WAL flush, and each task row
    locked once for all (its ``lastUpdated``), where transactions of their own would
    wait for each other's commit to touch the same task. Uploads naming the same
    variable must not share a transaction (each would read it as the one before left
    it: not a race any longer). If any statement fails (another request created the same variable
    meanwhile, a lock, a value the column refuses), the transaction wrote nothing, and
    each upload is stored on its own, its error its own."""
    if len(uploads) == 1:
        return await _each_alone(connections, uploads, on_retry)
    try:
        async with connections.connection() as connection:
            # BEGIN, the statements and COMMIT sent together: one round trip. A batch
            # waits for a lock no longer than a shared write does: one upload's wait
            # would hold up every other upload of the batch (and those queued behind
            # it); past it, each is stored on its own, waiting for its own lock only.
            async with connection.pipeline(), connection.transaction():
                await connection.execute(_BATCH_LOCK_WAIT)
                cursors = [
                    await connection.execute(_STORE_IN_TASK.sql, upload.parameters())
                    for upload in uploads
                ]
            rows = [await cursor.fetchone() for cursor in cursors]
    except psycopg.Error as error:
        if _connection_lost(error) or storage_failure(error) is not None:
            # The connection went: whether the commit was made is not known, so none
            # is sent again (each answers this error, as one statement alone would).
            raise
        return await _each_alone(connections, uploads, on_retry)
    outcomes: list[bool | Exception] = []
    for upload, row in zip(uploads, rows, strict=True):
        try:
            outcomes.append(upload.stored(row))
        except (ScopeNotFoundError, ConcurrentModificationError) as error:
            outcomes.append(error)
    return outcomes


def _connection_lost(error: psycopg.Error) -> bool:
    """An error of the connection, not of a statement: no SQLSTATE from the server. (A
    value psycopg could not send has none either, but is no connection's.)"""
    return error.sqlstate is None and isinstance(
        error, (psycopg.OperationalError, psycopg.InterfaceError)
    )


async def _each_alone(
    connections: AsyncConnections,
    uploads: Sequence[TaskUpload],
    on_retry: Callable[[], None] | None,
) -> list[bool | Exception]:
    outcomes = await asyncio.gather(
        *(store_in_task(connections, upload, on_retry) for upload in uploads),
        return_exceptions=True,
    )
    for outcome in outcomes:
        if not isinstance(outcome, (bool, Exception)):
            raise outcome  # cancelled: not an answer for one upload
    return cast(list[bool | Exception], outcomes)


async def _run_write(
    connections: AsyncConnections,
    statement: bytes,
    parameters: Mapping[str, Any],
    name: str,
    on_retry: Callable[[], None] | None,
) -> Any:
    """``statement``'s one row; run again if PostgreSQL failed it over a lock (as
    ``Database.write`` does), a conflict after the last attempt."""
    attempt = 1
    while True:
        try:
            async with connections.connection() as connection:
                cursor = await connection.execute(statement, parameters)
                return await cursor.fetchone()
        except psycopg.errors.UniqueViolation as error:
            raise ConcurrentModificationError(
                f"variable {name} was created by another request meanwhile"
            ) from error
        except psycopg.Error as error:
            if error.sqlstate not in LOCK_SQLSTATES:
                raise
            if attempt == WRITE_ATTEMPTS:
                raise LockConflictError(
                    "another request changed the same data at the same time"
                ) from error
        if on_retry is not None:
            on_retry()
        attempt += 1
