"""External tasks over HTTP: deployed service tasks fetched and locked by workers with
the variables they ask for, completed with typed and File values, failed, retried and
raising BPMN errors, parked fetches answered when a task appears, and Camunda's errors
for the worker's mistakes."""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str) -> None:
    content = (MODELS / file_name).read_bytes()
    response = api.post_parts("/deployment/create", Part("data", content, filename=file_name))
    assert response.status_code == 200, response.text


def post(api: Api, path: str, body: Any) -> Any:
    return api.client.post(api.url(path), json=body)


def start_charge(api: Api, **variables: Any) -> str:
    body = {
        "variables": {
            "paymentTopic": {"value": "payments", "type": "String"},
            "urgency": {"value": 3, "type": "Integer"},
            **variables,
        }
    }
    response = post(api, "/process-definition/key/charge/start", body)
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def fetch(api: Api, worker: str = "w", **topic: Any) -> list[dict[str, Any]]:
    body = {
        "workerId": worker,
        "maxTasks": 5,
        "topics": [{"topicName": "payments", "lockDuration": 60_000, **topic}],
    }
    response = post(api, "/external-task/fetchAndLock", body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def task_keys(api: Api, instance_id: str) -> list[str]:
    tasks = api.get("/task", processInstanceId=instance_id).json()
    return sorted(task["taskDefinitionKey"] for task in tasks)


def test_a_fetched_task_has_every_field_of_camunda_s_locked_external_task(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(
        api,
        amount={"value": 42, "type": "Integer"},
        note={"value": "rush", "type": "String"},
    )
    (task,) = fetch(api, variables=["amount"])

    assert set(task) == {
        "activityId", "activityInstanceId", "errorMessage", "errorDetails", "executionId",
        "id", "lockExpirationTime", "createTime", "processDefinitionId",
        "processDefinitionKey", "processDefinitionVersionTag", "processInstanceId",
        "retries", "suspended", "workerId", "topicName", "tenantId", "variables",
        "priority", "businessKey", "extensionProperties",
    }  # fmt: skip
    assert task["variables"] == {"amount": {"type": "Integer", "value": 42, "valueInfo": {}}}
    assert (task["processInstanceId"], task["priority"], task["suspended"]) == (
        instance_id,
        3,
        False,
    )
    assert task["extensionProperties"] == {}  # not asked for
    assert api.get(f"/external-task/{task['id']}").json()["workerId"] == "w"


def test_completing_with_typed_and_file_variables_moves_the_instance_on(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    receipt = b"%PDF-1.7 receipt\x00\xff"

    response = post(
        api,
        f"/external-task/{task['id']}/complete",
        {
            "workerId": "w",
            "variables": {
                "charged": {"value": True, "type": "Boolean"},
                "receipt": {
                    "value": base64.b64encode(receipt).decode(),
                    "type": "File",
                    "valueInfo": {"filename": "receipt.pdf", "mimeType": "application/pdf"},
                },
            },
        },
    )
    assert response.status_code == 204, response.text

    assert task_keys(api, instance_id) == ["ship"]
    variables = api.get(f"/process-instance/{instance_id}/variables").json()
    assert variables["charged"]["value"] is True
    assert variables["receipt"]["valueInfo"]["filename"] == "receipt.pdf"
    data = api.get(f"/process-instance/{instance_id}/variables/receipt/data")
    assert data.content == receipt
    assert api.get(f"/external-task/{task['id']}").status_code == 404


def test_a_worker_sees_a_file_variable_as_camunda_sends_it(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    start_charge(
        api,
        scan={
            "value": base64.b64encode(b"scan").decode(),
            "type": "File",
            "valueInfo": {"filename": "scan.png", "mimeType": "image/png"},
        },
    )
    (task,) = fetch(api, variables=["scan"])
    assert task["variables"]["scan"] == {
        "type": "File",
        "value": None,
        "valueInfo": {"filename": "scan.png", "mimeType": "image/png"},
    }


def test_a_bpmn_error_goes_down_the_boundary_event_s_path(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)

    response = post(
        api,
        f"/external-task/{task['id']}/bpmnError",
        {"workerId": "w", "errorCode": "CARD_DECLINED", "errorMessage": "expired card"},
    )
    assert response.status_code == 204, response.text
    assert task_keys(api, instance_id) == ["callCustomer"]
    reason = api.get(f"/process-instance/{instance_id}/variables/declineReason").json()
    assert reason["value"] == "expired card"


def test_a_failure_is_kept_and_the_task_comes_back_after_its_retry_timeout(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    start_charge(api)
    (task,) = fetch(api)
    response = post(
        api,
        f"/external-task/{task['id']}/failure",
        {
            "workerId": "w",
            "errorMessage": "gateway timeout",
            "errorDetails": "Traceback (most recent call last): ...",
            "retries": 2,
            "retryTimeout": 200,
        },
    )
    assert response.status_code == 204, response.text
    stored = api.get(f"/external-task/{task['id']}").json()
    assert (stored["retries"], stored["errorMessage"]) == (2, "gateway timeout")
    details = api.get(f"/external-task/{task['id']}/errorDetails")
    assert details.text == "Traceback (most recent call last): ..."
    assert fetch(api, "other") == []
    time.sleep(0.3)
    (again,) = fetch(api, "other")
    assert again["id"] == task["id"]


def test_a_parked_fetch_is_answered_when_a_task_appears(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    answers: list[Any] = []

    def parked() -> None:
        body = {
            "workerId": "w",
            "maxTasks": 1,
            "asyncResponseTimeout": 10_000,
            "topics": [{"topicName": "payments", "lockDuration": 1000}],
        }
        answers.append(post(api, "/external-task/fetchAndLock", body))

    waiting = threading.Thread(target=parked)
    waiting.start()
    time.sleep(0.3)
    assert answers == []  # parked, not answered
    instance_id = start_charge(api)
    waiting.join(timeout=5)
    (response,) = answers
    assert response.status_code == 200, response.text
    assert [t["processInstanceId"] for t in response.json()] == [instance_id]


def test_a_parked_fetch_answers_nothing_at_its_timeout(api: Api) -> None:
    body = {
        "workerId": "w",
        "maxTasks": 1,
        "asyncResponseTimeout": 300,
        "topics": [{"topicName": "nothing-here", "lockDuration": 1000}],
    }
    began = time.monotonic()
    response = post(api, "/external-task/fetchAndLock", body)
    assert (response.status_code, response.json()) == (200, [])
    assert 0.3 <= time.monotonic() - began < 3


def test_locks_are_taken_extended_and_released_by_their_worker(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    start_charge(api)
    (task,) = fetch(api, "a")
    path = f"/external-task/{task['id']}"

    refused = post(api, f"{path}/lock", {"workerId": "b", "lockDuration": 1000})
    assert refused.status_code == 400
    assert refused.json()["type"] == "RestException"
    assert refused.json()["message"] == (
        f"External Task {task['id']} cannot be locked by worker 'b'. It is locked by worker 'a'."
    )
    extended = post(api, f"{path}/extendLock", {"workerId": "a", "newDuration": 120_000})
    assert extended.status_code == 204, extended.text
    assert post(api, f"{path}/unlock", None).status_code == 204
    assert post(api, f"{path}/lock", {"workerId": "b", "lockDuration": 1000}).status_code == 204
    assert api.get(path).json()["workerId"] == "b"


def test_another_worker_s_commands_are_refused_with_camunda_s_messages(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    start_charge(api)
    (task,) = fetch(api, "a")
    task_id = task["id"]
    cases = {
        "complete": f"External Task {task_id} cannot be completed by worker 'b'",
        "failure": f"Failure of External Task {task_id} cannot be reported by worker 'b'",
        "bpmnError": f"Bpmn error of External Task {task_id} cannot be reported by worker 'b'",
        "extendLock": f"The lock of the External Task {task_id} cannot be extended by worker 'b''",
    }
    for command, refusal in cases.items():
        body = {"workerId": "b", "errorCode": "E", "newDuration": 1000}
        response = post(api, f"/external-task/{task_id}/{command}", body)
        assert response.status_code == 400, command
        assert response.json() == {
            "type": "RestException",
            "message": f"{refusal}. It is locked by worker 'a'.",
            "code": None,
        }


def test_mistakes_in_a_fetch_are_400s_with_camunda_s_messages(api: Api) -> None:
    def refused(body: dict[str, Any]) -> dict[str, Any]:
        response = post(api, "/external-task/fetchAndLock", body)
        assert response.status_code == 400, response.text
        found: dict[str, Any] = response.json()
        return found

    topic = {"topicName": "t", "lockDuration": 1000}
    assert refused({"maxTasks": 1, "topics": [topic]})["message"] == "workerId is null"
    assert (
        refused({"workerId": "w", "maxTasks": 1, "topics": [{"topicName": "t"}]})["message"]
        == "lockTime is not greater than 0"
    )
    too_long = refused({"workerId": "w", "asyncResponseTimeout": 1_800_001, "topics": [topic]})
    assert too_long["message"] == (
        "The asynchronous response timeout cannot be set to a value greater than "
        "1800000 milliseconds"
    )
    wrong_sort = refused({"workerId": "w", "topics": [topic], "sorting": [{"sortBy": "id"}]})
    assert wrong_sort["message"] == "Cannot set query sortBy parameter to value id"


def test_unknown_tasks_are_404s(api: Api) -> None:
    response = post(api, "/external-task/nope/complete", {"workerId": "w"})
    assert response.status_code == 404
    assert response.json()["message"] == "External task with id nope does not exist"
    retries = api.client.put(api.url("/external-task/nope/retries"), json={"retries": 1})
    assert retries.status_code == 404


def test_retries_and_priority_are_set_by_id_and_by_process_instance(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    path = f"/external-task/{task['id']}"

    assert api.client.put(api.url(f"{path}/priority"), json={"priority": 99}).status_code == 204
    none = api.client.put(api.url(f"{path}/retries"), json={"retries": None})
    assert (none.status_code, none.json()["message"]) == (
        400,
        "The number of retries cannot be null.",
    )
    many = api.client.put(
        api.url("/external-task/retries"),
        json={"retries": 4, "processInstanceIds": [instance_id]},
    )
    assert many.status_code == 204, many.text
    stored = api.get(path).json()
    assert (stored["priority"], stored["retries"]) == (99, 4)
    empty = api.client.put(api.url("/external-task/retries"), json={"retries": 1})
    assert (empty.status_code, empty.json()["message"]) == (400, "externalTaskIds is empty")


def test_retries_running_out_open_an_incident_that_new_retries_resolve(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    failed = post(
        api,
        f"/external-task/{task['id']}/failure",
        {"workerId": "w", "errorMessage": "card service down", "retries": 0},
    )
    assert failed.status_code == 204, failed.text

    (incident,) = api.get("/incident", processInstanceId=instance_id).json()
    assert incident["incidentType"] == "failedExternalTask"
    assert incident["configuration"] == task["id"]
    assert incident["incidentMessage"] == "card service down"
    assert incident["activityId"] == "chargeCard"
    assert incident["executionId"] == task["executionId"]
    assert fetch(api) == []  # no retries left

    retried = api.client.put(api.url(f"/external-task/{task['id']}/retries"), json={"retries": 1})
    assert retried.status_code == 204, retried.text
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (recorded,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert (recorded["resolved"], recorded["open"]) == (True, False)
    assert [t["id"] for t in fetch(api)] == [task["id"]]


def test_an_incident_is_resolved_when_the_worker_completes_its_task(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    failed = post(api, f"/external-task/{task['id']}/failure", {"workerId": "w", "retries": 0})
    assert failed.status_code == 204, failed.text
    assert len(api.get("/incident", processInstanceId=instance_id).json()) == 1

    done = post(api, f"/external-task/{task['id']}/complete", {"workerId": "w"})
    assert done.status_code == 204, done.text
    assert api.get("/incident", processInstanceId=instance_id).json() == []
    (recorded,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert (recorded["resolved"], recorded["deleted"]) == (True, False)  # as Camunda's complete


def test_an_instance_waiting_in_a_service_task_shows_it_in_its_tree_and_queries(
    api: Api,
) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)

    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    (child,) = tree["childActivityInstances"]
    assert (child["activityId"], child["activityType"]) == ("chargeCard", "serviceTask")
    found = api.get("/process-instance", activityIdIn="chargeCard").json()
    assert [instance["id"] for instance in found] == [instance_id]
    (activity,) = api.get(
        "/history/activity-instance", processInstanceId=instance_id, activityId="chargeCard"
    ).json()
    assert (activity["activityType"], activity["endTime"]) == ("serviceTask", None)


def test_an_incident_is_deleted_when_a_bpmn_error_interrupts_its_task(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    failed = post(api, f"/external-task/{task['id']}/failure", {"workerId": "w", "retries": 0})
    assert failed.status_code == 204, failed.text

    error = {"workerId": "w", "errorCode": "CARD_DECLINED"}
    assert post(api, f"/external-task/{task['id']}/bpmnError", error).status_code == 204
    (recorded,) = api.get("/history/incident", processInstanceId=instance_id).json()
    assert (recorded["resolved"], recorded["deleted"]) == (False, True)


def test_a_suspended_instance_s_task_lock_is_not_extended(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    instance_id = start_charge(api)
    (task,) = fetch(api)
    suspend = api.client.put(
        api.url(f"/process-instance/{instance_id}/suspended"), json={"suspended": True}
    )
    assert suspend.status_code == 204, suspend.text

    body = {"workerId": "w", "newDuration": 1000}
    response = post(api, f"/external-task/{task['id']}/extendLock", body)
    assert response.status_code == 500
    assert response.json()["message"] == f"ExternalTask with id '{task['id']}' is suspended."


def test_a_topic_named_twice_in_a_fetch_is_the_last_one_named(api: Api) -> None:
    deploy(api, "external-charge.bpmn")
    start_charge(api)
    body = {
        "workerId": "w",
        "maxTasks": 5,
        "topics": [
            {"topicName": "payments", "lockDuration": 60_000, "processDefinitionKey": "charge"},
            {"topicName": "payments", "lockDuration": 1_000, "processDefinitionKey": "other"},
        ],
    }
    response = post(api, "/external-task/fetchAndLock", body)
    assert (response.status_code, response.json()) == (200, [])


def test_a_worker_id_longer_than_its_column_is_a_400(api: Api) -> None:
    body = {"workerId": "w" * 256, "maxTasks": 1, "topics": []}
    assert post(api, "/external-task/fetchAndLock", body).status_code == 400
