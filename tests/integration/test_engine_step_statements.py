"""An engine step runs a fixed, small number of SQL statements: the two-task process
(``two-tasks.bpmn``, also the benchmark's) started and its two user tasks completed,
each step's statements counted. Transaction control (BEGIN, SAVEPOINT, RELEASE) is left
out: it belongs to the commit, not to the step. A pin going down is welcome (lower it);
one going up is a regression."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from taskvars.engine import runtime
from taskvars.persistence.unit_of_work import Database, UnitOfWork
from taskvars.services import deployments, process_definitions, task_query, tasks
from tests.statement_counter import counting

MODEL = Path(__file__).parents[1] / "bpmn" / "two-tasks.bpmn"
TRANSACTION_CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", "SET ")

# The statements of each step, by what they do:
# start: the definition; the instance's scope, its row and history; the start variable
# (its row, its history: a new instance has none to look for); the variable the first
# task's name reads; the task's scope, row, candidate group and history; the
# activities' history; the run.
START = 13
# complete: the task's scope chain; the run read and claimed (with the instance's
# caller and, on SQLite, its suspension); the task as it ends and its history; its
# content and its scope deleted; the variable the next task's name reads; the next task
# (scope, row, candidate group, history); the activities' history (started, ended); the
# run's state.
COMPLETE = 14
# the last complete: as a complete up to the deleted task; then the end's history (the
# end event, the activity ended, the instance, its incidents), the instance's tree
# deleted (content, scope).
COMPLETE_TO_END = 12
# PostgreSQL checks the instance's suspension in a statement of its own, which holds the
# instance's row (FOR SHARE) until the step commits; SQLite's one writer needs no hold.
SUSPENSION_CHECK = {"sqlite": 0, "postgresql": 1}


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    request = deployments.DeploymentRequest(
        [deployments.DeploymentFile(MODEL.name, MODEL.read_bytes())]
    )
    database.write(lambda uow: deployments.deploy(uow, request))
    yield database
    database.dispose()


def counted(database: Database, work: Callable[[UnitOfWork], Any]) -> tuple[int, Any]:
    """The step's statements, those run raw on the driver's cursor included."""
    with counting(database) as seen:
        result = database.write(work)
    steps = [s for s in seen.statements if not s.lstrip().upper().startswith(TRANSACTION_CONTROL)]
    return len(steps), result


def run_instance(database: Database) -> list[int]:
    """Start, complete, complete: the statements of each step."""
    counts = []
    start = {"variables": {"order": {"value": "A-1", "type": "String"}}}
    count, started = counted(
        database,
        lambda uow: runtime.start(uow, process_definitions.by_key(uow, "twoTasks"), start),
    )
    counts.append(count)
    for _ in range(2):
        query = task_query.from_body({"processInstanceId": started["id"]})
        task_id = database.read(lambda uow, query=query: tasks.query(uow, query))[0]["id"]
        count, _ = counted(
            database,
            lambda uow, task_id=task_id: tasks.complete(
                uow, task_id, None, with_variables_in_return=False
            ),
        )
        counts.append(count)
    return counts


def test_a_start_and_each_complete_of_a_model_run_a_pinned_number_of_statements(
    database: Database,
) -> None:
    run_instance(database)  # the model compiled, the connections warm
    start, complete, complete_to_end = run_instance(database)
    suspension_check = SUSPENSION_CHECK[database.engine.dialect.name]
    assert start <= START
    assert complete <= COMPLETE + suspension_check
    assert complete_to_end <= COMPLETE_TO_END + suspension_check
