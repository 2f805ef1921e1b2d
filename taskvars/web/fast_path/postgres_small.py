"""The fast path's small requests on PostgreSQL, each one statement on the event loop
(:mod:`taskvars.persistence.postgres_small_values`), with no worker thread and no
transaction round trips: the read of one variable (a small binary value's bytes with
it) that variable reads and downloads answer from (:mod:`.reads`), and binary uploads
of a small value to a task's variable (several arriving together in one transaction).

Each function answers ``None`` (or ``False``) when it did nothing and the request takes
the way of every database: on SQLite, in an app without a lifespan, and for what one
statement does not cover (a large value, a task in a process instance, whose history
records the write, or a task's variables seen through another scope, the deprecated
serialized upload, transient values). Answers and
errors are made by the functions the full pipeline uses, from the same row.
"""

from __future__ import annotations

from collections.abc import Callable

from taskvars.errors import EngineError
from taskvars.handlers.http.variable_operations import StoredOtherwise
from taskvars.persistence import postgres_small_values
from taskvars.persistence.async_postgres import connections_of
from taskvars.persistence.binary_contents import SMALL_VALUE_BYTES
from taskvars.persistence.models import IdSpace
from taskvars.persistence.postgres_small_values import TaskUpload
from taskvars.persistence.task_upload_batches import batches_of
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import ScopeNotFoundError, StoredValue
from taskvars.services import variables
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.dates import now_millis
from taskvars.services.variables import VariableResource


async def visible(
    db: Database, resource: VariableResource, scope_id: str, name: str
) -> StoredValue | None:
    """As ``variables._visible``: the variable (a small binary value's bytes with it),
    or the same errors; ``None`` where there are no connections for it."""
    connections = connections_of(db)
    if connections is None:
        return None
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


def upload_store(
    db: Database, resource: VariableResource, scope_id: str, name: str
) -> StoredOtherwise | None:
    """What stores an upload in one statement if it can (``True``: stored), or ``None``
    where none can. Uploads that arrive together share a transaction
    (:mod:`taskvars.persistence.task_upload_batches`). (Its second argument, the full
    store's work, is for :func:`.sqlite_small.upload_store`: here what one statement
    cannot do is left to the caller.)"""
    batches = batches_of(db)
    if batches is None or resource.id_space is not IdSpace.TASK:
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
        upload_to_task = TaskUpload(scope_id, name, value, data, now_millis(), resource.local)
        try:
            return await batches.store(upload_to_task)
        except ScopeNotFoundError as error:
            raise EngineError(str(error)) from None

    return store


def _inline_bytes(db: Database) -> int:
    """``BinaryContents.small_value_bytes`` of ``db``'s units of work."""
    return min(SMALL_VALUE_BYTES, db.chunk_bytes)
