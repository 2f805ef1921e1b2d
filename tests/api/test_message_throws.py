"""Message intermediate throw events and message end events, over HTTP, as Camunda runs
them (``BpmnParse.parseIntermediateThrowEvent``, CAM-436): with ``camunda:type="external"``
an external task a worker fetches and completes; with no service task attributes a none
event the run passes through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from taskvars.engine import stand_ins
from tests.api.event_runs import deploy, start
from tests.api_client import Api


@pytest.fixture
def standing_in() -> Iterator[None]:
    """Stand-ins for the code the message-throw-code model calls."""
    document = {
        "class": {"org.example.SendInvoice": {"set": {"sent": True}}},
        "expression": {"${archiver}": {"set": {"archived": True}}},
    }
    stand_ins.install(stand_ins.parse(document))
    yield
    stand_ins.install(stand_ins.NONE)


def fetch(api: Api, topic: str) -> list[dict[str, Any]]:
    body = {
        "workerId": "w",
        "maxTasks": 5,
        "topics": [{"topicName": topic, "lockDuration": 60_000}],
    }
    response = api.client.post(api.url("/external-task/fetchAndLock"), json=body)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def complete(api: Api, task_id: str) -> None:
    body = {"workerId": "w", "variables": {}}
    done = api.client.post(api.url(f"/external-task/{task_id}/complete"), json=body)
    assert done.status_code == 204, done.text


def history(api: Api, instance_id: str) -> list[tuple[str, str]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"]) for a in found]


def test_message_throw_and_end_events_with_a_topic_are_external_tasks(client: Any) -> None:
    api = Api(client)
    deploy(api, "message-throws.bpmn")
    instance_id = start(api, "messageThrows", {"confirmTopic": {"value": "confirmations"}})

    (order,) = fetch(api, "orders")
    assert (order["activityId"], order["processInstanceId"]) == ("sendOrder", instance_id)
    tree = api.get(f"/process-instance/{instance_id}/activity-instances").json()
    (waiting,) = tree["childActivityInstances"]
    assert (waiting["activityId"], waiting["activityType"]) == (
        "sendOrder",
        "intermediateMessageThrowEvent",
    )
    complete(api, order["id"])

    (confirmation,) = fetch(api, "confirmations")
    assert confirmation["activityId"] == "confirm"
    complete(api, confirmation["id"])

    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"
    assert history(api, instance_id) == [
        ("start", "startEvent"),
        ("announce", "intermediateNoneThrowEvent"),
        ("sendOrder", "intermediateMessageThrowEvent"),
        ("confirm", "messageEndEvent"),
    ]


def test_message_throw_and_end_events_calling_code_run_their_stand_ins(
    client: Any, standing_in: None
) -> None:
    api = Api(client)
    deploy(api, "message-throw-code.bpmn")
    instance_id = start(api, "messageThrowCode")

    found = api.get(f"/process-instance/{instance_id}/variables").json()
    assert {name: dto["value"] for name, dto in found.items()} == {"sent": True}
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    assert api.client.post(api.url(f"/task/{task['id']}/complete"), json={}).status_code == 204

    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"
    values = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    assert {v["name"]: v["value"] for v in values} == {"sent": True, "archived": True}
    assert history(api, instance_id) == [
        ("start", "startEvent"),
        ("notify", "intermediateMessageThrowEvent"),
        ("check", "userTask"),
        ("done", "messageEndEvent"),
    ]
