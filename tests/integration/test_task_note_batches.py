"""Comments looked up or deleted for more task ids than one statement may bind (SQLite
takes 32,766 parameters by default and 250,000 as Debian builds it, PostgreSQL 65,535):
the ids go in batches, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from taskvars.persistence.query_statements import IN_LIST_BATCH, in_batches
from taskvars.persistence.task_comments import CommentRecord
from taskvars.persistence.unit_of_work import Database

MANY = 260_000  # more than either database binds into one statement


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def _comment(task_id: str) -> CommentRecord:
    return CommentRecord(
        id=f"c-{task_id}",
        task_id=task_id,
        process_instance_id=None,
        root_process_instance_id=None,
        user_id=None,
        time=datetime(2026, 12, 5, tzinfo=UTC),
        message="noted",
    )


def test_ids_go_in_batches_of_a_bounded_size() -> None:
    batches = list(in_batches(range(2 * IN_LIST_BATCH + 1)))
    assert [len(batch) for batch in batches] == [IN_LIST_BATCH, IN_LIST_BATCH, 1]
    assert [item for batch in batches for item in batch] == list(range(2 * IN_LIST_BATCH + 1))
    assert list(in_batches([])) == []


def test_comments_are_found_and_deleted_among_more_ids_than_a_statement_binds(
    database: Database,
) -> None:
    task_ids = [f"t{number:05d}" for number in range(MANY)]
    noted = {task_ids[7], task_ids[MANY - 1]}
    with database.unit_of_work(write=True) as uow:
        for task_id in noted:
            uow.store.task_comments.add(_comment(task_id))
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        assert uow.store.task_comments.tasks_with_any(task_ids) == noted
    with database.unit_of_work(write=True) as uow:
        uow.store.task_comments.delete_of_instances([], task_ids)
        uow.commit()
    with database.unit_of_work(write=False) as uow:
        assert uow.store.task_comments.tasks_with_any(task_ids) == set()
