"""Statements run raw (:mod:`taskvars.persistence.raw_statements`) store and answer what
they would through SQLAlchemy, and fail with SQLAlchemy's errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, bindparam, delete, event, exc, insert, select, text

from taskvars.persistence import raw_statements
from taskvars.persistence.binary_contents import INSERT_CHUNK, INSERT_CONTENT
from taskvars.persistence.models import IdentityLink, IdSpace, Scope, Task
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


@contextmanager
def through_sqlalchemy(database: Database) -> Iterator[list[str]]:
    """The statements SQLAlchemy executes inside the block (raw ones pass it by)."""
    executed: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        executed.append(statement)

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        yield executed
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)


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
    content = {"size": 1, "digest": "xxh3-128:" + "0" * 32, "file_name": None}
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


def test_several_rows_inserted_raw_are_stored_as_sqlalchemy_stores_them(
    database: Database,
) -> None:
    links = cast(Table, IdentityLink.__table__)
    rows = [
        {"type": "candidate", "user_id": None, "group_id": "warehouse"},
        {"type": "candidate", "user_id": "anna", "group_id": None},
        {"type": "assignee", "user_id": "bert", "group_id": None},
    ]
    with database.engine.begin() as connection:
        raw_pk, other_pk = scope_pk(connection, "raw"), scope_pk(connection, "through SQLAlchemy")
        with through_sqlalchemy(database) as executed:
            raw_statements.insert_rows(
                connection, links, [{"task_pk": raw_pk, **row} for row in rows]
            )
        assert executed == []
        connection.execute(insert(links), [{"task_pk": other_pk, **row} for row in rows])
        stored = {
            pk: connection.execute(
                select(links.c.type, links.c.user_id, links.c.group_id)
                .where(links.c.task_pk == pk)
                .order_by(links.c.pk)
            ).all()
            for pk in (raw_pk, other_pk)
        }
    assert stored[raw_pk] == stored[other_pk]
    assert len(stored[raw_pk]) == 3


def test_an_in_list_of_constants_or_of_numbered_values_runs_raw(database: Database) -> None:
    scopes = cast(Table, Scope.__table__)

    def of_tasks(count: int) -> Any:
        pks = raw_statements.numbered_binds(scopes.c.pk, "pk", count)
        return select(scopes.c.external_id).where(
            scopes.c.pk.in_(pks), raw_statements.one_of(scopes.c.id_space, [IdSpace.TASK])
        )

    with database.engine.begin() as connection:
        pks = [scope_pk(connection, "raw"), scope_pk(connection, "through SQLAlchemy")]
        statement = raw_statements.sized(of_tasks, len(pks))
        assert statement is raw_statements.sized(of_tasks, len(pks))  # built once
        with through_sqlalchemy(database) as executed:
            found = raw_statements.run(connection, statement, raw_statements.numbered("pk", pks))
    assert executed == []
    assert sorted(found.scalars()) == ["raw", "through SQLAlchemy"]
    assert raw_statements.sized(of_tasks, raw_statements.MAX_SIZED + 1) is None


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_a_raw_statement_on_a_connection_the_server_dropped_invalidates_it(
    database: Database,
) -> None:
    """A raw statement's lost connection is handled as SQLAlchemy handles its own: the
    error says the connection was invalidated, and the pool hands out a live one next."""
    with database.engine.connect() as connection:
        backend = int(connection.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())
        with database.engine.connect() as other:
            other.exec_driver_sql(f"SELECT pg_terminate_backend({backend})")
            other.commit()
        with pytest.raises(exc.OperationalError) as raised:
            raw_statements.run(connection, TOUCH_TASK, {"task_pk": 1, "now": datetime.now(UTC)})
        assert raised.value.connection_invalidated
        assert connection.invalidated
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
