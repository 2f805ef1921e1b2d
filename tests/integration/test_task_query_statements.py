"""The task query is one SQL statement, whatever its criteria and however many tasks and
variables match."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from taskvars.persistence.unit_of_work import Database
from taskvars.services import process_instances, task_query, tasks

EVERY_KIND_OF_CRITERION = {
    "processDefinitionKey": "invoice",
    "processInstanceBusinessKeyLike": "order-%",
    "candidateGroups": ["managers", "sales"],
    "includeAssignedTasks": True,
    "withoutTenantId": True,
    "nameLike": "task%",
    "minPriority": 0,
    "createdAfter": "2000-01-01T00:00:00.000+0000",
    "updatedAfterExpression": "${dateTime().minusYears(30)}",
    "processVariables": [
        {"name": "amount", "operator": "gteq", "value": 0},
        {"name": "customer", "operator": "like", "value": "c%"},
    ],
    "taskVariables": [{"name": "note", "operator": "neq", "value": "x"}],
    "variableValuesIgnoreCase": True,
    "withTaskVariablesInReturn": True,
    "orQueries": [{"assignee": "ann", "involvedUser": "ann", "withCandidateGroups": True}],
    "sorting": [
        {
            "sortBy": "processVariable",
            "sortOrder": "desc",
            "parameters": {"variable": "amount", "type": "Integer"},
        },
        {"sortBy": "dueDate", "sortOrder": "asc"},
    ],
}


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def add_instances(database: Database, count: int, first: int) -> None:
    with database.unit_of_work(write=True) as uow:
        for index in range(first, first + count):
            process_instances.add_tree(uow, instance(index))
        uow.commit()


def instance(index: int) -> dict[str, Any]:
    return {
        "id": f"pi{index}",
        "businessKey": f"order-{index}",
        "processDefinitionKey": "invoice",
        "variables": {
            "amount": {"type": "Integer", "value": index},
            "customer": {"value": f"C{index}"},
        },
        "tasks": [
            {
                "id": f"t{index}-{n}",
                "name": f"Task {n}",
                "assignee": "ann" if n == 0 else None,
                "candidateGroups": ["managers"],
                "variables": {"note": {"value": f"n{n}"}},
            }
            for n in range(3)
        ],
    }


def statements_for(database: Database) -> tuple[int, int]:
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    query = task_query.from_body(EVERY_KIND_OF_CRITERION)
    with database.unit_of_work(write=False) as uow:
        tasks.count(uow, query)  # warm the connection
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            listed = tasks.query(uow, query)
            assert all(task["variables"]["amount"]["type"] == "Integer" for task in listed)
            counted = tasks.count(uow, query)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
    assert len(listed) == counted > 0
    return len(statements), len(listed)


def test_a_query_with_every_kind_of_criterion_is_one_statement_for_few_or_many(
    database: Database,
) -> None:
    add_instances(database, 3, first=0)
    few, listed_few = statements_for(database)
    add_instances(database, 100, first=3)
    many, listed_many = statements_for(database)
    assert listed_many > listed_few
    # the list, the count, and two for the listed tasks' variables (their scope chains,
    # then the variables; a third would read Bytes contents), however many tasks match
    assert few == many == 4
