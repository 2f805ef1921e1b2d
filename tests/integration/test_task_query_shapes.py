"""A task query whose shape's statement was built for other values sends the database
what the statement built with its own values would (the SQL, PostgreSQL's casts of
parameters included, and the parameters), and finds what they ask for."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from taskvars.persistence.query_statements import paged
from taskvars.persistence.store import Store
from taskvars.persistence.task_query import (
    COUNT_STATEMENTS,
    PAGE_STATEMENTS,
    counted_tasks,
    matching_tasks,
)
from taskvars.persistence.unit_of_work import Database
from taskvars.services import task_query
from tests.integration.test_task_query_statements import EVERY_KIND_OF_CRITERION, add_instances


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    add_instances(database, 3, first=0)
    yield database
    database.dispose()


def other_values(body: dict[str, Any]) -> dict[str, Any]:
    """``EVERY_KIND_OF_CRITERION`` with other values of the same kinds."""
    changed = copy.deepcopy(body)
    changed["processInstanceBusinessKeyLike"] = "order-1%"
    changed["candidateGroups"] = ["managers", "sales", "board"]
    changed["minPriority"] = -5
    changed["processVariables"][0]["value"] = 1
    changed["processVariables"][1]["value"] = "C1%"
    changed["orQueries"][0]["assignee"] = "bob"
    changed["sorting"][0]["parameters"]["variable"] = "customer"
    return changed


def sent(database: Database, run: Callable[[Store], object]) -> list[str]:
    """The statements ``run`` sends, each with its parameters written in."""
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(written_in(args[2], args[3]))

    with database.unit_of_work(write=False) as uow:
        event.listen(database.engine, "before_cursor_execute", listener)
        try:
            run(uow.store)
        finally:
            event.remove(database.engine, "before_cursor_execute", listener)
    return statements


def written_in(sql: str, parameters: Any) -> str:
    if isinstance(parameters, dict):  # psycopg's %(name)s
        return re.sub(r"%\((\w+)\)s", lambda found: repr(parameters[found[1]]), sql)
    values = iter(parameters)  # sqlite3's ?
    return re.sub(r"\?", lambda _: repr(next(values)), sql)


def test_a_shape_built_for_other_values_sends_what_one_built_for_these_would(
    database: Database,
) -> None:
    built_for = task_query.from_body(EVERY_KIND_OF_CRITERION)
    query = task_query.from_body(other_values(EVERY_KIND_OF_CRITERION))
    criteria, orderings = query.criteria, query.orderings
    sent(
        database,
        lambda store: store.tasks.query(built_for.criteria, built_for.orderings, max_results=9),
    )
    sent(database, lambda store: store.tasks.count(built_for.criteria))
    misses = (PAGE_STATEMENTS.misses, COUNT_STATEMENTS.misses)

    reused = sent(
        database,
        lambda store: (
            store.tasks.query(criteria, orderings, first_result=1, max_results=2),
            store.tasks.count(criteria),
        ),
    )
    assert (PAGE_STATEMENTS.misses, COUNT_STATEMENTS.misses) == misses
    built = sent(
        database,
        lambda store: (
            store.tasks.session.execute(paged(matching_tasks(criteria, orderings), 1, 2)),
            store.tasks.session.execute(counted_tasks(criteria)),
        ),
    )
    assert reused == built


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [("gteq", 0, 9), ("gteq", 1, 6), ("gteq", 2, 3), ("gteq", 3, 0), ("lteq", 1.5, 6)],
)
def test_queries_of_one_shape_find_what_their_own_values_ask_for(
    database: Database, operator: str, value: float, expected: int
) -> None:
    """Three instances with ``amount`` 0, 1 and 2, three tasks each; a float compares
    as a float with the integers (not rounded to one)."""
    body = {"processVariables": [{"name": "amount", "operator": operator, "value": value}]}
    query = task_query.from_body(body)
    with database.unit_of_work(write=False) as uow:
        listed = uow.store.tasks.query(query.criteria, max_results=100)
        assert len(listed) == uow.store.tasks.count(query.criteria) == expected
