"""A query (tasks, process instances, external tasks) whose shape's statement was built
for other values sends the database what the statement built with its own values would
(the SQL, PostgreSQL's casts of parameters included, and the parameters), and finds
what they ask for."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event

from taskvars.persistence import external_task_query as external_task_statements
from taskvars.persistence import process_instance_query as instance_statements
from taskvars.persistence.external_tasks import FETCH_STATEMENTS, Fetch, TopicCriteria
from taskvars.persistence.query_statements import paged
from taskvars.persistence.store import Store
from taskvars.persistence.task_query import (
    COUNT_STATEMENTS,
    PAGE_STATEMENTS,
    counted_tasks,
    matching_tasks,
)
from taskvars.persistence.unit_of_work import Database
from taskvars.persistence.values import VariableCondition
from taskvars.services import external_task_query, process_instance_query, task_query
from tests.integration.test_task_query_statements import EVERY_KIND_OF_CRITERION, add_instances


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    # Counts sent as built: a read's count kept (count_reuse) would send none, and one
    # counted for keeping reads the database's version in its statement too.
    if database.task_counts is not None:
        database.task_counts.close()
        database.task_counts = None
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


def sent(database: Database, run: Callable[[Store], object], *, write: bool = False) -> list[str]:
    """The statements ``run`` sends, each with its parameters written in (rolled back)."""
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(written_in(args[2], args[3]))

    with database.unit_of_work(write=write) as uow:
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


def test_a_float_after_an_integer_is_compared_as_a_float(database: Database) -> None:
    """Amounts 0, 1 and 2: at most 1.5 are those of 0 and 1, whether or not an integer
    was asked for before (PostgreSQL casts a parameter to its type: 1.5 as a bigint is 2)."""
    for value in (1, 1.5):
        body = {"processVariables": [{"name": "amount", "operator": "lteq", "value": value}]}
        query = task_query.from_body(body)
        with database.unit_of_work(write=False) as uow:
            assert uow.store.tasks.count(query.criteria) == 6


INSTANCE_QUERY = {
    "processDefinitionKey": "invoice",
    "businessKeyLike": "order-%",
    "processInstanceIds": ["pi0", "pi1", "pi2"],
    "variables": [
        {"name": "amount", "operator": "lteq", "value": 1.5},
        {"name": "customer", "operator": "like", "value": "C%"},
    ],
    "orQueries": [{"businessKey": "order-0", "processDefinitionKeyIn": ["invoice"]}],
    "sorting": [{"sortBy": "businessKey", "sortOrder": "desc"}],
}


def test_a_process_instance_query_of_a_built_shape_sends_what_building_it_would(
    database: Database,
) -> None:
    built_for = process_instance_query.from_body(INSTANCE_QUERY)
    changed = copy.deepcopy(INSTANCE_QUERY)
    changed["businessKeyLike"] = "order-1%"
    changed["processInstanceIds"] = ["pi1"]
    changed["variables"][0]["value"] = 0.5
    changed["orQueries"][0]["processDefinitionKeyIn"] = ["invoice", "other"]
    query = process_instance_query.from_body(changed)
    criteria, orderings = query.criteria, query.orderings
    sent(
        database,
        lambda store: store.process_instances.query(
            built_for.criteria, built_for.orderings, max_results=9
        ),
    )
    sent(database, lambda store: store.process_instances.count(built_for.criteria))
    statements = instance_statements.PAGE_STATEMENTS, instance_statements.COUNT_STATEMENTS
    misses = [cache.misses for cache in statements]

    reused = sent(
        database,
        lambda store: (
            store.process_instances.query(criteria, orderings, max_results=2),
            store.process_instances.count(criteria),
        ),
    )
    assert [cache.misses for cache in statements] == misses
    built = sent(
        database,
        lambda store: (
            store.process_instances.session.execute(
                paged(instance_statements.matching_instances(criteria, orderings), 0, 2)
            ),
            store.process_instances.session.execute(instance_statements.counted(criteria)),
        ),
    )
    assert reused == built


EXTERNAL_TASK_QUERY = {
    "topicName": "mail",
    "locked": True,
    "processInstanceIdIn": ["pi0", "pi1"],
    "priorityHigherThanOrEquals": 3,
    "processVariables": [{"name": "amount", "operator": "eq", "value": True}],
    "sorting": [{"sortBy": "taskPriority", "sortOrder": "desc"}],
}


def test_an_external_task_query_of_a_built_shape_sends_what_building_it_would(
    database: Database,
) -> None:
    built_for = external_task_query.from_body(EXTERNAL_TASK_QUERY)
    changed = copy.deepcopy(EXTERNAL_TASK_QUERY)
    changed["topicName"] = "print"
    changed["processInstanceIdIn"] = ["pi2"]
    changed["priorityHigherThanOrEquals"] = 7
    changed["processVariables"][0]["value"] = False
    query = external_task_query.from_body(changed)
    criteria, orderings = query.criteria, query.orderings
    statements = (
        external_task_statements.PAGE_STATEMENTS,
        external_task_statements.COUNT_STATEMENTS,
        external_task_statements.TOPIC_STATEMENTS,
    )

    def run(store: Store, criteria: Any, now: int) -> None:
        store.external_task_query.query(criteria, now, orderings, first_result=1, max_results=2)
        store.external_task_query.count(criteria, now)
        store.external_task_query.topic_names(criteria, now)

    sent(database, lambda store: run(store, built_for.criteria, 1_000))
    misses = [cache.misses for cache in statements]
    reused = sent(database, lambda store: run(store, criteria, 2_000))
    assert [cache.misses for cache in statements] == misses

    def build(store: Store) -> None:
        page = external_task_statements.matching_external_tasks(criteria, 2_000, orderings)
        store.external_task_query.session.execute(paged(page, 1, 2))
        store.external_task_query.session.execute(
            external_task_statements._counted((criteria, 2_000))
        )
        store.external_task_query.session.execute(
            external_task_statements._topic_names((criteria, 2_000))
        )

    assert reused == sent(database, build)


def topic(name: str, keys: list[str], amount: int) -> TopicCriteria:
    condition = VariableCondition("amount", "eq", amount, task_local=False)
    return TopicCriteria(
        name, process_definition_keys=keys, tenant_ids=[], process_variables=[condition]
    )


def test_a_fetch_of_a_built_shape_sends_what_building_it_would(database: Database) -> None:
    def fetch(store: Store, topics: list[TopicCriteria], now: int) -> None:
        store.external_tasks.fetchable(topics, now, 5, use_priority=True, create_time_order="asc")

    sent(database, lambda store: fetch(store, [topic("mail", ["invoice"], 1)], 1_000), write=True)
    misses = FETCH_STATEMENTS.misses
    topics = [topic("print", ["invoice", "order"], 2)]
    reused = sent(database, lambda store: fetch(store, topics, 2_000), write=True)
    assert FETCH_STATEMENTS.misses == misses

    skip_locked = database.engine.dialect.name == "postgresql"
    built = Fetch(
        topics, 2_000, 5, use_priority=True, create_time_order="asc", skip_locked=skip_locked
    )
    assert reused == sent(
        database,
        lambda store: store.external_tasks.session.execute(built.statement()),
        write=True,
    )
