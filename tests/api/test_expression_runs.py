"""Camunda's everyday expressions in a model run over the REST API: a due date from
``dateTime()``, a Json variable's property in a gateway condition and a priority,
``execution`` in names and assignees, ``task`` in the form key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from taskvars.services.dates import parse_date
from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str) -> None:
    content = (MODELS / file_name).read_bytes()
    response = api.post_parts("/deployment/create", Part("data", content, filename=file_name))
    assert response.status_code == 200, response.text


def start(api: Api, business_key: str, customer: dict[str, Any]) -> str:
    response = api.client.post(
        api.url("/process-definition/key/ageCheck/start"),
        json={
            "businessKey": business_key,
            "variables": {
                "customer": {"value": json.dumps(customer), "type": "Json"},
                "bartender": {"value": "bob", "type": "String"},
            },
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["id"])


def only_task(api: Api, instance_id: str) -> dict[str, Any]:
    response = api.get("/task", processInstanceId=instance_id)
    assert response.status_code == 200, response.text
    (task,) = response.json()
    return dict(task)


def complete(api: Api, task_id: str) -> None:
    response = api.client.post(api.url(f"/task/{task_id}/complete"), json={})
    assert response.status_code == 204, response.text


def test_a_due_date_from_date_time_and_a_json_condition_run_through(api: Api) -> None:
    deploy(api, "age-check.bpmn")
    before = datetime.now(UTC)
    instance_id = start(api, "ORDER-21", {"name": "Ann", "age": 30})

    review = only_task(api, instance_id)
    assert review["name"] == "Review Ann"
    due = parse_date(review["due"])
    assert before + timedelta(days=2) - timedelta(seconds=1) <= due
    assert due <= datetime.now(UTC) + timedelta(days=2)
    assert review["priority"] == 40
    assert review["formKey"] == f"app:review/{review['id']}/ORDER-21"
    form = api.get(f"/task/{review['id']}/form")
    assert form.status_code == 200, form.text
    assert form.json()["key"] == review["formKey"]  # evaluated again in the task's scope

    complete(api, review["id"])
    serve = only_task(api, instance_id)
    assert (serve["taskDefinitionKey"], serve["assignee"]) == ("serve", "bob")
    assert serve["followUp"] is not None


def test_the_condition_reads_the_json_property_the_other_way(api: Api) -> None:
    deploy(api, "age-check.bpmn")
    instance_id = start(api, "ORDER-17", {"name": "Tim", "age": 17})
    complete(api, only_task(api, instance_id)["id"])

    refuse = only_task(api, instance_id)
    assert refuse["taskDefinitionKey"] == "refuse"
    assert refuse["name"] == "Refuse order ORDER-17 (17)"


def test_a_json_value_without_the_property_is_camundas_error_and_nothing_moves(api: Api) -> None:
    deploy(api, "age-check.bpmn")
    instance_id = start(api, "ORDER-0", {"name": "Kim", "age": 70})
    review = only_task(api, instance_id)
    assert review["priority"] == 80
    changed = api.client.put(
        api.url(f"/process-instance/{instance_id}/variables/customer"),
        json={"value": json.dumps({"name": "Kim"}), "type": "Json"},
    )
    assert changed.status_code == 204, changed.text

    response = api.client.post(api.url(f"/task/{review['id']}/complete"), json={})
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["type"] == "ProcessEngineException"
    assert "Unable to find property 'age'" in error["message"]
    assert only_task(api, instance_id)["id"] == review["id"]


def test_a_method_no_type_has_is_refused_at_deployment_with_its_position(api: Api) -> None:
    content = (
        (MODELS / "age-check.bpmn")
        .read_text()
        .replace("numberValue() &gt;= 21", "numbrValue() &gt;= 21")
    )
    response = api.post_parts(
        "/deployment/create", Part("data", content.encode(), filename="age-check.bpmn")
    )
    assert response.status_code == 400, response.text
    message = response.json()["message"]
    assert "unknown method 'numbrValue' at position 23" in message
    (problem,) = response.json()["details"]["age-check.bpmn"]["errors"]
    assert problem["mainElementId"] == "toServe"
    assert api.get("/process-definition", key="ageCheck").json() == []


def test_input_output_mappings_see_execution_and_type_what_expressions_give(api: Api) -> None:
    deploy(api, "io-expressions.bpmn")
    order = {"items": [1, 2, 3], "customer": {"name": "Ann"}}
    response = api.client.post(
        api.url("/process-definition/key/ioExpressions/start"),
        json={
            "businessKey": "ORDER-3",
            "variables": {"order": {"value": json.dumps(order), "type": "Json"}},
        },
    )
    assert response.status_code == 200, response.text
    instance_id = response.json()["id"]
    pack = only_task(api, instance_id)
    seen = api.get(f"/task/{pack['id']}/variables").json()
    assert seen["orderKey"] == {"type": "String", "value": "ORDER-3", "valueInfo": {}}
    assert (seen["boxes"]["type"], seen["boxes"]["value"]) == ("Long", 6)
    assert (seen["customer"]["type"], json.loads(seen["customer"]["value"])) == (
        "Json",
        {"name": "Ann"},
    )
    assert seen["labels"]["value"] == ["pack", "ANN"]

    complete(api, pack["id"])
    packed = api.get(f"/process-instance/{instance_id}/variables/packedBy").json()
    assert packed["value"] == "ORDER-3-packed"


def test_a_call_activity_passes_its_callers_business_key_through_execution(api: Api) -> None:
    """``<camunda:in businessKey="#{execution.processBusinessKey}" />``, as Camunda's
    documentation writes it, and expressions in the called element and the inputs."""
    deploy(api, "call-review.bpmn")
    deploy(api, "call-keyed.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/keyedOrder/start"),
        json={"businessKey": "ORD-9", "variables": {"amount": {"value": 21, "type": "Long"}}},
    )
    assert response.status_code == 200, response.text
    (called,) = api.get("/process-instance", superProcessInstance=response.json()["id"]).json()
    assert called["businessKey"] == "ORD-9"
    seen = api.get(f"/process-instance/{called['id']}/variables").json()
    assert (seen["reviewer"]["value"], seen["total"]["value"]) == ("ord-9", 42)
    assert only_task(api, called["id"])["assignee"] == "ord-9"
