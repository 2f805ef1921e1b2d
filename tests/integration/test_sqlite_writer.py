"""The SQLite writer thread (and PostgreSQL's group commit where the behaviour is
shared): writes queued together share one commit, a writer that fails undoes only its
own work, a lone writer runs no savepoint, awaited writes wake their loop once a batch."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from taskvars.persistence.sqlite_writer import SqliteWriter
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from tests.integration.writes import (
    names_stored,
    set_variable,
    task_with_a_local_variable,
    text,
    wait_until,
)


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    with task_with_a_local_variable(db_url) as database:
        yield database


def writer_of(database: Database) -> SqliteWriter:
    if database.sqlite_writer is None:
        pytest.skip("the writer thread is SQLite's")
    return database.sqlite_writer


def committing(name: str, value: str = "1") -> Callable[[UnitOfWork], str]:
    def work(uow: UnitOfWork) -> str:
        set_variable(name, text(value))(uow)
        uow.commit()
        return name

    return work


def holding_until(waiting: Callable[[], bool], work: Callable[[UnitOfWork], Any]) -> Any:
    """``work``, once ``waiting()``: the writers the test queues are behind it (on the
    writer thread, where a test may wait; the server's work never does)."""

    def held(uow: UnitOfWork) -> Any:
        wait_until(waiting)
        return work(uow)

    return held


def failing_after_writing(name: str) -> Callable[[UnitOfWork], None]:
    def work(uow: UnitOfWork) -> None:
        set_variable(name, text("must not stay"))(uow)
        uow.store.session.flush()
        raise RuntimeError(f"{name} failed")

    return work


def write_in_threads(
    database: Database, works: dict[str, Callable[[UnitOfWork], Any]]
) -> dict[str, str]:
    outcomes: dict[str, str] = {}

    def writer(name: str, work: Callable[[UnitOfWork], Any]) -> None:
        try:
            database.write(work)
            outcomes[name] = "committed"
        except RuntimeError as error:
            outcomes[name] = str(error)

    threads = []
    for name, work in works.items():
        thread = threading.Thread(target=writer, args=(name, work))
        thread.start()
        threads.append(thread)
        if len(threads) == 1:
            wait_until(lambda: database.group_commit.busy)
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("failing_first", [False, True], ids=["in-a-savepoint", "first"])
def test_a_writer_that_fails_in_a_batch_undoes_only_its_own_work(
    database: Database,
    failing_first: bool,
) -> None:
    """The batch's first writer runs in no savepoint: when it fails the transaction is
    rolled back whole (nobody else's work is in it yet) and the others still commit."""
    writer = database.group_commit
    hold = holding_until(lambda: writer.waiting == 3, failing_after_writing("failing"))
    works: dict[str, Callable[[UnitOfWork], Any]] = (
        {"failing": hold, "a": committing("a")}
        if failing_first
        else {"a": holding_until(lambda: writer.waiting == 3, committing("a"))}
    )
    works |= {"b": committing("b")}
    if not failing_first:
        works |= {"failing": failing_after_writing("failing")}
    works |= {"c": committing("c")}
    before = writer.batches_committed

    outcomes = write_in_threads(database, works)

    assert outcomes == {
        "a": "committed",
        "b": "committed",
        "c": "committed",
        "failing": "failing failed",
    }
    assert writer.batches_committed == before + 1
    assert names_stored(database) == {"taken", "a", "b", "c"}


def test_a_write_that_does_not_commit_leaves_nothing_without_a_savepoint(
    database: Database,
) -> None:
    def looks_only(uow: UnitOfWork) -> str:
        set_variable("flushed", text("x"))(uow)
        uow.store.session.flush()
        return "answered"  # and no commit

    assert database.write(looks_only) == "answered"
    assert database.write(committing("after")) == "after"
    assert names_stored(database) == {"taken", "after"}


def statements_of(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def commit_statements(database: Database) -> Iterator[list[str]]:
    yield from statements_of(database.commit_engine)


def test_a_lone_writer_runs_no_savepoint(
    database: Database,
    commit_statements: list[str],
) -> None:
    database.write(committing("alone"))
    assert commit_statements, "the statements of the write were not seen"
    assert "SAVEPOINT" not in commit_statements
    assert "RELEASE" not in commit_statements
    with database.unit_of_work(write=True) as uow:  # a with block, as the CLI writes
        set_variable("borrowed", text("1"))(uow)
        uow.commit()
    assert "SAVEPOINT" not in commit_statements
    assert names_stored(database) == {"taken", "alone", "borrowed"}


def test_the_second_writer_of_a_batch_runs_in_a_savepoint(
    database: Database,
    commit_statements: list[str],
) -> None:
    group = database.group_commit
    outcomes = write_in_threads(
        database,
        {
            "a": holding_until(lambda: group.waiting == 1, committing("a")),
            "b": committing("b"),
        },
    )
    assert outcomes == {"a": "committed", "b": "committed"}
    assert commit_statements.count("SAVEPOINT") == 1
    assert names_stored(database) == {"taken", "a", "b"}


def test_awaited_writes_of_several_coroutines_share_one_commit_and_one_wake_up(
    database: Database,
) -> None:
    writer = writer_of(database)
    before = writer.batches_committed
    wake_ups: list[int] = []

    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        call_soon_threadsafe = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any, **kwargs: Any) -> Any:
            wake_ups.append(1)
            return call_soon_threadsafe(callback, *args, **kwargs)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        first = asyncio.ensure_future(
            database.write_async(holding_until(lambda: writer.waiting == 4, committing("w0")))
        )
        others = [database.write_async(committing(f"w{n}")) for n in range(1, 5)]
        return await asyncio.gather(first, *others)

    assert asyncio.run(main()) == [f"w{n}" for n in range(5)]
    assert writer.batches_committed == before + 1
    assert wake_ups == [1]
    assert names_stored(database) == {"taken", *(f"w{n}" for n in range(5))}


def test_an_awaited_write_that_fails_raises_its_own_error(database: Database) -> None:
    async def main() -> None:
        await database.write_async(failing_after_writing("failing"))

    with pytest.raises(RuntimeError, match="failing failed"):
        asyncio.run(main())
    assert names_stored(database) == {"taken"}


def test_a_write_from_inside_a_write_is_refused_not_deadlocked(
    database: Database,
) -> None:
    writer_of(database)

    def nested(uow: UnitOfWork) -> None:
        database.write(committing("inner"))

    with pytest.raises(RuntimeError, match="writer's own thread"):
        database.write(nested)
    database.write(committing("after"))
    assert names_stored(database) == {"taken", "after"}


def test_the_writer_keeps_its_connection_from_batch_to_batch_out_of_the_pool(
    database: Database,
) -> None:
    writer_of(database)
    used: list[int] = []

    def noting_its_connection(uow: UnitOfWork) -> None:
        used.append(id(uow.store.session.connection().connection.dbapi_connection))
        set_variable(f"w{len(used)}", text("1"))(uow)
        uow.commit()

    database.write(noting_its_connection)
    database.write(noting_its_connection)
    assert used[0] == used[1]
    pool: Any = database.commit_engine.pool
    assert pool.checkedout() == 0  # the pool lends nothing between requests
    database.dispose()  # the writer ends and closes it; a later write opens another
    database.write(noting_its_connection)
    assert names_stored(database) == {"taken", "w1", "w2", "w3"}
