"""The fast path's small requests on PostgreSQL, each one statement on the event loop
(:mod:`taskvars.persistence.postgres_small_values`), with no worker thread and no
transaction round trips: reads of one variable, downloads of a value small enough to
come with it, and binary uploads of a small value to a task's variable.

Each function answers ``None`` (or ``False``) when it did nothing and the request takes
the way of every database: on SQLite, in an app without a lifespan, and for what one
statement does not cover (a large value, a task in a process instance, whose history
records the write, or a task's variables seen through another scope, the deprecated
serialized upload, transient values). Answers and
errors are made by the functions the full pipeline uses, from the same row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.responses import Response

from taskvars.errors import EngineError
from taskvars.handlers.http.variable_operations import StoredOtherwise, inline_binary_response
from taskvars.persistence import postgres_small_values
from taskvars.persistence.async_postgres import AsyncConnections, connections_of
from taskvars.persistence.binary_contents import SMALL_VALUE_BYTES
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import ScopeNotFoundError, StoredValue
from taskvars.services import variables
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.dates import now_millis
from taskvars.services.variables import VariableResource


async def read_variable(
    db: Database, resource: VariableResource, scope_id: str, name: str, deserialize: bool
) -> dict[str, Any] | None:
    """``variables.get``'s answer, or ``None``."""
    connections = connections_of(db)
    if connections is None:
        return None
    stored = await _visible(connections, db, resource, scope_id, name)
    return variables.dto_of_inline(stored, deserialize=deserialize)


async def binary_download(
    db: Database,
    request_headers: Mapping[str, str],
    resource: VariableResource,
    scope_id: str,
    name: str,
) -> Response | None:
    """``variable_operations.binary_download``'s answer, or ``None``."""
    connections = connections_of(db)
    if connections is None:
        return None
    stored = await _visible(connections, db, resource, scope_id, name)
    return inline_binary_response(request_headers, variables.binary_value(scope_id, stored))


def upload_store(
    db: Database, resource: VariableResource, scope_id: str, name: str
) -> StoredOtherwise | None:
    """What stores an upload in one statement if it can (``True``: stored), or ``None``
    where none can. (Its second argument, the full store's work, is for
    :func:`.sqlite_small.upload_store`: here what one statement cannot do is left to
    the caller.)"""
    connections = connections_of(db)
    if connections is None or resource.id_space is not IdSpace.TASK:
        return None

    async def store(upload: BinaryUpload, _storing: Callable[[UnitOfWork], None]) -> bool:
        value = upload.value
        if value is None or upload.transient or upload.serialized or value.content is None:
            return False
        source = value.content
        # In memory (no file to read on the loop), and one chunk row.
        if source.file is not None or not 0 < source.size <= _inline_bytes(db):
            return False
        data = b"".join(source.read(source.size))
        try:
            stored = await postgres_small_values.store_in_task(
                connections,
                scope_id,
                name,
                value,
                data,
                now_millis(),
                local=resource.local,
                on_retry=db.on_write_retry,
            )
        except ScopeNotFoundError as error:
            raise EngineError(str(error)) from None
        if stored and db.group_commit.on_commit is not None:
            # A commit of its own, carrying one write: observed as the others (metrics).
            db.group_commit.on_commit(1)
        return stored

    return store


async def _visible(
    connections: AsyncConnections,
    db: Database,
    resource: VariableResource,
    scope_id: str,
    name: str,
) -> StoredValue:
    """As ``variables._visible``: the variable, or the same errors."""
    try:
        _, stored = await postgres_small_values.visible_from(
            connections,
            resource.id_space,
            scope_id,
            name,
            local=resource.local,
            inline_bytes=_inline_bytes(db),
        )
    except ScopeNotFoundError as error:
        raise EngineError(str(error)) from None
    return variables.found_variable(resource, name, stored)


def _inline_bytes(db: Database) -> int:
    """``BinaryContents.small_value_bytes`` of ``db``'s units of work."""
    return min(SMALL_VALUE_BYTES, db.chunk_bytes)
