"""The SQLite reading thread and the raw read of one variable it runs: reads run in
autocommit on a connection outside the pool, reads queued together wake their loop
once, a failing read fails its own caller only, and the raw read finds what the unit of
work's read finds."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.persistence.models import IdSpace
from taskvars.persistence.sqlite_reader import SqliteReader
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import BinarySource, NewValue, ScopeNotFoundError, StoredValue
from taskvars.persistence.variables import RawVisibleFrom
from tests.integration.test_group_commit import text
from tests.integration.test_store import deep_chain


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """Task ``task`` two executions below its process instance ``pi``, which holds
    ``shared``; the task holds ``own``, a small Bytes value."""
    database = Database(db_url)
    if database.sqlite_reader is None:
        database.dispose()
        pytest.skip("the reading thread is SQLite's")
    with database.unit_of_work(write=True) as uow:
        deep_chain(uow, 2)
        chain = uow.store.scopes.chain(IdSpace.TASK, "task")
        uow.store.variables.set(chain, "shared", text("on the instance"), local=False)
        own = NewValue(type="Bytes", content=BinarySource.of_bytes(b"\x00\x01 bytes"))
        uow.store.variables.set(chain, "own", own, local=True)
        uow.commit()
    yield database
    database.dispose()


def reader_of(database: Database) -> SqliteReader:
    assert database.sqlite_reader is not None
    return database.sqlite_reader


def test_a_read_runs_in_autocommit_on_a_connection_of_its_own(database: Database) -> None:
    def in_transaction(cursor: Any) -> bool:
        cursor.execute("SELECT 1")
        return bool(cursor.connection.in_transaction)

    assert asyncio.run(reader_of(database).run(in_transaction)) is False
    assert database.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_a_failing_read_fails_its_own_caller_only(database: Database) -> None:
    def failing(cursor: Any) -> None:
        cursor.execute("SELECT * FROM no_such_table")

    async def both() -> list[Any]:
        reader = reader_of(database)
        return await asyncio.gather(
            reader.run(failing), reader.run(lambda cursor: "read"), return_exceptions=True
        )

    failed, read = asyncio.run(both())
    assert isinstance(failed, sqlite3.OperationalError)
    assert read == "read"


def test_reads_queued_while_the_reader_is_busy_wake_their_loop_once(database: Database) -> None:
    reader = reader_of(database)
    started, queued = threading.Event(), threading.Event()

    def first(cursor: Any) -> str:
        started.set()
        queued.wait(10)  # the others are queued behind it meanwhile
        return "first"

    async def reads() -> list[str]:
        running = asyncio.ensure_future(reader.run(first))
        await asyncio.to_thread(started.wait, 10)
        others = [reader.run(lambda cursor, n=n: f"read {n}") for n in range(5)]
        waiting = [asyncio.ensure_future(other) for other in others]
        await asyncio.sleep(0)  # each is queued as it starts
        queued.set()
        return [await running, *[await other for other in waiting]]

    before = reader.batches
    assert asyncio.run(reads()) == ["first", *[f"read {n}" for n in range(5)]]
    assert reader.batches - before == 2


def test_a_stopped_reader_reads_again(database: Database) -> None:
    reader = reader_of(database)
    assert asyncio.run(reader.run(lambda cursor: 1)) == 1
    reader.stop()
    assert asyncio.run(reader.run(lambda cursor: 2)) == 2


@pytest.mark.parametrize(
    ("id_space", "scope_id", "name", "local"),
    [
        (IdSpace.TASK, "task", "shared", False),
        (IdSpace.TASK, "task", "shared", True),
        (IdSpace.TASK, "task", "own", False),
        (IdSpace.TASK, "task", "own", True),
        (IdSpace.TASK, "task", "missing", False),
        (IdSpace.EXECUTION, "pi", "shared", True),
        (IdSpace.EXECUTION, "ex-1", "own", False),
    ],
)
def test_the_raw_read_finds_what_the_unit_of_works_read_finds(
    database: Database, id_space: IdSpace, scope_id: str, name: str, local: bool
) -> None:
    with database.unit_of_work(write=False) as uow:
        expected = uow.store.variables.visible_from(id_space, scope_id, name, local=local)
    assert raw_read(database, id_space, scope_id, name, local=local) == expected


def test_the_raw_read_of_a_scope_that_does_not_exist_says_so(database: Database) -> None:
    with pytest.raises(ScopeNotFoundError):
        raw_read(database, IdSpace.TASK, "no such task", "own", local=False)


def raw_read(
    database: Database, id_space: IdSpace, scope_id: str, name: str, *, local: bool
) -> StoredValue | None:
    look_up = database.raw_visible_from
    assert isinstance(look_up, RawVisibleFrom)
    return asyncio.run(
        reader_of(database).run(
            lambda cursor: look_up(cursor, id_space, scope_id, name, local=local)
        )
    )
