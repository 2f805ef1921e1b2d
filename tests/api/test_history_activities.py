"""GET and POST /history/activity-instance (+count, /{id}) over HTTP: every element a
model's token passed or waits in, with Camunda's activityType names, the assignee of
user tasks, cancelled and scope-completing instances, sorting and paging."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_history import run_invoice
from tests.api_client import Api


def activities(api: Api, **query: Any) -> list[dict[str, Any]]:
    response = api.get("/history/activity-instance", **query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_an_ended_instance_lists_its_path_with_camundas_names(client: Any) -> None:
    api = Api(client)
    instance_id, check_task = run_invoice(api, 10)
    found = activities(api, processInstanceId=instance_id, sortBy="occurrence", sortOrder="asc")
    assert [(a["activityId"], a["activityType"]) for a in found] == [
        ("InvoiceReceived", "startEvent"),
        ("checkInvoice", "userTask"),
        ("AmountDecision", "exclusiveGateway"),
        ("InvoicePaid", "noneEndEvent"),
    ]
    check = found[1]
    assert check["taskId"] == check_task
    assert check["assignee"] == "anna"
    assert check["activityName"] == "Check invoice"
    assert check["processDefinitionKey"] == "invoice"
    assert check["parentActivityInstanceId"] == instance_id
    assert check["durationInMillis"] >= 0
    assert [a["completeScope"] for a in found] == [False, False, False, True]
    assert not any(a["canceled"] for a in found)

    one = api.get(f"/history/activity-instance/{check['id']}")
    assert one.status_code == 200
    assert one.json() == check
    scope_end = activities(api, processInstanceId=instance_id, completeScope="true")
    assert [a["activityId"] for a in scope_end] == ["InvoicePaid"]


def test_running_finished_and_cancelled_instances_are_told_apart(client: Any) -> None:
    api = Api(client)
    instance_id, _ = run_invoice(api, 5000)
    (waiting,) = activities(api, processInstanceId=instance_id, unfinished="true")
    assert (waiting["activityId"], waiting["endTime"]) == ("approveInvoice", None)
    assert len(activities(api, processInstanceId=instance_id, finished="true")) == 3
    assert [a["activityId"] for a in activities(api, activityType="userTask")] == [
        "checkInvoice",
        "approveInvoice",
    ]
    assert [a["activityId"] for a in activities(api, taskAssignee="anna")] == ["checkInvoice"]
    assert activities(api, canceled="true") == []

    assert api.client.delete(api.url(f"/process-instance/{instance_id}")).status_code == 204
    (cancelled,) = activities(api, canceled="true")
    assert cancelled["id"] == waiting["id"]
    assert cancelled["endTime"] is not None
    assert cancelled["completeScope"] is False
    count = api.get("/history/activity-instance/count", processInstanceId=instance_id)
    assert count.json() == {"count": 4}


def test_the_json_query_sorts_by_several_criteria_and_pages(client: Any) -> None:
    api = Api(client)
    first, _ = run_invoice(api, 10)
    second, _ = run_invoice(api, 20)
    body = {
        "activityType": "userTask",
        "sorting": [
            {"sortBy": "activityId", "sortOrder": "asc"},
            {"sortBy": "instanceId", "sortOrder": "desc"},
        ],
    }
    response = api.client.post(api.url("/history/activity-instance"), json=body)
    assert response.status_code == 200, response.text
    expected = sorted([first, second], reverse=True)
    assert [a["processInstanceId"] for a in response.json()] == expected
    paged = api.client.post(
        api.url("/history/activity-instance?firstResult=1&maxResults=1"), json=body
    )
    assert [a["processInstanceId"] for a in paged.json()] == expected[1:]
    count = api.client.post(api.url("/history/activity-instance/count"), json=body)
    assert count.json() == {"count": 2}


@pytest.mark.parametrize(
    "sort_by",
    [
        "activityInstanceId",
        "executionId",
        "activityName",
        "startTime",
        "endTime",
        "duration",
        "definitionId",
        "tenantId",
    ],
)
def test_each_sort_orders_every_activity_instance(client: Any, sort_by: str) -> None:
    api = Api(client)
    run_invoice(api, 5000)
    ascending = activities(api, sortBy=sort_by, sortOrder="asc")
    descending = activities(api, sortBy=sort_by, sortOrder="desc")
    assert len(ascending) == 4
    assert sorted(a["id"] for a in ascending) == sorted(a["id"] for a in descending)
    if sort_by in ("endTime", "duration"):  # the waiting task: null, last ascending
        assert ascending[-1]["activityId"] == descending[0]["activityId"] == "approveInvoice"


def test_dates_bound_the_instances(client: Any) -> None:
    api = Api(client)
    run_invoice(api, 10)
    assert activities(api, startedAfter="2099-01-01T00:00:00.000+0000") == []
    assert len(activities(api, startedBefore="2099-01-01T00:00:00.000+0000")) == 4
    assert len(activities(api, finishedAfter="2000-01-01T00:00:00Z")) == 4
    bad = api.get("/history/activity-instance", finishedBefore="soon")
    assert bad.status_code == 400


def test_a_missing_activity_instance_is_a_404_in_camundas_words(client: Any) -> None:
    missing = Api(client).get("/history/activity-instance/nothing")
    assert missing.status_code == 404
    assert missing.json()["message"] == (
        "Historic activity instance with id 'nothing' does not exist"
    )
