"""A model's variables: one UUID-like id for each variable's whole life, the same in
history, never reused; history written while the instance runs; the definition named in
variable instances (camunda-client's models refuse a null processDefinitionId)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

INVOICE = (Path(__file__).parent.parent / "bpmn" / "invoice.bpmn").read_bytes()
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def started(api: Api, **variables: Any) -> tuple[str, str]:
    response = api.post_parts("/deployment/create", Part("data", INVOICE, filename="i.bpmn"))
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    body = {"variables": {n: {"value": v} for n, v in {"clerk": "anna", **variables}.items()}}
    instance = api.client.post(api.url("/process-definition/key/invoice/start"), json=body)
    assert instance.status_code == 200, instance.text
    return str(definition_id), str(instance.json()["id"])


def runtime_ids(api: Api, instance_id: str) -> dict[str, str]:
    found = api.get("/variable-instance", processInstanceIdIn=instance_id).json()
    return {v["name"]: v["id"] for v in found}


def history(api: Api, instance_id: str) -> dict[str, dict[str, Any]]:
    found = api.get("/history/variable-instance", processInstanceId=instance_id).json()
    return {v["name"]: v for v in found}


def test_variable_instances_of_a_model_name_its_definition(api: Api) -> None:
    definition_id, instance_id = started(api)
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    put = api.client.put(
        api.url(f"/task/{task['id']}/localVariables/note"), json={"value": "x", "type": "String"}
    )
    assert put.status_code == 204
    found = api.get("/variable-instance", processInstanceIdIn=instance_id).json()
    assert {v["name"] for v in found} == {"clerk", "note"}
    assert {v["processDefinitionId"] for v in found} == {definition_id}


def test_variables_outside_a_model_name_no_definition(api: Api) -> None:
    api.create_process_instance({"id": "pi", "variables": {"a": {"value": 1}}})
    (found,) = api.get("/variable-instance", processInstanceIdIn="pi").json()
    assert found["processDefinitionId"] is None


def test_a_running_instances_variables_are_in_history_as_created(api: Api) -> None:
    _, instance_id = started(api, amount=10)
    historic = history(api, instance_id)
    assert {name: v["state"] for name, v in historic.items()} == {
        "clerk": "CREATED",
        "amount": "CREATED",
    }
    assert {name: v["id"] for name, v in historic.items()} == runtime_ids(api, instance_id)


def test_a_variables_id_is_kept_through_updates_and_by_its_history(api: Api) -> None:
    _, instance_id = started(api, amount=10)
    ids = runtime_ids(api, instance_id)
    assert all(UUID.match(identifier) for identifier in ids.values())
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    # amount over 1000: on to approval; the variable is written, not created anew
    done = api.client.post(
        api.url(f"/task/{task['id']}/complete"), json={"variables": {"amount": {"value": 5000}}}
    )
    assert done.status_code == 204
    assert runtime_ids(api, instance_id) == ids
    assert history(api, instance_id)["amount"]["value"] == 5000
    assert history(api, instance_id)["amount"]["id"] == ids["amount"]


def test_ids_are_never_reused_after_an_instance_ends(api: Api) -> None:
    _, first = started(api, amount=10)
    first_ids = {v["id"] for v in history(api, first).values()}
    (task,) = api.get("/task", processInstanceId=first).json()
    assert api.client.post(api.url(f"/task/{task['id']}/complete"), json={}).status_code == 204
    assert api.get(f"/history/process-instance/{first}").json()["state"] == "COMPLETED"
    assert runtime_ids(api, first) == {}
    second = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"variables": {"clerk": {"value": "bob"}, "amount": {"value": 3}}},
    ).json()["id"]
    second_ids = set(runtime_ids(api, second).values())
    assert len(second_ids) == 2
    assert not second_ids & first_ids
    assert {v["id"] for v in history(api, first).values()} == first_ids
