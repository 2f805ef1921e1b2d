"""Errors and escalations thrown by events, over HTTP: an error end event caught by an
error boundary event on the sub-process around it, an intermediate escalation throw
event caught by a non-interrupting escalation boundary event (the sub-process goes on),
an escalation end event caught by an interrupting one; executions, activity instances
and history as Camunda's (``ErrorEndEventActivityBehavior``,
``ThrowEscalationEventActivityBehavior``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str) -> None:
    deployed = api.post_parts(
        "/deployment/create",
        Part("deployment-name", file_name, content_type="text/plain"),
        Part("data", (MODELS / file_name).read_bytes(), filename=file_name),
    )
    assert deployed.status_code == 200, deployed.text


def start(api: Api, key: str) -> str:
    started = api.client.post(api.url(f"/process-definition/key/{key}/start"), json={})
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def complete(api: Api, instance_id: str, key: str, **values: Any) -> None:
    (task,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey=key).json()
    body = {"variables": {name: {"value": value} for name, value in values.items()}}
    done = api.client.post(api.url(f"/task/{task['id']}/complete"), json=body)
    assert done.status_code == 204, done.text


def open_tasks(api: Api, instance_id: str) -> list[str]:
    return sorted(t["taskDefinitionKey"] for t in api.get("/task", processInstanceId=instance_id).json())


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def variable(api: Api, instance_id: str, name: str) -> Any:
    found = api.get("/variable-instance", processInstanceId=instance_id, variableName=name).json()
    return [v["value"] for v in found]


def test_explore(client: Any) -> None:
    api = Api(client)
    deploy(api, "error-end-event.bpmn")
    instance_id = start(api, "errorEnd")
    complete(api, instance_id, "check", ok=False)
    print(open_tasks(api, instance_id))
    print(history(api, instance_id))
    print(api.get(f"/process-instance/{instance_id}/activity-instances").json())
    print(api.get("/execution", processInstanceId=instance_id).json())
    print(variable(api, instance_id, "why"), variable(api, instance_id, "said"))
    assert False


def test_explore_escalation(client: Any) -> None:
    api = Api(client)
    deploy(api, "escalation.bpmn")
    instance_id = start(api, "escalation")
    complete(api, instance_id, "review")
    print(open_tasks(api, instance_id))
    print(history(api, instance_id))
    print(api.get(f"/process-instance/{instance_id}/activity-instances").json())
    print(variable(api, instance_id, "escalated"))
    complete(api, instance_id, "decide", giveUp=True)
    print(open_tasks(api, instance_id))
    print(history(api, instance_id))
    print(api.get(f"/process-instance/{instance_id}/activity-instances").json())
    complete(api, instance_id, "remind")
    complete(api, instance_id, "takeOver")
    print(api.get(f"/history/process-instance/{instance_id}").json())
    assert False


def test_explore_esp(client: Any) -> None:
    api = Api(client)
    deploy(api, "event-subprocesses.bpmn")
    instance_id = start(api, "eventSubprocesses")

    def show() -> None:
        print(open_tasks(api, instance_id))
        print(history(api, instance_id))
        print(api.get(f"/process-instance/{instance_id}/activity-instances").json())

    show()
    print(variable(api, instance_id, "helpCode"))
    complete(api, instance_id, "prepare", ok=False)
    show()
    print(variable(api, instance_id, "brokenCode"))
    complete(api, instance_id, "repair")
    show()
    complete(api, instance_id, "deliver", fatal=True)
    show()
    complete(api, instance_id, "cleanUp")
    print(api.get(f"/history/process-instance/{instance_id}").json())
    assert False
