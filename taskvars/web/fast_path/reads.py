"""Where the fast path reads one variable, then answers from it.

The read is one statement of its own: on SQLite in a file, a raw statement on the
reading thread (:mod:`taskvars.persistence.sqlite_reader`); on PostgreSQL, one statement
on the event loop (:mod:`.postgres_small`). No unit of work, no worker thread. What that
read cannot answer (content in a file, a large value) is read in a snapshot of its own
on a worker thread, as the connexion handler reads it, given the variable the first
read found so that it is not looked up again (``variables._visible_again`` says when it
still holds). A database error of the statement is raised as SQLAlchemy's, as the
handler's read raises it, and answered alike; only a bare driver error (the reading
thread's cursor failing to open) sends the read to the snapshot from the start.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from taskvars.persistence.values import StoredValue
from taskvars.persistence.variables import RawVisibleFrom
from taskvars.services.variables import VariableResource, visible_found
from taskvars.web.fast_path import postgres_small
from taskvars.web.fast_path.worker import run_blocking

T = TypeVar("T")


async def read_then_answer(
    request: Any,
    resource: VariableResource,
    answer_from: Callable[[StoredValue], T | None],
    in_snapshot: Callable[[StoredValue | None], T],
) -> T:
    """``answer_from`` the variable the request names (raising the handler's errors for
    a missing scope or variable); when it gives ``None``, ``in_snapshot(found)`` on a
    worker thread, ``found`` being that variable (``None``: not read yet).
    ``request``: a :class:`~taskvars.web.fast_path.operations.FastRequest`."""
    found = await _read_alone(request, resource)
    if found is not None:
        answer = answer_from(found)
        if answer is not None:
            return answer
    return await run_blocking(in_snapshot, found)


async def _read_alone(request: Any, resource: VariableResource) -> StoredValue | None:
    """The variable, read in one statement of its own; ``None`` where there is none to
    run (or SQLite's driver failed before running it)."""
    database = request.database
    scope_id, name = request.scope_id_and_name
    reader, look_up = database.sqlite_reader, database.raw_visible_from
    if reader is not None and look_up is not None:
        try:
            stored: StoredValue = await reader.run(
                functools.partial(_visible, look_up, resource, scope_id, name)
            )
        except sqlite3.Error:
            return None
        return stored
    return await postgres_small.visible(database, resource, scope_id, name)


def _visible(
    look_up: RawVisibleFrom, resource: VariableResource, scope_id: str, name: str, cursor: Any
) -> StoredValue:
    return visible_found(
        resource,
        scope_id,
        name,
        lambda: look_up(cursor, resource.id_space, scope_id, name, local=resource.local),
    )
