"""Camunda's task query: every criterion the data model answers, GET and POST, list and
count, or-queries, sorting (by variables too), and the refusals that name a parameter."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api_client import Api

INVOICES = [
    {
        "id": "pi1",
        "businessKey": "order-1",
        "processDefinitionKey": "invoice",
        "variables": {
            "amount": {"type": "Integer", "value": 500},
            "customer": {"type": "String", "value": "ACME"},
            "approved": {"type": "Boolean", "value": True},
            "received": {"type": "Date", "value": "2026-01-10T10:00:00.000+0000"},
            "rate": {"type": "Double", "value": 0.5},
        },
        "executions": [{"id": "ex1", "variables": {"region": {"value": "north"}}}],
        "tasks": [
            {
                "id": "review",
                "executionId": "ex1",
                "name": "Review Invoice",
                "assignee": "ann",
                "priority": 80,
                "taskDefinitionKey": "review",
                "tenantId": "tenant-a",
                "variables": {"note": {"value": "urgent"}},
            },
            {
                "id": "approve",
                "name": "Approve",
                "priority": 30,
                "taskDefinitionKey": "approve",
                "candidateUsers": ["dora"],
                "candidateGroups": ["managers"],
            },
        ],
    },
    {
        "id": "pi2",
        "businessKey": "order-2",
        "processDefinitionKey": "invoice",
        "variables": {
            "amount": {"type": "Long", "value": 50},
            "customer": {"type": "String", "value": "Globex"},
            "approved": {"type": "Boolean", "value": False},
            "rate": {"type": "Double", "value": 1.5},
        },
        "tasks": [
            {
                "id": "pay",
                "name": "Pay",
                "assignee": "bob",
                "owner": "carl",
                "delegationState": "PENDING",
                "taskDefinitionKey": "pay",
                "candidateUsers": ["ann"],
            }
        ],
    },
]
ALL = {"review", "approve", "pay", "solo", "sub"}


@pytest.fixture
def tasks(api: Api) -> Api:
    for tree in INVOICES:
        api.create_process_instance(tree)
    api.create_task(
        "solo",
        name="Write report",
        description="Quarterly REPORT",
        due="2026-12-10T09:00:00.000+0000",
        followUp="2026-12-01T09:00:00.000+0000",
        candidateGroups=["sales"],
        tenantId="tenant-b",
    )
    api.create_task("sub", name="Draft", parentTaskId="solo", priority=10)
    return api


def found(api: Api, **query: Any) -> set[str]:
    response = api.get("/task", **query)
    assert response.status_code == 200, response.text
    ids = {task["id"] for task in response.json()}
    count = api.get("/task/count", **query)
    assert count.json() == {"count": len(ids)}, count.text
    return ids


def posted(api: Api, body: dict[str, Any], **query: Any) -> list[str]:
    response = api.client.post(api.url("/task"), json=body, params=query)
    assert response.status_code == 200, response.text
    ids = [task["id"] for task in response.json()]
    unpaged = ids if not query else posted(api, body)
    count = api.client.post(api.url("/task/count"), json=body)
    assert count.json() == {"count": len(unpaged)}
    return ids


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ALL),
        ({"taskIdIn": "review,pay,nothing"}, {"review", "pay"}),
        ({"processInstanceIdIn": "pi2,pi9"}, {"pay"}),
        ({"processInstanceBusinessKey": "order-1"}, {"review", "approve"}),
        ({"processInstanceBusinessKeyIn": "order-2"}, {"pay"}),
        ({"processInstanceBusinessKeyLike": "order-%"}, {"review", "approve", "pay"}),
        ({"processDefinitionKey": "invoice"}, {"review", "approve", "pay"}),
        ({"processDefinitionKeyIn": "other,invoice"}, {"review", "approve", "pay"}),
        ({"executionId": "ex1"}, {"review"}),
        ({"tenantIdIn": "tenant-a,tenant-b"}, {"review", "solo"}),
        ({"withoutTenantId": "true"}, {"approve", "pay", "sub"}),
        ({"assigneeLike": "a%"}, {"review"}),
        ({"assigneeIn": "ann,bob"}, {"review", "pay"}),
        ({"assigneeNotIn": "ann"}, {"pay"}),
        ({"assigneeExpression": "bob"}, {"pay"}),
        ({"owner": "carl"}, {"pay"}),
        ({"assigned": "true"}, {"review", "pay"}),
        ({"unassigned": "true"}, {"approve", "solo", "sub"}),
        ({"candidateUser": "dora"}, {"approve"}),
        # ann is a candidate for pay, but pay is assigned to bob
        ({"candidateUser": "ann"}, set()),
        ({"candidateUser": "ann", "includeAssignedTasks": "true"}, {"pay"}),
        ({"candidateGroup": "managers"}, {"approve"}),
        ({"candidateGroups": "sales,managers"}, {"approve", "solo"}),
        ({"candidateGroupLike": "sa%"}, {"solo"}),
        ({"withCandidateGroups": "true"}, {"approve", "solo"}),
        ({"withoutCandidateGroups": "true"}, {"sub"}),
        ({"withCandidateUsers": "true"}, {"approve"}),
        ({"withoutCandidateUsers": "true"}, {"solo", "sub"}),
        ({"involvedUser": "ann"}, {"review", "pay"}),
        ({"involvedUser": "carl"}, {"pay"}),
        ({"taskDefinitionKeyIn": "review,pay"}, {"review", "pay"}),
        ({"taskDefinitionKeyNotIn": "review"}, {"approve", "pay"}),
        ({"taskDefinitionKeyLike": "%ay"}, {"pay"}),
        ({"name": "review invoice"}, {"review"}),
        ({"nameNotEqual": "pay"}, {"review", "approve", "solo", "sub"}),
        ({"nameLike": "%INVOICE"}, {"review"}),
        ({"nameNotLike": "%a%"}, {"review", "solo"}),
        ({"description": "quarterly report"}, {"solo"}),
        ({"descriptionLike": "%report"}, {"solo"}),
        ({"priority": "80"}, {"review"}),
        ({"minPriority": "50"}, {"review", "pay", "solo"}),
        ({"maxPriority": "30"}, {"approve", "sub"}),
        ({"delegationState": "pending"}, {"pay"}),
        ({"delegationState": "RESOLVED"}, set()),
        ({"parentTaskId": "solo"}, {"sub"}),
        ({"dueDate": "2026-12-10T09:00:00.000+0000"}, {"solo"}),
        ({"dueAfter": "2026-12-10T08:00:00.000+0000"}, {"solo"}),
        ({"dueBefore": "2026-12-10T08:00:00.000+0000"}, set()),
        ({"dueBefore": "2026-12-10T10:00:00+00:00"}, {"solo"}),
        ({"withoutDueDate": "true"}, ALL - {"solo"}),
        ({"followUpBefore": "2026-12-02T00:00:00.000+0000"}, {"solo"}),
        ({"followUpBeforeOrNotExistent": "2026-11-02T00:00:00.000+0000"}, ALL - {"solo"}),
        ({"followUpAfter": "2026-11-30T00:00:00.000+0100"}, {"solo"}),
        ({"createdAfter": "2000-01-01T00:00:00.000+0000"}, ALL),
        ({"createdBefore": "2000-01-01T00:00:00.000+0000"}, set()),
        ({"createdBeforeExpression": "${dateTime().plusDays(1).toDate()}"}, ALL),
        ({"createdAfterExpression": "${now()}"}, set()),
        ({"updatedAfter": "2000-01-01T00:00:00.000+0000"}, ALL),
        ({"active": "true"}, ALL),
        ({"suspended": "true"}, set()),
        ({"caseInstanceId": "c1"}, set()),
        ({"processVariables": "customer_eq_ACME"}, {"review", "approve"}),
        ({"processVariables": "customer_neq_ACME"}, {"pay"}),
        ({"processVariables": "customer_like_%e%"}, {"pay"}),
        ({"processVariables": "customer_notLike_A%"}, {"pay"}),
        ({"processVariables": "region_eq_north"}, {"review", "approve"}),
        ({"processVariables": "received_lt_2026-02-01T00:00:00.000+0000"}, {"review", "approve"}),
        # GET values are text: an Integer variable never equals the text "500"
        ({"processVariables": "amount_eq_500"}, set()),
        ({"processVariables": "customer_eq_acme"}, set()),
        (
            {"processVariables": "customer_eq_acme", "variableValuesIgnoreCase": "true"},
            {"review", "approve"},
        ),
        (
            {"processVariables": "CUSTOMER_eq_ACME", "variableNamesIgnoreCase": "true"},
            {"review", "approve"},
        ),
        ({"processVariables": "customer_eq_ACME,region_eq_south"}, set()),
        ({"taskVariables": "note_eq_urgent"}, {"review"}),
        ({"taskVariables": "customer_eq_ACME"}, set()),
        # false narrows nothing, as in Camunda
        ({"assigned": "false", "withoutDueDate": "false", "variableNamesIgnoreCase": "false"}, ALL),
    ],
)
def test_each_criterion_narrows_the_list_and_the_count(
    tasks: Api, query: dict[str, str], expected: set[str]
) -> None:
    assert found(tasks, **query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"processInstanceId": "pi1"}, {"review", "approve"}),
        ({"processVariables": "customer_eq_ACME"}, {"review", "approve"}),
        ({"processVariables": "region_eq_north"}, {"review", "approve"}),
        ({"executionId": "ex1"}, {"review"}),
        ({"suspended": "true"}, {"review", "approve"}),
        ({"active": "true"}, (ALL | {"check"}) - {"review", "approve"}),
        # Counted from the task scopes (no column of the task row asked for), with the
        # process variable found on the instance or on an execution by one EXISTS.
        ({"processVariables": "region_neq_south"}, {"review", "approve"}),
        ({"processVariables": "customer_neq_ACME"}, {"pay"}),
        ({"processDefinitionKey": "invoice", "taskVariables": "note_eq_urgent"}, {"review"}),
        ({"taskVariables": "step_eq_draft"}, {"sub", "check"}),
    ],
)
def test_a_subtask_of_a_process_task_is_outside_the_instance_in_the_list_and_the_count(
    tasks: Api, query: dict[str, str], expected: set[str]
) -> None:
    # The count reads "the task is on an execution" without joining the parent (see
    # task_query._Rows.on_execution): a subtask of a process task is not, and the
    # instance's suspension is not its own, in the count as in the list.
    tasks.create_task("check", name="Check", parentTaskId="approve")
    for task_id in ("sub", "check"):
        local = tasks.client.put(
            tasks.url(f"/task/{task_id}/localVariables/step"), json={"value": "draft"}
        )
        assert local.status_code == 204, local.text
    suspended = tasks.client.put(
        tasks.url("/process-instance/pi1/suspended"), json={"suspended": True}
    )
    assert suspended.status_code == 204, suspended.text
    assert found(tasks, **query) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"name": "amount", "operator": "eq", "value": 500}, {"review", "approve"}),
        ({"name": "amount", "operator": "gt", "value": 100}, {"review", "approve"}),
        ({"name": "amount", "operator": "lteq", "value": 50}, {"pay"}),
        ({"name": "amount", "operator": "gteq", "value": 49.5}, {"review", "approve", "pay"}),
        ({"name": "rate", "operator": "lt", "value": 1}, {"review", "approve"}),
        ({"name": "approved", "operator": "eq", "value": True}, {"review", "approve"}),
        ({"name": "approved", "operator": "neq", "value": True}, {"pay"}),
        ({"name": "customer", "operator": "gt", "value": "B"}, {"pay"}),
        (
            {"name": "received", "operator": "gteq", "value": "2026-01-10T11:00:00.000+0100"},
            {"review", "approve"},
        ),
        ({"name": "amount", "operator": "eq", "value": "500"}, set()),
        ({"name": "missing", "operator": "eq", "value": None}, set()),
    ],
)
def test_json_variable_criteria_compare_by_the_values_type(
    tasks: Api, condition: dict[str, Any], expected: set[str]
) -> None:
    assert set(posted(tasks, {"processVariables": [condition]})) == expected


def test_a_null_criterion_matches_a_variable_holding_null(tasks: Api) -> None:
    tasks.client.put(tasks.url("/task/sub/localVariables/checked"), json={"value": None})
    body = {"taskVariables": [{"name": "checked", "operator": "eq", "value": None}]}
    assert posted(tasks, body) == ["sub"]


def test_json_query_takes_lists_as_arrays_and_pages(tasks: Api) -> None:
    body = {
        "taskIdIn": ["review", "approve", "pay"],
        "sorting": [{"sortBy": "id", "sortOrder": "asc"}],
    }
    assert posted(tasks, body) == ["approve", "pay", "review"]
    assert posted(tasks, body, firstResult=1, maxResults=1) == ["pay"]


def test_or_queries_match_when_one_of_their_criteria_holds(tasks: Api) -> None:
    body = {
        "processDefinitionKey": "invoice",
        "orQueries": [{"assignee": "bob", "candidateUser": "dora"}],
    }
    assert set(posted(tasks, body)) == {"pay", "approve"}
    nested = {"orQueries": [{"orQueries": [{"assignee": "bob"}]}]}
    response = tasks.client.post(tasks.url("/task"), json=nested)
    assert response.status_code == 400
    assert "orQueries" in response.json()["message"]


@pytest.mark.parametrize(
    ("sort_by", "order", "expected"),
    [
        ("priority", "desc", ["review", "pay", "solo", "approve", "sub"]),
        ("name", "asc", ["approve", "sub", "pay", "review", "solo"]),
        ("nameCaseInsensitive", "desc", ["solo", "review", "pay", "sub", "approve"]),
        # tasks without the value come last ascending and first descending; ties in
        # creation order
        ("assignee", "asc", ["review", "pay", "approve", "solo", "sub"]),
        ("instanceId", "desc", ["solo", "sub", "pay", "review", "approve"]),
        ("executionId", "asc", ["review", "approve", "pay", "solo", "sub"]),
        ("dueDate", "asc", ["solo", "review", "approve", "pay", "sub"]),
        ("tenantId", "asc", ["review", "solo", "approve", "pay", "sub"]),
        ("created", "asc", ["review", "approve", "pay", "solo", "sub"]),
        ("id", "desc", ["sub", "solo", "review", "pay", "approve"]),
        # every task's is null: creation order
        ("caseExecutionId", "desc", ["review", "approve", "pay", "solo", "sub"]),
    ],
)
def test_sorting_by_camundas_values(
    tasks: Api, sort_by: str, order: str, expected: list[str]
) -> None:
    response = tasks.get("/task", sortBy=sort_by, sortOrder=order)
    assert response.status_code == 200, response.text
    assert [task["id"] for task in response.json()] == expected


def test_sorting_by_a_process_variable_of_a_type(tasks: Api) -> None:
    sorting = [
        {
            "sortBy": "processVariable",
            "sortOrder": "desc",
            "parameters": {"variable": "rate", "type": "Double"},
        },
        {"sortBy": "id", "sortOrder": "asc"},
    ]
    assert posted(tasks, {"processDefinitionKey": "invoice", "sorting": sorting}) == [
        "pay",
        "approve",
        "review",
    ]
    by_task_variable = [
        {
            "sortBy": "taskVariable",
            "sortOrder": "asc",
            "parameters": {"variable": "note", "type": "string"},
        }
    ]
    assert posted(tasks, {"sorting": by_task_variable})[0] == "review"


def test_last_updated_follows_claims_and_task_local_writes(tasks: Api) -> None:
    assert tasks.get("/task/approve").json()["lastUpdated"] is None
    assert (
        tasks.client.post(tasks.url("/task/approve/claim"), json={"userId": "dora"}).status_code
        == 204
    )
    claimed = tasks.get("/task/approve").json()["lastUpdated"]
    assert claimed is not None
    assert found(tasks, updatedAfter=claimed) == set()
    tasks.client.put(tasks.url("/task/sub/localVariables/x"), json={"value": 1})
    assert tasks.get("/task/sub").json()["lastUpdated"] is not None
    # a write through the task that lands on the process instance does not touch it
    tasks.client.put(tasks.url("/task/review/variables/customer"), json={"value": "ACME"})
    assert tasks.get("/task/review").json()["lastUpdated"] is None


def test_variables_in_return_are_the_visible_or_the_tasks_own(tasks: Api) -> None:
    listed = tasks.get("/task", processInstanceId="pi1", withTaskVariablesInReturn="true")
    by_id = {task["id"]: task for task in listed.json()}
    assert set(by_id["review"]["variables"]) == {
        "amount",
        "customer",
        "approved",
        "received",
        "rate",
        "region",
        "note",
    }
    assert by_id["review"]["variables"]["amount"] == {
        "type": "Integer",
        "value": 500,
        "valueInfo": {},
    }
    assert "region" not in by_id["approve"]["variables"]
    local = tasks.client.post(
        tasks.url("/task"),
        json={"processInstanceId": "pi1", "withTaskLocalVariablesInReturn": True},
    ).json()
    by_id = {task["id"]: task for task in local}
    assert by_id["review"]["variables"] == {
        "note": {"type": "String", "value": "urgent", "valueInfo": {}}
    }
    # no variables: no key, as Camunda leaves an empty map out
    assert "variables" not in by_id["approve"]


def test_comment_and_attachment_info_is_answered(tasks: Api) -> None:
    task = tasks.get("/task", taskId="solo", withCommentAttachmentInfo="true").json()[0]
    assert (task["comment"], task["attachment"]) == (False, False)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            {"processVariables": "a_eq"},
            "Cannot set query parameter 'processVariables' to value 'a_eq': variable query "
            "parameter has to have format KEY_OPERATOR_VALUE.",
        ),
        ({"processVariables": "a_is_1"}, "Invalid process variable comparator specified: is"),
        ({"taskVariables": "a_is_1"}, "Invalid task variable comparator specified: is"),
        (
            {"dueAfter": "tomorrow"},
            "Cannot set query parameter 'dueAfter' to value 'tomorrow': Cannot convert value "
            '"tomorrow" to java type java.util.Date',
        ),
        (
            {"sortBy": "name"},
            "Only a single sorting parameter specified. sortBy and sortOrder required",
        ),
        (
            {"processDefinitionName": "Invoice"},
            "The task query parameter processDefinitionName is not supported by this server",
        ),
    ],
)
def test_bad_criteria_are_refused_naming_the_parameter(
    tasks: Api, query: dict[str, str], message: str
) -> None:
    for path in ("/task", "/task/count"):
        response = tasks.get(path, **query)
        if path == "/task/count" and "sortBy" in query:
            continue  # the count takes no sorting
        assert response.status_code == 400, response.text
        assert response.json() == {
            "type": "InvalidRequestException",
            "message": message,
            "code": None,
        }


@pytest.mark.parametrize(
    "query",
    [
        {"dueAfterExpression": "${tomorrow()}"},
        {"dueAfterExpression": "${dateTime().plusFortnights(1)}"},
        {"assigneeExpression": "${currentUser()}"},
        {"candidateGroupsExpression": "${currentUserGroups()}"},
    ],
)
def test_expressions_beyond_dates_are_refused_naming_the_parameter(
    tasks: Api, query: dict[str, str]
) -> None:
    response = tasks.get("/task", **query)
    assert response.status_code == 400
    (parameter,) = query
    assert response.json()["message"].startswith(f"Cannot set query parameter '{parameter}'")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (
            {"processVariables": [{"name": "amount", "operator": "gt", "value": True}]},
            "Booleans and null cannot be used in 'greater than' condition",
        ),
        (
            {"processVariables": [{"name": "amount", "operator": "lteq", "value": None}]},
            "'less than or equal'",
        ),
        ({"taskVariables": [{"name": "a", "operator": "eq", "value": {"x": 1}}]}, "taskVariables"),
        ({"processVariables": [{"name": "a", "operator": "is", "value": 1}]}, "operator"),
        ({"sorting": [{"sortBy": "processVariable", "sortOrder": "asc"}]}, "parameters.variable"),
        ({"sorting": [{"sortBy": "name"}]}, "sortBy and sortOrder required"),
        (
            {"sorting": [{"sortBy": "caseInstanceVariable", "sortOrder": "asc"}]},
            "caseInstanceVariable",
        ),
        ({"dueBefore": "soon"}, "dueBefore"),
    ],
)
def test_bad_json_queries_are_refused(tasks: Api, body: dict[str, Any], fragment: str) -> None:
    response = tasks.client.post(tasks.url("/task"), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "InvalidRequestException"
    assert fragment in response.json()["message"]
