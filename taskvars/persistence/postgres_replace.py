"""PostgreSQL: a variable's new value, its task's ``lastUpdated`` and the release of the
content it held, in one data-modifying statement instead of three round trips.

Each part runs only if the variable is still the version that was read (the optimistic
lock of :mod:`.variables`); the content goes unless history holds it, as
``BinaryContents.release`` decides. Used where history records nothing of the write (a
write history records must reach history between the update and the release).
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, exists, func, select, update

from taskvars.persistence.models import BinaryContent, HistoricVariable, Task
from taskvars.persistence.variable_statements import VARIABLE as _VARIABLE
from taskvars.persistence.variable_statements import versioned_update

_CONTENT = cast(Table, BinaryContent.__table__)
_HISTORY = cast(Table, HistoricVariable.__table__)
_TASK = cast(Table, Task.__table__)


def _statement() -> Any:
    updated = versioned_update().returning(_VARIABLE.c.pk).cte("updated")
    was_updated = exists().select_from(updated)
    touched = (
        update(_TASK)
        .where(_TASK.c.scope_pk == bindparam("task_pk"), was_updated)
        .values(last_updated=bindparam("now"))
        .returning(_TASK.c.scope_pk)
        .cte("touched")
    )
    released = (
        _CONTENT.delete()
        .where(
            _CONTENT.c.pk == bindparam("old_content_pk"),
            was_updated,
            ~exists().where(_HISTORY.c.content_pk == bindparam("old_content_pk")),
        )
        .returning(_CONTENT.c.file_name)
        .cte("released")
    )
    return select(
        select(func.count()).select_from(updated).scalar_subquery().label("updated"),
        select(released.c.file_name).scalar_subquery().label("removed_file"),
    ).add_cte(touched)


class ReplaceInTask:
    """The statement, built once."""

    def __init__(self) -> None:
        self._statement = _statement()

    def run(self, connection: Connection, parameters: dict[str, Any]) -> tuple[bool, str | None]:
        """Whether the variable was still the version read, and the content file of the
        content released, if it had one."""
        row = connection.execute(self._statement, parameters).one()
        return row.updated == 1, row.removed_file
