"""The resources' filter tables on the query toolkit: Camunda's names in, criteria out,
what a table adds to the toolkit (merged states, accumulated candidate groups, the
tenant rule), and the toolkit's own pieces the tables lean on."""

from __future__ import annotations

import pytest

from taskvars.errors import InvalidRequestError
from taskvars.persistence.history import (
    COMPLETED,
    EXTERNALLY_TERMINATED,
    INTERNALLY_TERMINATED,
)
from taskvars.services import deployments, history, history_activities, history_tasks
from taskvars.services import task_query as task_queries
from taskvars.services.query_toolkit import named_like_camunda


def test_a_python_name_shadowing_a_builtin_is_read_as_camundas() -> None:
    assert named_like_camunda({"id_": "d1", "name_like": "inv%"}) == {
        "id": "d1",
        "nameLike": "inv%",
    }


def test_historic_state_filters_allow_only_what_all_of_them_allow() -> None:
    both = history.instance_query(
        history.INSTANCE_SHAPE.from_parameters({"finished": True, "completed": True})
    )
    assert both.criteria.states == frozenset({COMPLETED})
    finished = history.instance_query(history.INSTANCE_SHAPE.from_parameters({"finished": True}))
    assert finished.criteria.states == frozenset(
        {COMPLETED, EXTERNALLY_TERMINATED, INTERNALLY_TERMINATED}
    )
    none = history.instance_query(
        history.INSTANCE_SHAPE.from_parameters({"active": True, "completed": True})
    )
    assert none.criteria.states == frozenset()


def test_without_tenant_id_wins_over_tenant_id_in_as_in_camundas_dtos() -> None:
    parsed = {"tenant_id_in": "acme", "without_tenant_id": True}
    task = history_tasks.task_query(history_tasks.SHAPE.from_parameters(parsed)).criteria
    assert (task.tenant_id_in, task.without_tenant_id) == (None, True)
    activity = history_activities.activity_query(
        history_activities.SHAPE.from_parameters(parsed)
    ).criteria
    assert (activity.tenant_id_in, activity.without_tenant_id) == (None, True)
    deployment = deployments.deployment_query(
        deployments.QUERY_SHAPE.from_parameters(parsed)
    ).criteria
    assert (deployment.tenant_id_in, deployment.without_tenant_id) == (None, True)
    only_in = history_tasks.task_query(history_tasks.SHAPE.from_body({"tenantIdIn": ["a"]}))
    assert only_in.criteria.tenant_id_in == ["a"]


def test_the_task_query_accumulates_candidate_groups() -> None:
    query = task_queries.from_body({"candidateGroup": "a", "candidateGroups": ["b", "c"]})
    assert query.criteria.candidate_groups == ["a", "b", "c"]


def test_a_json_sort_the_resource_does_not_know_is_refused() -> None:
    body = {"sorting": [{"sortBy": "nothing", "sortOrder": "asc"}]}
    with pytest.raises(InvalidRequestError, match="sortBy"):
        history_activities.activity_query(history_activities.SHAPE.from_body(body))
    sorted_ = {"sorting": [{"sortBy": "occurrence", "sortOrder": "desc"}, {}]}
    query = history_activities.activity_query(history_activities.SHAPE.from_body(sorted_))
    assert query.orderings == (("occurrence", True),)


def test_the_historic_task_query_reads_or_queries_and_variables() -> None:
    body = {
        "taskName": "check",
        "processVariables": [{"name": "amount", "operator": "gt", "value": 5}],
        "orQueries": [{"taskAssignee": "anna", "finished": True}],
    }
    criteria = history_tasks.task_query(history_tasks.SHAPE.from_body(body)).criteria
    assert criteria.task_name == "check"
    ((condition,),) = [criteria.variables]
    assert (condition.name, condition.operator, condition.value) == ("amount", "gt", 5)
    (nested,) = criteria.or_queries
    assert (nested.task_assignee, nested.finished) == ("anna", True)


def test_two_parameters_asking_for_ids_narrow_together_as_camunda_applies_both() -> None:
    both = history.instance_query(
        history.INSTANCE_SHAPE.from_parameters(
            {"process_instance_id": "a", "process_instance_ids": "b,a"}
        )
    )
    assert both.criteria.ids == ["a"]
    apart = history.instance_query(
        history.INSTANCE_SHAPE.from_parameters(
            {"process_instance_id": "a", "process_instance_ids": "b"}
        )
    )
    assert apart.criteria.ids == []
    variables = history.VARIABLE_SHAPE.from_parameters(
        {"process_instance_id": "a", "process_instance_id_in": "a,c"}
    )
    assert variables.fields["process_instance_ids"] == ["a"]
