"""SQLite: the fast path's small uploads to a task's variable, raw on the writer thread
(taskvars.persistence.sqlite_small_values): what they store is what the full store
reads back, what they do not cover they leave untouched, and one that fails in a batch
undoes only its own work."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from taskvars.persistence.models import BinaryContent
from taskvars.persistence.sqlite_small_values import SmallTaskUploads
from taskvars.persistence.sqlite_writer import SqliteWriter, Turn
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import (
    BinarySource,
    ConcurrentModificationError,
    NewValue,
    ScopeNotFoundError,
)
from taskvars.services import tasks, variables
from taskvars.services.variables import TASK_LOCAL_VARIABLES, TASK_VARIABLES
from tests.integration.writes import wait_until

NOW = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)


@pytest.fixture
def database(db_url: str, database_kind: str) -> Iterator[Database]:
    if database_kind != "sqlite":
        pytest.skip("the raw writes run on SQLite's writer thread")
    database = Database(db_url)
    try:
        database.write(lambda uow: tasks.create(uow, {"id": "t"}))
        database.write(lambda uow: tasks.create(uow, {"id": "sub", "parentTaskId": "t"}))
        yield database
    finally:
        database.dispose()


def parts(database: Database) -> tuple[SqliteWriter, SmallTaskUploads]:
    assert database.sqlite_writer is not None
    assert database.small_task_uploads is not None
    return database.sqlite_writer, database.small_task_uploads


def storing(
    database: Database,
    task_id: str,
    name: str,
    data: bytes,
    *,
    local: bool = True,
    value_type: Any = "Bytes",
) -> Callable[[Turn], bool]:
    _, uploads = parts(database)
    value = NewValue(type=value_type, content=BinarySource.of_bytes(data))

    def on_turn(turn: Turn) -> bool:
        return uploads.store_in_task(turn, task_id, name, value, data, lambda: NOW, local=local)

    return on_turn


def stored_bytes(database: Database, task_id: str, name: str) -> bytes:
    def read(uow: variables.UnitOfWork) -> bytes:
        found = variables.binary(uow, TASK_LOCAL_VARIABLES, task_id, name)
        return b"".join(variables.content(uow, found))

    return database.read(read)


def contents(database: Database) -> int:
    with database.unit_of_work(write=False) as uow:
        return int(uow.store.session.scalar(select(func.count()).select_from(BinaryContent)))


def test_what_a_raw_upload_stores_the_full_store_reads_and_a_replaced_content_goes(
    database: Database,
) -> None:
    writer, _ = parts(database)
    assert writer.run(storing(database, "t", "v", b"first"), 10) is True
    assert writer.run(storing(database, "t", "v", b"second", local=False), 10) is True
    assert writer.run(storing(database, "t", "empty", b""), 10) is True
    assert stored_bytes(database, "t", "v") == b"second"
    assert stored_bytes(database, "t", "empty") == b""
    assert contents(database) == 2  # the first content was released
    task = database.read(lambda uow: tasks.get(uow, "t"))
    assert task["lastUpdated"].startswith("2026-12-06T05:00:00")


def test_what_the_raw_statements_do_not_cover_is_left_untouched(database: Database) -> None:
    writer, _ = parts(database)
    before = contents(database)
    # The subtask's variables are its parent's too: the full store writes them.
    assert writer.run(storing(database, "sub", "v", b"x", local=False), 10) is False
    assert contents(database) == before
    # Its own variable is the raw statements' again.
    assert writer.run(storing(database, "sub", "v", b"x"), 10) is True
    seen = database.read(lambda uow: variables.get_all(uow, TASK_VARIABLES, "t", deserialize=True))
    assert "v" not in seen


def test_a_missing_task_is_told_and_nothing_written(database: Database) -> None:
    writer, _ = parts(database)
    with pytest.raises(ScopeNotFoundError):
        writer.run(storing(database, "nobody", "v", b"x"), 10)
    assert contents(database) == 0


def test_a_raw_upload_that_fails_in_a_batch_undoes_only_its_own_work(
    database: Database,
) -> None:
    """The second write of a batch runs in a savepoint: its content row, written before
    its variable failed, goes with it; the first write commits."""
    writer, _ = parts(database)
    first = storing(database, "t", "kept", b"kept")
    outcomes: dict[str, object] = {}

    def held(turn: Turn) -> bool:
        wait_until(lambda: writer.waiting == 1)
        return first(turn)

    def run(name: str, on_turn: Callable[[Turn], bool]) -> None:
        try:
            outcomes[name] = writer.run(on_turn, 10)
        except ConcurrentModificationError as error:
            outcomes[name] = type(error)

    threads = [threading.Thread(target=run, args=("kept", held))]
    threads[0].start()
    wait_until(lambda: writer.busy)
    # A type the column refuses (NOT NULL): the variable's INSERT fails after the content's.
    failing = storing(database, "t", "failed", b"lost", value_type=None)
    threads.append(threading.Thread(target=run, args=("failed", failing)))
    threads[1].start()
    for thread in threads:
        thread.join(timeout=30)
    assert outcomes == {"kept": True, "failed": ConcurrentModificationError}
    assert stored_bytes(database, "t", "kept") == b"kept"
    assert contents(database) == 1
