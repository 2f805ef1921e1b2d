"""Where the fast path reads one variable, then answers from it.

On SQLite in a file the read is one raw statement on the reading thread
(:mod:`taskvars.persistence.sqlite_reader`): no unit of work, no worker thread. What
that one statement cannot answer (content in a file, a large value), and any database
error, is read again as the connexion handler reads it, in a snapshot of its own on a
worker thread: its answer, or its error, is then the handler's own.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from taskvars.persistence.values import StoredValue
from taskvars.persistence.variables import RawVisibleFrom
from taskvars.services.variables import VariableResource, visible_found
from taskvars.web.fast_path.worker import run_blocking

T = TypeVar("T")


async def read_then_answer(
    request: Any,
    resource: VariableResource,
    answer_from: Callable[[StoredValue], T | None],
    in_snapshot: Callable[[], T],
) -> T:
    """``answer_from`` the variable the request names (raising the handler's errors for
    a missing scope or variable); when it gives ``None``, ``in_snapshot()`` on a worker
    thread. ``request``: a :class:`~taskvars.web.fast_path.operations.FastRequest`."""
    database = request.database
    reader, look_up = database.sqlite_reader, database.raw_visible_from
    if reader is not None and look_up is not None:
        scope_id, name = request.scope_id_and_name
        try:
            stored = await reader.run(
                functools.partial(_visible, look_up, resource, scope_id, name)
            )
        except sqlite3.Error:
            pass  # read again below: the handler's read says what went wrong
        else:
            answer = answer_from(stored)
            if answer is not None:
                return answer
    return await run_blocking(in_snapshot)


def _visible(
    look_up: RawVisibleFrom, resource: VariableResource, scope_id: str, name: str, cursor: Any
) -> StoredValue:
    return visible_found(
        resource,
        scope_id,
        name,
        lambda: look_up(cursor, resource.id_space, scope_id, name, local=resource.local),
    )
