"""Elements Camunda passes through, over HTTP: a task, a manual task and a none throw
event are entered and left at once (in history with Camunda's activityType names); a
terminate end event ends every token of its scope (a sub-process's only, or the whole
instance's); artifacts, lanes, a collaboration with a non-executable pool and properties
deploy and change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

MODEL = (Path(__file__).parent.parent / "bpmn" / "pass-through.bpmn").read_bytes()


def start(api: Api) -> str:
    deployed = api.post_parts(
        "/deployment/create",
        Part("enable-duplicate-filtering", "true", content_type="text/plain"),
        Part("deployment-name", "pass", content_type="text/plain"),
        Part("data", MODEL, filename="pass-through.bpmn"),
    )
    assert deployed.status_code == 200, deployed.text
    assert [d["key"] for d in deployed.json()["deployedProcessDefinitions"].values()] == [
        "passThrough"
    ]
    started = api.client.post(api.url("/process-definition/key/passThrough/start"), json={})
    assert started.status_code == 200, started.text
    instance_id: str = started.json()["id"]
    return instance_id


def history(api: Api, instance_id: str) -> list[tuple[str, str, bool]]:
    found = api.get(
        "/history/activity-instance",
        processInstanceId=instance_id,
        sortBy="occurrence",
        sortOrder="asc",
    ).json()
    return [(a["activityId"], a["activityType"], a["canceled"]) for a in found]


def test_tasks_and_none_throw_events_pass_and_a_terminate_ends_only_its_sub_process(
    client: Any,
) -> None:
    api = Api(client)
    instance_id = start(api)
    tasks = api.get("/task", processInstanceId=instance_id).json()
    assert sorted(task["taskDefinitionKey"] for task in tasks) == ["review", "veto"]
    passed = history(api, instance_id)
    assert passed[:4] == [
        ("Started", "startEvent", False),
        ("prepare", "task", False),
        ("sign", "manualTask", False),
        ("Signed", "intermediateNoneThrowEvent", False),
    ]
    # The sub-process's terminate end event ended its other path (the user task "file"
    # opened no task: see docs/compatibility.md); the process went on after it.
    assert passed[4:8] == [
        ("PaperworkStarted", "startEvent", False),
        ("PaperworkSplit", "parallelGateway", False),
        ("NoPaperwork", "terminateEndEvent", False),
        ("paperwork", "subProcess", False),
    ]
    assert api.get("/task", taskDefinitionKey="file").json() == []


def test_a_terminate_end_event_ends_the_instance_and_cancels_its_other_tokens(
    client: Any,
) -> None:
    api = Api(client)
    instance_id = start(api)
    (veto,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey="veto").json()
    completed = api.client.post(api.url(f"/task/{veto['id']}/complete"), json={})
    assert completed.status_code == 204, completed.text
    assert api.get("/task", processInstanceId=instance_id).json() == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    ended = api.get(f"/history/process-instance/{instance_id}").json()
    assert ended["state"] == "COMPLETED"
    assert ended["endTime"] is not None
    passed = history(api, instance_id)
    assert ("review", "userTask", True) in passed
    assert passed[-1] == ("Vetoed", "terminateEndEvent", False)
    scope_end = api.get(
        "/history/activity-instance", processInstanceId=instance_id, completeScope="true"
    ).json()
    assert sorted(a["activityId"] for a in scope_end) == ["NoPaperwork", "Vetoed"]


NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="urn:x">
  <bpmn:process id="nestedTerminate" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:parallelGateway id="split">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:subProcess id="work">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
      <bpmn:startEvent id="ws"><bpmn:outgoing>w1</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="inner"><bpmn:incoming>w1</bpmn:incoming>
        <bpmn:outgoing>w2</bpmn:outgoing></bpmn:userTask>
      <bpmn:endEvent id="we"><bpmn:incoming>w2</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="w1" sourceRef="ws" targetRef="inner" />
      <bpmn:sequenceFlow id="w2" sourceRef="inner" targetRef="we" />
    </bpmn:subProcess>
    <bpmn:endEvent id="done"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:userTask id="stop"><bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f5</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="stopped"><bpmn:incoming>f5</bpmn:incoming>
      <bpmn:terminateEventDefinition /></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="split" />
    <bpmn:sequenceFlow id="f2" sourceRef="split" targetRef="work" />
    <bpmn:sequenceFlow id="f3" sourceRef="split" targetRef="stop" />
    <bpmn:sequenceFlow id="f4" sourceRef="work" targetRef="done" />
    <bpmn:sequenceFlow id="f5" sourceRef="stop" targetRef="stopped" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_terminate_end_event_also_ends_a_running_sub_process_and_its_tasks(
    client: Any,
) -> None:
    api = Api(client)
    deployed = api.post_parts("/deployment/create", Part("data", NESTED, filename="n.bpmn"))
    assert deployed.status_code == 200, deployed.text
    started = api.client.post(api.url("/process-definition/key/nestedTerminate/start"), json={})
    instance_id = started.json()["id"]
    tasks = {t["taskDefinitionKey"]: t["id"] for t in api.get("/task").json()}
    assert sorted(tasks) == ["inner", "stop"]
    completed = api.client.post(api.url(f"/task/{tasks['stop']}/complete"), json={})
    assert completed.status_code == 204, completed.text
    assert api.get("/task").json() == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    passed = history(api, instance_id)
    assert ("inner", "userTask", True) in passed
    assert ("work", "subProcess", True) in passed
    assert passed[-1] == ("stopped", "terminateEndEvent", False)
    assert api.get(f"/history/process-instance/{instance_id}").json()["state"] == "COMPLETED"
