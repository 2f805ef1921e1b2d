"""A task count repeated on unchanged data is answered without counting again
(taskvars.persistence.count_reuse), and any change that commits, from this process or
from anywhere else, makes the next count count again."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from taskvars.engine import runtime
from taskvars.persistence.count_reuse import CAPACITY
from taskvars.persistence.database import postgres_connect_arguments
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.persistence.values import NewValue, TaskCriteria, VariableCondition
from taskvars.services import deployments, process_definitions, tasks
from tests.databases import SessionDatabase
from tests.private_postgres import quiet_session_database
from tests.statement_counter import counting

MODEL = Path(__file__).parents[1] / "bpmn" / "two-tasks.bpmn"
NAMED = TaskCriteria(name="Review")


@pytest.fixture(scope="module")
def postgresql_session_database() -> Iterator[SessionDatabase]:
    """PostgreSQL: a cluster of these tests' own. A snapshot is the whole cluster's: on
    the shared server, other tests' commits would make counts count again at random."""
    with quiet_session_database() as database:
        yield database


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """Three tasks named Review."""
    database = Database(db_url)
    try:
        for n in range(3):
            database.write(adding(f"t{n}", "Review"))
        yield database
    finally:
        database.dispose()


def add_task(uow: UnitOfWork, task_id: str, name: str) -> None:
    uow.store.tasks.add(task_id, None, {"created": datetime.now(UTC), "name": name})


def adding(task_id: str, name: str) -> Callable[[UnitOfWork], None]:
    """A write that adds the task and commits."""

    def write(uow: UnitOfWork) -> None:
        add_task(uow, task_id, name)
        uow.commit()

    return write


def count(database: Database, criteria: TaskCriteria = NAMED) -> int:
    return database.read(lambda uow: uow.store.tasks.count(criteria))


def counted(database: Database, criteria: TaskCriteria = NAMED) -> tuple[int, int]:
    """The count, and how many times the database counted for it."""
    with counting(database) as seen:
        result = count(database, criteria)
    return result, sum("count(" in statement.lower() for statement in seen.statements)


def test_the_same_count_on_unchanged_data_is_counted_once(database: Database) -> None:
    assert counted(database) == (3, 1)
    assert counted(database) == (3, 0)
    assert counted(database) == (3, 0)


def test_a_committed_write_makes_the_next_count_count_again(database: Database) -> None:
    assert counted(database) == (3, 1)
    database.write(adding("t3", "Review"))
    assert counted(database) == (4, 1)
    assert counted(database) == (4, 0)


def test_a_write_that_changes_no_counted_row_still_makes_the_count_count_again(
    database: Database,
) -> None:
    """Conservative: the database changed, whatever the change."""
    assert counted(database) == (3, 1)
    database.write(adding("other", "Other"))
    assert counted(database) == (3, 1)


def test_an_engine_step_makes_the_next_count_count_again(database: Database) -> None:
    request = deployments.DeploymentRequest(
        [deployments.DeploymentFile(MODEL.name, MODEL.read_bytes())]
    )
    database.write(lambda uow: deployments.deploy(uow, request))
    started = database.write(
        lambda uow: runtime.start(
            uow,
            process_definitions.by_key(uow, "twoTasks"),
            {"variables": {"order": {"value": "A-1", "type": "String"}}},
        )
    )
    packing = TaskCriteria(task_definition_key="pack", process_instance_id=started["id"])
    assert counted(database, packing) == (1, 1)
    assert counted(database, packing) == (1, 0)
    task_id = database.read(lambda uow: uow.store.tasks.query(packing))[0].id
    database.write(lambda uow: tasks.complete(uow, task_id, None, with_variables_in_return=False))
    assert counted(database, packing) == (0, 1)


def test_a_commit_by_another_connection_makes_the_next_count_count_again(
    database: Database, db_url: str
) -> None:
    assert counted(database) == (3, 1)
    rename = "UPDATE task SET name = 'Done' WHERE name = 'Review'"
    if database.kind == "sqlite":
        path = make_url(db_url).database
        assert path is not None
        other = sqlite3.connect(path)
        try:
            with other:
                other.execute(rename)
        finally:
            other.close()
    else:
        with psycopg.connect(**postgres_connect_arguments(make_url(db_url))) as other:
            other.execute(rename)
    assert counted(database) == (0, 1)


