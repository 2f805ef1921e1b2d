"""SQLite: the fast path's small binary uploads to a task's variable, raw on the writer.

The full store runs such an upload on the writer thread (:mod:`.sqlite_writer`) in a
unit of work: a ``Session`` made, joined to the batch's transaction and committed for
its few statements, each through SQLAlchemy's connection; together several times the
statements themselves. Here the same statements
(:meth:`.variables.Variables.set_in_task`'s, built once from the same definitions) run
on the writer connection's DBAPI cursor, in the batch's transaction, with the same
effects: the content row and its one chunk, the variable created or replaced at the
version read, the replaced content released unless history holds it (its file removed
once the batch has committed), the task's ``lastUpdated``.

What that does not cover is left to the full store, having written nothing: a task in
a process instance (its history records the write) and, for the task's variables (not
local), a task in another scope (the variable may live there).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.exc import IntegrityError

from taskvars.persistence.binary_contents import (
    DELETE_UNLESS_HISTORY_HOLDS,
    INSERT_CHUNK,
    INSERT_CONTENT,
    remove_after_commit,
)
from taskvars.persistence.content_files import ContentFiles
from taskvars.persistence.models import IdSpace
from taskvars.persistence.raw_statements import RawStatement
from taskvars.persistence.sqlite_writer import Turn
from taskvars.persistence.tasks import TOUCH_TASK
from taskvars.persistence.values import ConcurrentModificationError, NewValue, ScopeNotFoundError
from taskvars.persistence.variable_statements import VALUE_COLUMNS, new_values, value_columns
from taskvars.persistence.variables import INSERT_VARIABLE, TASK_AND_VARIABLE, UPDATE_VARIABLE

_VARIABLE_KEYS = ("id", "scope_pk", "name", "revision", *VALUE_COLUMNS)
_UPDATE_KEYS = ("variable_pk", "read_revision", *(f"new_{column}" for column in VALUE_COLUMNS))
# The savepoint of a write that shares its transaction with others' work.
_SAVEPOINT = "small_upload"


class SmallTaskUploads:
    """The statements, compiled once for the SQLite ``dialect``; ``content_files``: where
    the database keeps large contents (a replaced one's file goes after the commit)."""

    def __init__(self, dialect: Dialect, content_files: ContentFiles | None) -> None:
        self._find = RawStatement(TASK_AND_VARIABLE, dialect, ("task_id", "name"))
        self._content = RawStatement(INSERT_CONTENT, dialect, ("size", "digest", "file_name"))
        self._chunk = RawStatement(INSERT_CHUNK, dialect, ("content_pk", "seq", "data"))
        self._insert = RawStatement(INSERT_VARIABLE, dialect, _VARIABLE_KEYS)
        self._update = RawStatement(UPDATE_VARIABLE, dialect, _UPDATE_KEYS)
        self._release = RawStatement(DELETE_UNLESS_HISTORY_HOLDS, dialect, ("content_pk",))
        self._touch = RawStatement(TOUCH_TASK, dialect, ("task_pk", "now"))
        self._files = content_files

    def store_in_task(
        self,
        turn: Turn,
        task_id: str,
        name: str,
        value: NewValue,
        data: bytes,
        now: Callable[[], datetime],
        *,
        local: bool,
    ) -> bool:
        """Create or replace the task's own variable ``name`` with ``value``, whose content
        is ``data`` (at most one chunk), in ``turn``'s transaction; the task changed at
        ``now()``. Not ``local``: the variable as seen from the task, the same one where
        the task is in no other scope. ``False``: nothing written, the full store's
        work. Raises ``ScopeNotFoundError``, and ``ConcurrentModificationError`` when
        the variable is not as read."""
        assert value.content is not None
        driver: Any = turn.connection.connection.dbapi_connection
        cursor = driver.cursor()
        found = self._find.execute(cursor, {"task_id": task_id, "name": name})
        if not found:
            raise ScopeNotFoundError(IdSpace.TASK, task_id)
        (row,) = found
        if row.process_instance_pk is not None or (not local and row.parent_pk is not None):
            return False
        if not turn.savepoint:
            # First in its transaction: a failure rolls the whole of it back.
            self._write(cursor, turn, row, name, value, data, now())
            turn.joined = True
            return True
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            self._write(cursor, turn, row, name, value, data, now())
        except BaseException as error:
            try:
                cursor.execute(f"ROLLBACK TO {_SAVEPOINT}")
                cursor.execute(f"RELEASE {_SAVEPOINT}")
            except BaseException as undoing:
                turn.broken_by = turn.broken_by or undoing
            raise error
        cursor.execute(f"RELEASE {_SAVEPOINT}")
        turn.joined = True
        return True

    def _write(
        self,
        cursor: Any,
        turn: Turn,
        row: Any,
        name: str,
        value: NewValue,
        data: bytes,
        now: datetime,
    ) -> None:
        """As ``Variables._write`` of a task's own variable, outside history."""
        assert value.content is not None
        (created,) = self._content.execute(
            cursor, {"size": value.content.size, "digest": value.content.digest, "file_name": None}
        )
        content_pk = created.pk
        if data:
            self._chunk.execute(cursor, {"content_pk": content_pk, "seq": 0, "data": data})
        values = value_columns(value, content_pk)
        if row.pk is None:
            variable = {"id": str(uuid.uuid4()), "scope_pk": row.task_pk, "name": name}
            try:
                self._insert.execute(cursor, {**variable, "revision": 1, **values})
            except IntegrityError as error:
                raise ConcurrentModificationError(
                    f"variable {name} was created by another request meanwhile"
                ) from error
        else:
            update = {"variable_pk": row.pk, "read_revision": row.revision}
            update.update(new_values(values))
            self._update.execute(cursor, update)
            if cursor.rowcount != 1:
                raise ConcurrentModificationError(
                    f"variable {name} was changed by another request meanwhile"
                )
            if row.content_pk is not None:
                released = self._release.execute(cursor, {"content_pk": row.content_pk})
                removed = (found.file_name for found in released)
                remove_after_commit(self._files, removed, turn.after_commit.append)
        self._touch.execute(cursor, {"task_pk": row.task_pk, "now": now})
