"""Hostile expressions in a model: refused at deployment with Camunda's 400 when outside
what the evaluator can hold, or failing the request that evaluates them with Camunda's
error and nothing written; never a hang, never an unshaped 500."""

from __future__ import annotations

from xml.sax.saxutils import escape

import httpx

from tests.api_client import Api
from tests.multipart_bodies import Part


def model(name: str, assignee: str = "") -> bytes:
    assigned = f' camunda:assignee="{escape(assignee, {chr(34): "&quot;"})}"' if assignee else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="hostile" isExecutable="true" camunda:historyTimeToLive="1">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:userTask id="t" name="{escape(name, {'"': "&quot;"})}"{assigned}>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>""".encode()


def deploy(api: Api, name: str, assignee: str = "") -> httpx.Response:
    content = model(name, assignee)
    return api.post_parts("/deployment/create", Part("data", content, filename="hostile.bpmn"))


def start(api: Api) -> httpx.Response:
    return api.client.post(api.url("/process-definition/key/hostile/start"), json={})


def test_an_expression_as_deep_as_the_evaluator_takes_runs_in_a_request(api: Api) -> None:
    calls = "'x'" + ".toString()" * 45
    sums = "+".join(["1"] * 50)
    # The assignee, not the name: a name is also the activity's, of 255 characters at
    # most in history (ACT_HI_ACTINST.ACT_NAME_), as in Camunda.
    assignee = "${" + "(" * 30 + f"{calls}.length() + {sums}" + ")" * 30 + "}"
    response = deploy(api, "Review", assignee)
    assert response.status_code == 200, response.text
    started = start(api)
    assert started.status_code == 200, started.text
    (task,) = api.get("/task").json()
    assert task["assignee"] == "51"


def test_a_task_name_outside_the_subset_is_refused_at_deployment(api: Api) -> None:
    # BpmnParse.parseTaskDefinition compiles the name as an expression when it parses.
    for name in ("Review ${x.bogus()}", "${" + "(" * 300 + "1" + ")" * 300 + "}"):
        response = deploy(api, name)
        assert response.status_code == 400, response.text
        error = response.json()
        assert error["type"] == "ParseException"
        assert "name: " in error["message"]
        assert api.get("/process-definition", key="hostile").json() == []
