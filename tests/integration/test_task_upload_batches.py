"""Small uploads to tasks' variables on PostgreSQL that arrive together share one
transaction (taskvars.persistence.task_upload_batches): one commit for all, each
upload's answer its own (stored, a missing task, a value the database refuses), one
upload per variable a batch, and an upload whose request went away before it was sent
left out. On a real server."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from taskvars.persistence.async_postgres import AsyncConnections
from taskvars.persistence.database import postgres_connect_arguments
from taskvars.persistence.models import ID_LENGTH, IdSpace
from taskvars.persistence.postgres_small_values import TaskUpload
from taskvars.persistence.task_upload_batches import TaskUploadBatches
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import BinarySource, NewValue, ScopeNotFoundError
from tests.integration.writes import database_with_a_task

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(db_url: str, database_kind: str) -> Iterator[Database]:
    if database_kind != "postgresql":
        pytest.skip("PostgreSQL's transactions")
    with database_with_a_task(db_url) as database:
        yield database


def upload(name: str, data: bytes, task_id: str = "t") -> TaskUpload:
    value = NewValue(type="Bytes", content=BinarySource.of_bytes(data))
    return TaskUpload(task_id, name, value, data, datetime.now(UTC), local=True)


def run(database: Database, scenario: Any) -> Any:
    """``scenario(batches)`` on an event loop, and the sizes of the commits it made."""
    commits: list[int] = []
    database.group_commit.on_commit = commits.append

    async def main() -> Any:
        connections = AsyncConnections(postgres_connect_arguments(database.engine.url))
        try:
            return await scenario(TaskUploadBatches(connections, database))
        finally:
            await connections.close()

    return asyncio.run(asyncio.wait_for(main(), 60)), commits


def stored(database: Database, name: str) -> tuple[bytes, int] | None:
    """The variable's bytes and revision."""
    with database.unit_of_work(write=False) as uow:
        found = uow.store.variables.visible_from(IdSpace.TASK, "t", name, local=True)
        if found is None:
            return None
        revision = (
            uow.store.session.connection()
            .exec_driver_sql("SELECT revision FROM variable WHERE name = %(name)s", {"name": name})
            .scalar_one()
        )
        return b"".join(uow.store.contents.chunks(found)), revision


def test_uploads_arriving_together_are_stored_in_one_commit(database: Database) -> None:
    async def scenario(batches: TaskUploadBatches) -> list[bool]:
        return await asyncio.gather(*(batches.store(upload(f"v{n}", b"%d" % n)) for n in range(5)))

    answers, commits = run(database, scenario)
    assert answers == [True] * 5
    assert commits == [5]
    assert [stored(database, f"v{n}") for n in range(5)] == [(b"%d" % n, 1) for n in range(5)]


def test_each_upload_of_a_batch_gets_its_own_answer(database: Database) -> None:
    async def scenario(batches: TaskUploadBatches) -> list[Any]:
        return await asyncio.gather(
            batches.store(upload("first", b"1")),
            batches.store(upload("kept", b"2")),
            batches.store(upload("elsewhere", b"3", task_id="nobody")),
            batches.store(upload("x" * (ID_LENGTH + 1), b"4")),  # too long a name
            batches.store(upload("also kept", b"5")),
            return_exceptions=True,
        )

    answers, _ = run(database, scenario)
    assert answers[:2] == [True, True]
    assert isinstance(answers[2], ScopeNotFoundError)
    assert "value too long" in str(answers[3])
    assert answers[4] is True
    assert stored(database, "kept") == (b"2", 1)
    assert stored(database, "also kept") == (b"5", 1)


def test_uploads_to_one_variable_go_in_separate_batches_in_order(database: Database) -> None:
    async def scenario(batches: TaskUploadBatches) -> list[bool]:
        return await asyncio.gather(
            batches.store(upload("lead", b"0")),
            batches.store(upload("v", b"a")),
            batches.store(upload("v", b"b")),
        )

    answers, commits = run(database, scenario)
    assert answers == [True, True, True]
    assert commits == [2, 1]  # the second upload to "v" waited for the first
    assert stored(database, "v") == (b"b", 2)


def test_an_upload_whose_request_went_away_before_it_was_sent_is_left_out(
    database: Database,
) -> None:
    async def scenario(batches: TaskUploadBatches) -> bool:
        lead = asyncio.create_task(batches.store(upload("lead", b"0")))
        gone = asyncio.create_task(batches.store(upload("gone", b"1")))
        await asyncio.sleep(0)  # both are waiting, neither sent yet
        gone.cancel()
        return await lead

    answer, _ = run(database, scenario)
    assert answer is True
    assert stored(database, "gone") is None


def test_stored_uploads_are_answered_even_when_observing_their_commit_fails(
    database: Database,
) -> None:
    def failing_observer(_writes: int) -> None:
        raise RuntimeError("a metrics backend broke")

    async def scenario(batches: TaskUploadBatches) -> list[bool]:
        database.group_commit.on_commit = failing_observer
        return await asyncio.gather(*(batches.store(upload(f"v{n}", b"%d" % n)) for n in range(3)))

    answers, _ = run(database, scenario)
    assert answers == [True] * 3
    assert [stored(database, f"v{n}") for n in range(3)] == [(b"%d" % n, 1) for n in range(3)]


def test_a_batch_waits_for_a_task_row_lock_no_longer_than_a_shared_write(
    database: Database,
) -> None:
    async def scenario(batches: TaskUploadBatches) -> list[bool]:
        return await asyncio.gather(*(batches.store(upload(f"v{n}", b"%d" % n)) for n in range(3)))

    # Another transaction holds the task row (as another process's batch would), and
    # lets go of it only after the batch's lock wait has run out.
    with database.engine.connect() as holder:
        holder.exec_driver_sql(
            "SELECT 1 FROM task JOIN scope ON scope.pk = task.scope_pk"
            " WHERE scope.external_id = 't' FOR UPDATE OF task"
        )

        async def released_later(batches: TaskUploadBatches) -> list[bool]:
            stores = asyncio.ensure_future(scenario(batches))
            await asyncio.sleep(1.0)  # 10x the batch's lock wait
            holder.rollback()
            return await stores

        answers, _ = run(database, released_later)
    assert answers == [True] * 3
    # The batch gave up on the lock, and each upload was stored on its own: three
    # transactions wrote the rows (one batch would have waited the whole second).
    with database.engine.connect() as connection:
        transactions = connection.exec_driver_sql(
            "SELECT count(DISTINCT xmin::text) FROM variable WHERE name IN ('v0', 'v1', 'v2')"
        ).scalar_one()
    assert transactions == 3
