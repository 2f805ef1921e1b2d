"""More ids than one statement may bind (SQLite takes 32,766 parameters by default and
250,000 as Debian builds it, PostgreSQL 65,535): comments looked up and deleted, task
chains and variables read for a page of tasks, the ids in batches, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.query_statements import IN_LIST_BATCH, in_batches
from taskvars.persistence.task_comments import CommentRecord
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import ScopeRef
from taskvars.services import tasks
from taskvars.services.typed_values import value_from_dto

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


def test_a_page_of_more_tasks_than_a_statement_binds_gets_its_chains_and_variables(
    database: Database,
) -> None:
    """``withTaskVariablesInReturn`` over every task reads their chains and variables
    for all their scopes at once: in batches, so that no statement binds too many."""
    with database.unit_of_work(write=True) as uow:
        tasks.create(uow, {"id": "real"})
    with database.unit_of_work(write=True) as uow:
        real_pk = uow.store.scopes.pk(IdSpace.TASK, "real")
        assert real_pk is not None
        uow.store.variables.set_local(real_pk, "note", value_from_dto({"value": "kept"}))
        uow.commit()
    pks = [real_pk, *range(real_pk + 1, real_pk + MANY)]  # the rest exist nowhere
    with database.unit_of_work(write=False) as uow:
        chains = uow.store.scopes.chains(pks)
        assert [scope.external_id for scope in chains[real_pk]] == ["real"]
        assert sum(1 for chain in chains.values() if chain) == 1
        own = {pk: [ScopeRef(pk, ScopeKind.TASK, str(pk))] for pk in pks}
        visible = uow.store.variables.all_visible_from_each(own)
    assert visible[real_pk]["note"].text_value == "kept"
    assert sum(1 for found in visible.values() if found) == 1