def test_a_write_rolled_back_after_counting_leaves_no_count_of_its_data(
    database: Database,
) -> None:
    """A write's count sees its own writes, which are not committed: it is not kept."""
    assert counted(database) == (3, 1)
    with database.unit_of_work(write=True) as uow:
        add_task(uow, "t3", "Review")
        assert uow.store.tasks.count(NAMED) == 4
        # not committed: rolled back as the unit of work closes
    assert count(database) == 3
    assert count(database) == 3


def test_criteria_that_compare_equal_but_match_differently_do_not_share_a_count(
    database: Database,
) -> None:
    """``True == 1`` in Python, but a Boolean criterion matches Booleans only."""

    def set_flag(uow: UnitOfWork) -> None:
        chain = uow.store.scopes.chain(IdSpace.TASK, "t0")
        flag = NewValue(type="Boolean", long_value=1)
        uow.store.variables.set(chain, "flag", flag, local=True)
        uow.commit()

    database.write(set_flag)
    as_boolean = TaskCriteria(variables=(VariableCondition("flag", "eq", True, task_local=True),))
    as_number = TaskCriteria(variables=(VariableCondition("flag", "eq", 1, task_local=True),))
    assert as_boolean == as_number
    assert count(database, as_boolean) == 1
    assert count(database, as_number) == 0


def test_different_criteria_keep_counts_of_their_own(database: Database) -> None:
    database.write(adding("x", "Other"))
    database.write(lambda uow: assign(uow, "x", "ann"))
    queries = [
        (NAMED, 3),
        (TaskCriteria(name="Other"), 1),
        (TaskCriteria(assignee="ann"), 1),
        (TaskCriteria(assignee="bob"), 0),
        (TaskCriteria(candidate_groups=["sales"]), 0),
    ]
    assert [counted(database, criteria) for criteria, _ in queries] == [
        (expected, 1) for _, expected in queries
    ]
    assert [counted(database, criteria) for criteria, _ in queries] == [
        (expected, 0) for _, expected in queries
    ]


def assign(uow: UnitOfWork, task_id: str, user: str) -> None:
    task = uow.store.tasks.get(task_id)
    assert task is not None
    uow.store.tasks.update(task.pk, {"assignee": user})
    uow.commit()


def test_the_kept_counts_stay_bounded_dropping_the_least_recently_used(
    database: Database,
) -> None:
    names = [f"name {n}" for n in range(CAPACITY + 5)]
    for name in names:
        assert counted(database, TaskCriteria(name=name)) == (0, 1)
    assert database.task_counts is not None
    assert len(database.task_counts) == CAPACITY
    assert counted(database, TaskCriteria(name=names[-1])) == (0, 0)
    assert counted(database, TaskCriteria(name=names[0])) == (0, 1)


def test_an_sqlite_count_after_other_reads_of_its_snapshot_is_counted(
    database: Database,
) -> None:
    """An SQLite read that read before the count has an older snapshot than the
    database's version now: its counts are neither kept nor answered from one kept."""
    if database.kind != "sqlite":
        pytest.skip("a PostgreSQL count reads its own snapshot in its own statement")
    assert counted(database) == (3, 1)

    def after_a_read(uow: UnitOfWork) -> int:
        uow.store.tasks.get("t0")
        return uow.store.tasks.count(NAMED)

    with counting(database) as seen:
        assert database.read(after_a_read) == 3
    assert sum("count(" in statement.lower() for statement in seen.statements) == 1


def test_an_sqlite_count_is_answered_when_its_version_connection_fails_and_is_replaced(
    database: Database,
) -> None:
    """Its version unknown, a count is counted and not kept; the next one reads its
    version on a new connection (numbered apart from the old one's: a data_version
    compares only with the same connection's) and sees the write between."""
    if database.kind != "sqlite":
        pytest.skip("SQLite's data_version is a connection's own")
    assert counted(database) == (3, 1)
    assert database.task_counts is not None
    versions = database.task_counts._versions  # the connection to break
    versions._connection.close()  # type: ignore[attr-defined]
    assert counted(database, TaskCriteria(name="Other")) == (0, 1)  # meets the failure
    database.write(adding("t3", "Review"))
    assert counted(database) == (4, 1)
    assert counted(database) == (4, 0)
