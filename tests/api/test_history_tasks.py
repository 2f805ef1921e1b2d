"""GET and POST /history/task (+count) over HTTP: the user tasks models created, running
or ended, with Camunda's delete reasons, filters over the task, its process instance and
its historic variables, or-queries, sorting and paging; the criteria not modelled
refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_history import run_invoice
from tests.api_client import Api


@pytest.fixture
def invoices(client: Any) -> dict[str, Any]:
    """A small invoice (its check task completed, the instance ended) and a large one
    (checked, waiting for approval)."""
    api = Api(client)
    small, small_check = run_invoice(api, 10)
    large, large_check = run_invoice(api, 5000)
    (approve,) = api.get("/task", processInstanceId=large).json()
    return {
        "api": api,
        "small": small,
        "small_check": small_check,
        "large": large,
        "large_check": large_check,
        "approve": approve["id"],
    }


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()]


def test_a_completed_task_reads_as_camunda_describes_it(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    (task,) = api.get("/history/task", taskId=invoices["small_check"]).json()
    assert task["processInstanceId"] == invoices["small"]
    assert task["rootProcessInstanceId"] == invoices["small"]
    assert task["processDefinitionKey"] == "invoice"
    assert task["processDefinitionId"].startswith("invoice:1:")
    assert task["name"] == "Check invoice"
    assert task["description"] == "Attach the scanned invoice and set the amount."
    assert task["taskDefinitionKey"] == "checkInvoice"
    assert task["assignee"] == "anna"
    assert task["priority"] == 60
    assert task["deleteReason"] == "completed"
    assert task["taskState"] == "Completed"
    assert task["endTime"] is not None
    assert task["duration"] >= 0
    assert task["activityInstanceId"].startswith("checkInvoice:")
    assert task["parentTaskId"] is None
    (running,) = api.get("/history/task", taskId=invoices["approve"]).json()
    assert running["endTime"] is None
    assert running["deleteReason"] is None
    assert running["due"].startswith("2030-01-31T12:00:00.000")


def test_finished_and_running_tasks_are_told_apart(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    checks = {invoices["small_check"], invoices["large_check"]}
    assert set(ids(api.get("/history/task", finished="true"))) == checks
    assert ids(api.get("/history/task", unfinished="true")) == [invoices["approve"]]
    assert set(ids(api.get("/history/task", processFinished="true"))) == {invoices["small_check"]}
    assert api.get("/history/task/count", processUnfinished="true").json() == {"count": 2}
    assert ids(api.get("/history/task", taskDeleteReason="completed", taskAssignee="anna")) == [
        invoices["small_check"],
        invoices["large_check"],
    ]


def test_a_task_of_a_deleted_instance_ends_deleted(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    assert api.client.delete(api.url(f"/process-instance/{invoices['large']}")).status_code == 204
    (task,) = api.get("/history/task", taskDeleteReasonLike="del%").json()
    assert task["id"] == invoices["approve"]
    assert task["deleteReason"] == "deleted"
    assert task["taskState"] == "Deleted"
    assert api.get("/history/task/count", unfinished="true").json() == {"count": 0}


def test_task_and_instance_attributes_filter(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    approve, large = invoices["approve"], invoices["large"]
    assert ids(api.get("/history/task", taskNameLike="approve%")) == [approve]  # any case
    assert ids(api.get("/history/task", taskName="APPROVE INVOICE")) == [approve]
    assert ids(api.get("/history/task", taskDefinitionKeyIn="approveInvoice,x")) == [approve]
    waiting = api.get("/history/task", processInstanceBusinessKey="INV-5000", unassigned="true")
    assert ids(waiting) == [approve]
    assert ids(api.get("/history/task", processInstanceBusinessKeyIn="INV-10")) == [
        invoices["small_check"]
    ]
    assert len(ids(api.get("/history/task", processInstanceId=large))) == 2
    assert ids(api.get("/history/task", taskDueDateAfter="2030-01-01T00:00:00.000+0000")) == [
        approve
    ]
    assert len(ids(api.get("/history/task", withoutTaskDueDate="true"))) == 2
    assert ids(api.get("/history/task", taskPriority=60, unfinished="true")) == []
    assert ids(api.get("/history/task", startedAfter="2099-01-01T00:00:00.000+0000")) == []
    assert len(ids(api.get("/history/task", processDefinitionKey="invoice"))) == 3
    assert ids(api.get("/history/task", tenantIdIn="acme")) == []
    assert len(ids(api.get("/history/task", withoutTenantId="true"))) == 3


def test_variable_criteria_look_at_historic_variables(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    assert len(ids(api.get("/history/task", processVariables="clerk_eq_anna"))) == 3
    assert ids(api.get("/history/task", processVariables="clerk_eq_ANNA")) == []
    ignoring_case = api.get(
        "/history/task", processVariables="clerk_eq_ANNA", variableValuesIgnoreCase="true"
    )
    assert len(ids(ignoring_case)) == 3
    large = api.client.post(
        api.url("/history/task"),
        json={"processVariables": [{"name": "amount", "operator": "gt", "value": 1000}]},
    )
    assert set(ids(large)) == {invoices["large_check"], invoices["approve"]}
    assert ids(api.get("/history/task", taskVariables="clerk_eq_anna")) == []
    unknown = api.get("/history/task", processVariables="clerk_is_anna")
    assert unknown.status_code == 400


def test_the_json_query_has_or_queries_sorting_and_paging(invoices: dict[str, Any]) -> None:
    api = invoices["api"]
    body = {
        "processDefinitionKey": "invoice",
        "orQueries": [{"taskName": "approve invoice", "processInstanceBusinessKey": "INV-10"}],
        "sorting": [
            {"sortBy": "taskName", "sortOrder": "asc"},
            {"sortBy": "processInstanceId", "sortOrder": "desc"},
        ],
    }
    found = ids(api.client.post(api.url("/history/task"), json=body))
    assert found == [invoices["approve"], invoices["small_check"]]
    page = api.client.post(api.url("/history/task?firstResult=1&maxResults=5"), json=body)
    assert ids(page) == [invoices["small_check"]]
    count = api.client.post(api.url("/history/task/count"), json=body)
    assert count.json() == {"count": 2}
    nested = api.client.post(
        api.url("/history/task"), json={"orQueries": [{"orQueries": [{"taskId": "x"}]}]}
    )
    assert nested.status_code == 400


@pytest.mark.parametrize("sort_by", ["duration", "endTime", "dueDate", "priority", "tenantId"])
def test_each_sort_orders_the_tasks(invoices: dict[str, Any], sort_by: str) -> None:
    api = invoices["api"]
    ascending = ids(api.get("/history/task", sortBy=sort_by, sortOrder="asc"))
    descending = ids(api.get("/history/task", sortBy=sort_by, sortOrder="desc"))
    assert sorted(ascending) == sorted(descending)
    assert len(ascending) == 3
    if sort_by in ("endTime", "dueDate"):  # nulls last ascending, first descending
        assert ascending[-1 if sort_by == "endTime" else 0] == invoices["approve"]
        assert descending[0 if sort_by == "endTime" else -1] == invoices["approve"]


@pytest.mark.parametrize(
    "parameter", ["taskInvolvedUser", "taskHadCandidateGroup", "caseInstanceId"]
)
def test_criteria_not_modelled_are_refused_by_name(client: Any, parameter: str) -> None:
    refused = Api(client).get("/history/task", **{parameter: "mary"})
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        f"The historic task instance query parameter {parameter} is not supported by this server"
    )


def test_bad_input_is_a_400(client: Any) -> None:
    api = Api(client)
    assert api.get("/history/task", startedBefore="yesterday").status_code == 400
    assert api.get("/history/task", sortBy="taskName").status_code == 400
    assert api.get("/history/task/count", taskPriority="high").status_code == 400
    wrong_sort = api.client.post(
        api.url("/history/task"), json={"sorting": [{"sortBy": "nothing", "sortOrder": "asc"}]}
    )
    assert wrong_sort.status_code == 400
