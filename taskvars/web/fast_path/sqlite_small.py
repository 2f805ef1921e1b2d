"""The fast path's small binary uploads to a task's variable on SQLite: raw statements
on the writer thread, no unit of work (:mod:`taskvars.persistence.sqlite_small_values`).

What the raw statements do not cover (a task in a process instance; for the task's
variables, a task in another scope) runs as the full store's work in the same turn of
the writer, with no second trip through its queue. Uploads of another shape (a large
value, a file on disk, the deprecated serialized upload, transient values) are not
taken at all: they go the way of every upload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskvars.errors import EngineError
from taskvars.handlers.http.variable_operations import StoredOtherwise
from taskvars.persistence.binary_contents import small_value_bytes
from taskvars.persistence.models import IdSpace
from taskvars.persistence.sqlite_writer import Turn
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import ScopeNotFoundError
from taskvars.services.binary_upload import BinaryUpload
from taskvars.services.dates import now_millis
from taskvars.services.variables import VariableResource

Storing = Callable[[UnitOfWork], None]


def upload_store(
    db: Database, resource: VariableResource, scope_id: str, name: str
) -> StoredOtherwise | None:
    """What stores an upload through the raw statements if it can (``True``: stored,
    maybe by ``storing``, the full store's work, in the same turn), or ``None`` where
    none can."""
    uploads, writer = db.small_task_uploads, db.sqlite_writer
    if uploads is None or writer is None or resource.id_space is not IdSpace.TASK:
        return None
    local = resource.local
    inline_bytes = small_value_bytes(db.chunk_bytes)

    async def store(upload: BinaryUpload, storing: Storing) -> bool:
        value = upload.value
        if value is None or upload.transient or upload.serialized or value.content is None:
            return False
        source = value.content
        # In memory (no file to read), and one chunk row at most.
        if source.file is not None or source.streamed is not None:
            return False
        if source.size > inline_bytes:
            return False
        data = b"".join(source.read(inline_bytes))
        in_unit_of_work = db.on_turn(storing)

        def on_turn(turn: Turn) -> Any:
            try:
                stored = uploads.store_in_task(
                    turn, scope_id, name, value, data, now_millis, local=local
                )
            except ScopeNotFoundError as error:
                raise EngineError(str(error)) from None
            return None if stored else in_unit_of_work(turn)

        await writer.run_async(on_turn)
        return True

    return store
