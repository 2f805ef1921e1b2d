"""The task query's statements are built once per shape of its criteria (which criteria,
each variable condition's operator and kind of value, the sorting, paging or not); its
values are bound at each run."""

from __future__ import annotations

from datetime import UTC, datetime

from taskvars.persistence.statement_shapes import Parameters, StatementCache
from taskvars.persistence.task_query import task_count, task_page
from taskvars.persistence.values import TaskCriteria, TaskOrdering, VariableCondition


def criteria(amount: object, customer: str = "c%", assignee: str = "ann") -> TaskCriteria:
    return TaskCriteria(
        assignee=assignee,
        candidate_groups=["managers", "sales"],
        created_after=datetime(2000, 1, 1, tzinfo=UTC),
        variables=(
            VariableCondition("amount", "gteq", amount, task_local=False),  # type: ignore[arg-type]
            VariableCondition("customer", "like", customer, task_local=False),
        ),
        or_queries=(TaskCriteria(involved_user=assignee, with_candidate_groups=True),),
    )


SORTED = [TaskOrdering("processVariable", True, "amount", "Integer")]


def test_a_repeated_shape_runs_the_statement_built_for_it_with_its_own_values() -> None:
    first = task_page(criteria(1), SORTED, 0, 10)
    second = task_page(criteria(2, "d%", "bob"), SORTED, 20, 5)
    assert second.statement is first.statement
    assert second.parameters["variables0_value"] == 2
    assert second.parameters["variables1_value"] == "d%"
    assert second.parameters["or_queries0_involved_user"] == "bob"
    assert (second.parameters["first_result"], second.parameters["max_results"]) == (20, 5)
    assert task_count(criteria(3)).statement is task_count(criteria(4, "e%")).statement


def test_what_changes_the_sql_makes_another_shape() -> None:
    statement = task_page(criteria(1), SORTED, 0, 10).statement
    others = [
        task_page(criteria("1"), SORTED, 0, 10),  # a text compares another column
        task_page(criteria(1.5), SORTED, 0, 10),  # not cast to an integer
        task_page(criteria(True), SORTED, 0, 10),
        task_page(criteria(None), SORTED, 0, 10),
        task_page(criteria(1), SORTED, 0, None),  # no page size
        task_page(criteria(1), [], 0, 10),
        task_page(
            criteria(1), [TaskOrdering("processVariable", False, "amount", "Integer")], 0, 10
        ),
        task_page(TaskCriteria(assignee="ann"), SORTED, 0, 10),
    ]
    assert all(other.statement is not statement for other in others)
    assert len({id(other.statement) for other in others}) == len(others)


def test_an_empty_list_is_shape_not_value() -> None:
    """An empty list of candidate groups asks for no candidate link at all, where a list
    of groups asks for one: the two are different SQL."""
    empty = task_page(TaskCriteria(candidate_groups=[]), [], 0, None)
    some = task_page(TaskCriteria(candidate_groups=["sales"]), [], 0, None)
    assert empty.statement is not some.statement
    assert "candidate_groups" not in empty.parameters


def test_the_statements_kept_are_bounded_the_least_recently_used_dropped() -> None:
    built: list[int] = []

    def build(template: TaskCriteria) -> object:
        built.append(1)
        return object()

    cache: StatementCache[TaskCriteria] = StatementCache(build, size=2)

    def bound(priority: int | None, name: str | None) -> object:
        query = TaskCriteria(priority=priority, name=name)
        return cache.bound(lambda parameters: parameters.criteria(query)).statement

    by_priority = bound(1, None)
    for index in range(10):
        bound(None, f"n{index}")  # one shape: built once
        assert bound(2, None) is by_priority  # used, so kept
    by_name_and_priority = bound(1, "x")  # a third shape: the name's is dropped
    assert len(cache) == 2
    assert (cache.misses, cache.hits, len(built)) == (3, 19, 3)
    assert bound(3, "y") is by_name_and_priority
    bound(None, "again")
    assert cache.misses == 4


def test_a_variable_conditions_value_is_bound_as_its_column_keeps_it() -> None:
    parameters = Parameters(placeholders=False)
    when = datetime(2020, 1, 1, tzinfo=UTC)
    shape, _ = parameters.criteria(
        TaskCriteria(
            variables=(
                VariableCondition("flag", "eq", True, task_local=True),
                VariableCondition("due", "lt", when, task_local=False),
            )
        )
    )
    assert parameters.values == {
        "variables0_name": "flag",
        "variables0_value": 1,
        "variables1_name": "due",
        "variables1_value": round(when.timestamp() * 1000),
    }
    assert shape == (
        (
            "variables",
            (
                ("eq", True, False, False, "Boolean", "int", "str"),
                ("lt", False, False, False, "Date", "int", "str"),
            ),
        ),
    )
