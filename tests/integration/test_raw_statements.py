"""Statements run raw (:mod:`taskvars.persistence.raw_statements`) store and answer what
they would through SQLAlchemy, and fail with SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, delete, exc, insert, select, text

from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import INSERT_CHUNK, INSERT_CONTENT
from taskvars.persistence.models import Task
from taskvars.persistence.tasks import TOUCH_TASK
from taskvars.persistence.unit_of_work import Database
from taskvars.services import tasks

_TASK = cast(Table, Task.__table__)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    for task_id in ("raw", "through SQLAlchemy"):
        database.write(lambda uow, task_id=task_id: tasks.create(uow, {"id": task_id}))
    yield database
    database.dispose()


def scope_pk(connection: Any, task_id: str) -> int:
    return int(
        connection.scalar(
            text("SELECT pk FROM scope WHERE id_space = 'task' AND external_id = :id"),
            {"id": task_id},
        )
    )


def test_a_raw_write_stores_what_sqlalchemy_stores(database: Database) -> None:
    now = datetime(2026, 12, 6, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=2)))
    with database.engine.begin() as connection:
        raw_pk, other_pk = scope_pk(connection, "raw"), scope_pk(connection, "through SQLAlchemy")
        changed = raw_statements.run(connection, TOUCH_TASK, {"task_pk": raw_pk, "now": now})
        connection.execute(TOUCH_TASK, {"task_pk": other_pk, "now": now})
        stored = dict(
            connection.execute(text("SELECT scope_pk, CAST(last_updated AS TEXT) FROM task")).all()
        )
        read = dict(connection.execute(select(_TASK.c.scope_pk, _TASK.c.last_updated)).all())
    assert changed.rowcount == 1
    assert stored[raw_pk] == stored[other_pk]
    assert read[raw_pk] == read[other_pk]


def test_a_raw_statement_answers_its_rows_by_column_name(database: Database) -> None:
    statement = select(_TASK.c.scope_pk, _TASK.c.last_updated).where(
        _TASK.c.scope_pk == bindparam("pk")
    )
    with database.engine.begin() as connection:
        pk = scope_pk(connection, "raw")
        (row,) = raw_statements.run(connection, statement, {"pk": pk}).rows
        expected = connection.execute(statement, {"pk": pk}).one()
    assert (row.scope_pk, row.last_updated) == (expected.scope_pk, expected.last_updated)


def test_a_raw_statement_fails_with_sqlalchemys_error(database: Database) -> None:
    content = {"size": 1, "sha256": "0" * 64, "file_name": None}
    with database.engine.begin() as connection:
        content_pk = raw_statements.run(connection, INSERT_CONTENT, content).scalar_one()
        chunk = {"content_pk": content_pk, "seq": 0, "data": b"x"}
        raw_statements.run(connection, INSERT_CHUNK, chunk)
        with pytest.raises(exc.IntegrityError):
            raw_statements.run(connection, INSERT_CHUNK, chunk)


def test_a_statement_with_an_expanding_in_runs_through_sqlalchemy(database: Database) -> None:
    statement = select(_TASK.c.scope_pk).where(
        _TASK.c.scope_pk.in_(bindparam("pks", expanding=True))
    )
    with database.engine.begin() as connection:
        pks = [scope_pk(connection, "raw"), scope_pk(connection, "through SQLAlchemy")]
        found = raw_statements.run(connection, statement, {"pks": pks}).scalars()
    assert sorted(found) == sorted(pks)


def test_an_insert_leaving_out_a_column_with_a_python_default_stores_the_default(
    database: Database,
) -> None:
    created = datetime(2026, 12, 6, 1, 2, 3, tzinfo=UTC)
    with database.engine.begin() as connection:
        pk = scope_pk(connection, "raw")
        connection.execute(delete(_TASK).where(_TASK.c.scope_pk == pk))
        raw_statements.run(connection, insert(_TASK), {"scope_pk": pk, "created": created})
        priority = connection.scalar(select(_TASK.c.priority).where(_TASK.c.scope_pk == pk))
    assert priority == _TASK.c.priority.default.arg  # type: ignore[union-attr]
