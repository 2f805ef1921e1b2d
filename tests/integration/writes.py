"""The databases and writes the writer tests share: task ``task`` with its local
variable ``taken`` (test_group_commit.py, test_sqlite_writer.py), a standalone task
alone (the task-local write tests), writes that set task-local variables, and what
they left stored."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import select

from taskvars.persistence.models import IdSpace, Variable
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import NewValue
from tests.integration.test_store import deep_chain


@contextmanager
def task_with_a_local_variable(db_url: str) -> Iterator[Database]:
    """A database holding task ``task`` (at the end of a scope chain) with its local
    variable ``taken``; small chunks, so that a small binary value spans several."""
    database = Database(db_url, chunk_bytes=1024)
    try:
        with database.unit_of_work(write=True) as uow:
            deep_chain(uow, 0)
            chain = uow.store.scopes.chain(IdSpace.TASK, "task")
            uow.store.variables.set(chain, "taken", text("first"), local=True)
            uow.commit()
        yield database
    finally:
        database.dispose()


@contextmanager
def database_with_a_task(db_url: str, task_id: str = "t") -> Iterator[Database]:
    """A database holding the standalone task ``task_id``, disposed of afterwards."""
    database = Database(db_url)
    try:
        with database.unit_of_work(write=True) as uow:
            uow.store.tasks.add(task_id, None, {"created": datetime.now(UTC)})
            uow.commit()
        yield database
    finally:
        database.dispose()


def text(value: str) -> NewValue:
    return NewValue(type="String", text_value=value)


def set_variable(name: str, value: NewValue) -> Callable[[UnitOfWork], None]:
    def write(uow: UnitOfWork) -> None:
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, name, value, local=True)

    return write


def names_stored(database: Database) -> set[str]:
    with database.unit_of_work(write=False) as uow:
        return set(uow.store.session.scalars(select(Variable.name)))


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)
