"""The fields docs/compatibility.md, "Process instance, execution and task descriptions",
says GET /process-instance/{id}, /execution/{id} and /task/{id} fill or leave null: filled
from the definition when a deployed model runs the instance, null for the extension's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.api_client import Api
from tests.multipart_bodies import Part

INVOICE = Path(__file__).parent.parent / "bpmn" / "invoice.bpmn"


def get(api: Api, path: str) -> dict[str, Any]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def test_an_instance_a_model_runs_reports_its_definition_tenant_and_form_key(client: Any) -> None:
    api = Api(client)
    deployed = api.post_parts(
        "/deployment/create",
        Part("tenant-id", b"tenant-a"),
        Part("data", INVOICE.read_bytes(), filename="invoice.bpmn"),
    )
    assert deployed.status_code == 200, deployed.text
    (definition_id,) = deployed.json()["deployedProcessDefinitions"]
    started = api.client.post(
        api.url(f"/process-definition/{definition_id}/start"),
        json={"variables": {"clerk": {"value": "anna"}}},
    )
    assert started.status_code == 200, started.text
    instance_id = started.json()["id"]

    instance = get(api, f"/process-instance/{instance_id}")
    (task,) = api.get("/task", processInstanceId=instance_id).json()
    execution = get(api, f"/execution/{task['executionId']}")

    assert (instance["definitionId"], instance["definitionKey"]) == (definition_id, "invoice")
    assert instance["tenantId"] == "tenant-a"
    assert (instance["suspended"], instance["ended"], instance["links"]) == (False, False, [])
    assert instance["caseInstanceId"] is None
    assert (execution["tenantId"], execution["ended"]) == (None, False)
    assert task["processDefinitionId"] == definition_id
    assert task["formKey"] == "embedded:app:forms/check-invoice.html"
    assert (task["caseDefinitionId"], task["caseExecutionId"], task["suspended"]) == (
        None,
        None,
        False,
    )


def test_an_instance_of_the_extension_and_a_standalone_task_report_no_definition(
    client: Any,
) -> None:
    api = Api(client)
    api.create_process_instance(
        {
            "id": "pi-1",
            "processDefinitionKey": "made-by-hand",
            "executions": [{"id": "ex-1", "parentId": "pi-1"}],
            "tasks": [{"id": "t-1", "executionId": "ex-1"}],
        }
    )
    assert api.create_task("standalone").status_code == 204

    instance = get(api, "/process-instance/pi-1")
    assert (instance["definitionId"], instance["definitionKey"]) == (None, "made-by-hand")
    assert instance["tenantId"] is None
    assert get(api, "/execution/ex-1")["tenantId"] is None
    for task_id in ("t-1", "standalone"):
        task = get(api, f"/task/{task_id}")
        assert (task["processDefinitionId"], task["formKey"]) == (None, None)
