"""Reading external tasks as Camunda's REST API shows them: the query (``GET`` and
``POST /external-task`` and their counts), one task, its error details and the topic
names. The rows are written through the store (tests/api/external_task_rows.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.external_task_rows import CREATED, MINUTE, add_external_task, now
from tests.api.test_process_runs import deploy
from tests.api_client import Api


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [task["id"] for task in response.json()]


def _query(api: Api, body: dict[str, Any], **params: Any) -> list[str]:
    return _ids(api.client.post(api.url("/external-task"), json=body, params=params))


@pytest.fixture
def api(client: Any) -> Api:
    api = Api(client)
    api.create_process_instance({"id": "pi-1", "businessKey": "order-1"})
    api.create_process_instance({"id": "pi-2", "businessKey": "order-2"})
    return api


def test_the_query_filters_by_topic_worker_activity_and_instance(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "et-1", topic="invoice", worker_id="w1")
    add_external_task(db_url, "pi-1", "et-2", topic="shipping", activity_id="ship")
    add_external_task(db_url, "pi-2", "et-3", topic="invoice", tenant_id="acme")

    assert _ids(api.get("/external-task")) == ["et-1", "et-2", "et-3"]
    assert _ids(api.get("/external-task", topicName="invoice")) == ["et-1", "et-3"]
    assert _ids(api.get("/external-task", workerId="w1")) == ["et-1"]
    assert _ids(api.get("/external-task", activityIdIn="ship,other")) == ["et-2"]
    assert _ids(api.get("/external-task", activityId="serviceTask")) == ["et-1", "et-3"]
    assert _ids(api.get("/external-task", processInstanceId="pi-2")) == ["et-3"]
    assert _ids(api.get("/external-task", processInstanceIdIn="pi-1")) == ["et-1", "et-2"]
    assert _ids(api.get("/external-task", executionId="et-2-execution")) == ["et-2"]
    assert _ids(api.get("/external-task", externalTaskIdIn="et-3,et-1")) == ["et-1", "et-3"]
    assert _ids(api.get("/external-task", externalTaskId="et-2")) == ["et-2"]
    assert _ids(api.get("/external-task", tenantIdIn="acme")) == ["et-3"]
    assert _ids(api.get("/external-task", processDefinitionKeyIn="invoice")) == [
        "et-1",
        "et-2",
        "et-3",
    ]
    assert api.get("/external-task/count", topicName="invoice").json() == {"count": 2}
    assert _query(api, {"topicName": "invoice", "processInstanceIdIn": ["pi-2"]}) == ["et-3"]
    count = api.client.post(api.url("/external-task/count"), json={"workerId": "w1"})
    assert count.json() == {"count": 1}


def test_locked_means_a_lock_that_expires_after_now(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "held", worker_id="w", lock_expiration_time=now() + MINUTE)
    add_external_task(db_url, "pi-1", "expired", worker_id="w", lock_expiration_time=now() - MINUTE)
    add_external_task(db_url, "pi-1", "free")

    assert _ids(api.get("/external-task", locked="true")) == ["held"]
    assert _ids(api.get("/external-task", notLocked="true")) == ["expired", "free"]
    assert _ids(api.get("/external-task", locked="false")) == ["held", "expired", "free"]
    assert _ids(api.get("/external-task", lockExpirationBefore="2999-01-01T00:00:00.000+0000")) == [
        "held",
        "expired",
    ]
    assert _query(api, {"lockExpirationAfter": "2000-01-01T00:00:00.000+0000", "locked": True}) == [
        "held"
    ]


def test_retries_not_set_are_retries_left(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "never-failed")
    add_external_task(db_url, "pi-1", "failed-once", retries=2)
    add_external_task(db_url, "pi-1", "used-up", retries=0)

    assert _ids(api.get("/external-task", withRetriesLeft="true")) == [
        "never-failed",
        "failed-once",
    ]
    assert _ids(api.get("/external-task", noRetriesLeft="true")) == ["used-up"]


def test_suspension_is_the_process_instances(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "et-1")
    add_external_task(db_url, "pi-2", "et-2")
    response = api.client.put(api.url("/process-instance/pi-2/suspended"), json={"suspended": True})
    assert response.status_code == 204, response.text

    assert _ids(api.get("/external-task", suspended="true")) == ["et-2"]
    assert _ids(api.get("/external-task", active="true")) == ["et-1"]
    assert api.get("/external-task/et-2").json()["suspended"] is True


def test_priority_bounds_sorting_and_paging(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "low", priority=1)
    add_external_task(db_url, "pi-1", "high", priority=9)
    add_external_task(db_url, "pi-2", "middle", priority=5)

    assert _ids(api.get("/external-task", priorityHigherThanOrEquals=5)) == ["high", "middle"]
    assert _ids(api.get("/external-task", priorityLowerThanOrEquals=5)) == ["low", "middle"]
    assert _ids(api.get("/external-task", sortBy="taskPriority", sortOrder="desc")) == [
        "high",
        "middle",
        "low",
    ]
    assert _ids(
        api.get(
            "/external-task", sortBy="createTime", sortOrder="desc", firstResult=1, maxResults=1
        )
    ) == ["high"]
    sorting = [
        {"sortBy": "processInstanceId", "sortOrder": "desc"},
        {"sortBy": "id", "sortOrder": "asc"},
    ]
    assert _query(api, {"sorting": sorting}) == ["middle", "high", "low"]
    assert _query(api, {"sorting": sorting}, firstResult=2) == ["low"]


def test_process_variables_in_the_text_and_the_json_form(api: Api, db_url: str) -> None:
    """As in Camunda, a value in the text form is text: it matches no Integer."""
    variables = {"amount": {"value": 700, "type": "Integer"}, "customer": {"value": "ACME"}}
    api.create_process_instance({"id": "pi-3", "variables": variables})
    add_external_task(db_url, "pi-3", "big")
    add_external_task(db_url, "pi-1", "none")

    assert _ids(api.get("/external-task", processVariables="customer_eq_ACME")) == ["big"]
    assert _ids(api.get("/external-task", processVariables="amount_eq_700")) == []
    json_form = {"processVariables": [{"name": "amount", "operator": "gt", "value": 500}]}
    assert _query(api, json_form) == ["big"]
    refused = api.get("/external-task", processVariables="amount_near_700")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Invalid process variable comparator specified: near"


def test_the_definition_name_is_the_deployed_definitions(api: Api, db_url: str) -> None:
    definition_id = deploy(api, "onboarding.bpmn")
    add_external_task(db_url, "pi-1", "onboard", process_definition_id=definition_id)
    add_external_task(db_url, "pi-1", "other")

    assert _ids(api.get("/external-task", processDefinitionName="Onboarding")) == ["onboard"]
    assert _ids(api.get("/external-task", processDefinitionNameLike="Onboard%")) == ["onboard"]
    assert _ids(api.get("/external-task", processDefinitionId=definition_id)) == ["onboard"]


def test_one_task_has_every_field_of_camundas_dto(api: Api, db_url: str) -> None:
    add_external_task(
        db_url,
        "pi-1",
        "et-1",
        topic="invoice",
        worker_id="w1",
        lock_expiration_time=CREATED + 5 * MINUTE,
        create_time=CREATED,
        retries=3,
        error_message="timeout",
        priority=7,
        tenant_id="acme",
        process_definition_version_tag="v2",
    )

    response = api.get("/external-task/et-1")

    assert response.status_code == 200, response.text
    assert response.json() == {
        "activityId": "serviceTask",
        "activityInstanceId": "serviceTask:et-1",
        "errorMessage": "timeout",
        "executionId": "et-1-execution",
        "id": "et-1",
        "lockExpirationTime": "2025-12-05T12:05:00.000+0000",
        "createTime": "2025-12-05T12:00:00.000+0000",
        "processDefinitionId": "invoice:1:d1",
        "processDefinitionKey": "invoice",
        "processDefinitionVersionTag": "v2",
        "processInstanceId": "pi-1",
        "retries": 3,
        "suspended": False,
        "workerId": "w1",
        "topicName": "invoice",
        "tenantId": "acme",
        "priority": 7,
        "businessKey": "order-1",
    }
    assert api.get("/external-task").json() == [response.json()]


def test_an_unknown_external_task_is_a_404(api: Api) -> None:
    for path in ("/external-task/nope", "/external-task/nope/errorDetails"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json() == {
            "type": "RestException",
            "message": "External task with id nope does not exist",
            "code": None,
        }


def test_error_details_are_plain_text_or_nothing(api: Api, db_url: str) -> None:
    add_external_task(db_url, "pi-1", "failed", error_details="Traceback:\n  line 1")
    add_external_task(db_url, "pi-1", "fine")

    failed = api.get("/external-task/failed/errorDetails")
    assert failed.status_code == 200
    assert failed.headers["content-type"].startswith("text/plain")
    assert failed.text == "Traceback:\n  line 1"
    assert api.get("/external-task/fine/errorDetails").status_code == 204


def test_topic_names_are_distinct_and_follow_the_lock_and_retry_flags(
    api: Api, db_url: str
) -> None:
    add_external_task(db_url, "pi-1", "a1", topic="a", lock_expiration_time=now() + MINUTE)
    add_external_task(db_url, "pi-1", "a2", topic="a")
    add_external_task(db_url, "pi-2", "b1", topic="b", retries=0)

    def names(**flags: str) -> Any:
        response = api.get("/external-task/topic-names", **flags)
        assert response.status_code == 200, response.text
        return response.json()

    assert names() == ["a", "b"]
    assert names(withLockedTasks="true") == ["a"]
    assert names(withUnlockedTasks="true") == ["a", "b"]
    assert names(withRetriesLeft="true") == ["a"]
    assert names(withLockedTasks="true", withUnlockedTasks="true") == []


def test_a_date_that_is_not_one_is_refused(api: Api) -> None:
    response = api.get("/external-task", lockExpirationAfter="yesterday")

    assert response.status_code == 400
    assert response.json()["message"].startswith(
        "Cannot set query parameter 'lockExpirationAfter' to value 'yesterday'"
    )
