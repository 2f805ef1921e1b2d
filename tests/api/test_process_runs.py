"""Deployed models run over HTTP: started with variables, their user tasks created with
Camunda's fields in executions of their own, moved on by completing tasks, and gone
from the runtime once they end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.api_client import Api
from tests.multipart_bodies import Part

MODELS = Path(__file__).parent.parent / "bpmn"


def deploy(api: Api, file_name: str) -> str:
    content = (MODELS / file_name).read_bytes()
    response = api.post_parts("/deployment/create", Part("data", content, filename=file_name))
    assert response.status_code == 200, response.text
    (definition_id,) = response.json()["deployedProcessDefinitions"]
    return str(definition_id)


def start(api: Api, path: str, **body: Any) -> dict[str, Any]:
    response = api.client.post(api.url(path), json=body)
    assert response.status_code == 200, response.text
    started: dict[str, Any] = response.json()
    return started


def tasks_of(api: Api, instance_id: str) -> list[dict[str, Any]]:
    response = api.get("/task", processInstanceId=instance_id, sortBy="name", sortOrder="asc")
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def complete(api: Api, task_id: str, **variables: Any) -> None:
    response = api.client.post(api.url(f"/task/{task_id}/complete"), json={"variables": variables})
    assert response.status_code == 204, response.text


def test_an_invoice_over_1000_goes_to_approval_and_ends_after_it(client: Any) -> None:
    api = Api(client)
    definition_id = deploy(api, "invoice.bpmn")
    started = start(
        api,
        "/process-definition/key/invoice/start",
        businessKey="INV-1",
        variables={"clerk": {"value": "anna", "type": "String"}},
        withVariablesInReturn=True,
    )
    assert started["definitionId"] == definition_id
    assert started["businessKey"] == "INV-1"
    assert started["ended"] is False
    assert started["variables"]["clerk"]["value"] == "anna"
    instance_id = started["id"]

    (check,) = tasks_of(api, instance_id)
    assert check["taskDefinitionKey"] == "checkInvoice"
    assert check["name"] == "Check invoice"
    assert check["assignee"] == "anna"  # camunda:assignee="${clerk}"
    assert check["priority"] == 60
    assert check["formKey"] == "embedded:app:forms/check-invoice.html"
    assert check["description"] == "Attach the scanned invoice and set the amount."
    assert check["processDefinitionId"] == definition_id
    assert check["processInstanceId"] == instance_id
    assert check["executionId"] == instance_id  # one token: the instance itself
    links = api.get(f"/task/{check['id']}/identity-links").json()
    assert {"type": "candidate", "groupId": "accounting", "userId": None} in [
        {key: link[key] for key in ("type", "groupId", "userId")} for link in links
    ]
    uploaded = api.upload(
        f"/task/{check['id']}/variables/scan", b"%PDF-1.7", value_type="File", filename="scan.pdf"
    )
    assert uploaded.status_code == 204, uploaded.text

    complete(api, check["id"], amount={"value": 2500, "type": "Integer"})
    (approve,) = tasks_of(api, instance_id)
    assert approve["taskDefinitionKey"] == "approveInvoice"
    assert approve["due"].startswith("2030-01-31T")
    approve_links = api.get(f"/task/{approve['id']}/identity-links").json()
    assert sorted(link["userId"] or link["groupId"] for link in approve_links) == [
        "management",
        "mary",
        "peter",
    ]
    # The file uploaded on the first task is on the process instance, visible here.
    scan = api.get(f"/task/{approve['id']}/variables/scan/data")
    assert scan.status_code == 200
    assert scan.content == b"%PDF-1.7"

    complete(api, approve["id"])
    assert tasks_of(api, instance_id) == []
    gone = api.get(f"/process-instance/{instance_id}")
    assert gone.status_code == 404


def test_a_small_invoice_skips_approval(client: Any) -> None:
    api = Api(client)
    deploy(api, "invoice.bpmn")
    started = start(
        api,
        "/process-definition/key/invoice/start",
        variables={"clerk": {"value": "anna", "type": "String"}},
    )
    (check,) = tasks_of(api, started["id"])
    complete(api, check["id"], amount={"value": 80, "type": "Long"})
    assert api.get(f"/process-instance/{started['id']}").status_code == 404


def test_parallel_branches_keep_local_variables_apart_and_join(client: Any) -> None:
    api = Api(client)
    deploy(api, "parallel-review.bpmn")
    instance_id = start(api, "/process-definition/key/parallelReview/start")["id"]
    finance, legal = tasks_of(api, instance_id)
    assert (finance["taskDefinitionKey"], legal["taskDefinitionKey"]) == (
        "financeReview",
        "legalReview",
    )
    # Each branch is an execution of its own under the process instance.
    assert finance["executionId"] != legal["executionId"]
    assert instance_id not in (finance["executionId"], legal["executionId"])
    for task in (finance, legal):
        execution = api.get(f"/execution/{task['executionId']}").json()
        assert execution["processInstanceId"] == instance_id
    put = api.client.put(
        api.url(f"/execution/{legal['executionId']}/localVariables/verdict"),
        json={"value": "fine", "type": "String"},
    )
    assert put.status_code == 204, put.text
    assert api.get(f"/task/{legal['id']}/variables/verdict").status_code == 200
    assert api.get(f"/task/{finance['id']}/variables/verdict").status_code == 404

    complete(api, legal["id"])
    (still,) = tasks_of(api, instance_id)
    assert still["id"] == finance["id"]
    # The legal branch waits at the join: its execution and local variables are gone.
    assert api.get(f"/execution/{legal['executionId']}").status_code == 404
    complete(api, finance["id"], approved={"value": True, "type": "Boolean"})
    (decide,) = tasks_of(api, instance_id)
    assert decide["taskDefinitionKey"] == "decide"
    assert decide["executionId"] == instance_id
    assert decide["assignee"] == "demo"
    assert api.get(f"/task/{decide['id']}/variables/approved").json()["value"] is True
    complete(api, decide["id"])
    assert api.get(f"/process-instance/{instance_id}").status_code == 404


def test_a_sub_process_is_an_execution_its_tasks_belong_to(client: Any) -> None:
    api = Api(client)
    deploy(api, "onboarding.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/onboarding/start",
        variables={"employee": {"value": "Ben", "type": "String"}},
    )["id"]
    (upload,) = tasks_of(api, instance_id)
    assert upload["taskDefinitionKey"] == "uploadContract"
    assert upload["assignee"] == "Ben"
    assert upload["executionId"] != instance_id
    complete(api, upload["id"])
    (welcome,) = tasks_of(api, instance_id)
    assert welcome["name"] == "Welcome Ben"
    assert welcome["executionId"] == instance_id
    assert api.get(f"/execution/{upload['executionId']}").status_code == 404


def test_a_condition_over_a_variable_nobody_set_is_a_400_and_changes_nothing(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "invoice.bpmn")
    instance_id = start(
        api,
        "/process-definition/key/invoice/start",
        variables={"clerk": {"value": "anna", "type": "String"}},
    )["id"]
    (check,) = tasks_of(api, instance_id)
    response = api.client.post(
        api.url(f"/task/{check['id']}/complete"),
        json={"variables": {"note": {"value": "no amount", "type": "String"}}},
    )
    assert response.status_code == 400
    assert response.json() == {
        "type": "ProcessEngineException",
        "message": f"Cannot complete task {check['id']}: Unknown property used in expression: "
        "${amount > 1000}. Cause: Cannot resolve identifier 'amount'",
        "code": 0,
    }
    # Nothing of it stayed: the task is there, the variable was not written.
    assert [task["id"] for task in tasks_of(api, instance_id)] == [check["id"]]
    assert api.get(f"/process-instance/{instance_id}/variables/note").status_code == 404


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/process-definition/key/nothing/start",
            "No matching process definition with key: nothing and no tenant-id",
        ),
        ("/process-definition/nothing:1:x/start", "No matching definition with id nothing:1:x"),
    ],
)
def test_starting_a_definition_that_does_not_exist_is_a_404(
    client: Any, path: str, message: str
) -> None:
    response = Api(client).client.post(Api(client).url(path), json={})
    assert response.status_code == 404
    assert response.json()["message"] == message


def test_a_deployment_whose_definitions_run_is_deleted_only_with_cascade(client: Any) -> None:
    api = Api(client)
    definition_id = deploy(api, "parallel-review.bpmn")
    deployment_id = api.get(f"/process-definition/{definition_id}").json()["deploymentId"]
    instance_id = start(api, f"/process-definition/{definition_id}/start")["id"]

    refused = api.client.delete(api.url(f"/deployment/{deployment_id}"))
    assert refused.status_code == 409
    assert refused.json() == {
        "type": "ProcessEngineException",
        "message": "ENGINE-03076 Deletion of process definition without cascading failed. "
        f"Process definition with id: {definition_id} can't be deleted, because there are "
        "1 dependent process instances.",
        "code": 0,
    }
    assert len(tasks_of(api, instance_id)) == 2

    deleted = api.client.delete(api.url(f"/deployment/{deployment_id}"), params={"cascade": "true"})
    assert deleted.status_code == 204
    assert tasks_of(api, instance_id) == []
    assert api.get(f"/process-instance/{instance_id}").status_code == 404
    assert api.get(f"/process-definition/{definition_id}").status_code == 404


def test_an_inclusive_gateway_starts_the_branches_whose_conditions_hold(client: Any) -> None:
    api = Api(client)
    deploy(api, "inclusive-checks.bpmn")
    customer = {"new": True, "country": "DE"}
    instance_id = start(
        api,
        "/process-definition/key/inclusiveChecks/start",
        variables={
            "amount": {"value": 5000, "type": "Integer"},
            "customer": {"value": json.dumps(customer), "type": "Json"},
        },
    )["id"]
    credit, fraud = tasks_of(api, instance_id)
    assert (credit["taskDefinitionKey"], fraud["taskDefinitionKey"]) == (
        "creditCheck",
        "fraudCheck",
    )
    assert credit["executionId"] != fraud["executionId"]
    complete(api, credit["id"])
    assert [t["taskDefinitionKey"] for t in tasks_of(api, instance_id)] == ["fraudCheck"]
    complete(api, fraud["id"])
    (decide,) = tasks_of(api, instance_id)
    assert (decide["taskDefinitionKey"], decide["executionId"]) == ("decide", instance_id)


def test_a_subtask_of_a_models_task_is_left_alone_when_the_process_moves_on(
    client: Any,
) -> None:
    api = Api(client)
    deploy(api, "parallel-review.bpmn")
    instance_id = start(api, "/process-definition/key/parallelReview/start")["id"]
    finance, legal = tasks_of(api, instance_id)
    created = api.client.post(
        api.url("/task/create"), json={"id": "ask-a-lawyer", "parentTaskId": legal["id"]}
    )
    assert created.status_code == 204, created.text
    complete(api, finance["id"])
    assert api.get("/task/ask-a-lawyer").status_code == 200
    # Completing the subtask is not a step of the process: it only goes.
    complete(api, "ask-a-lawyer")
    assert [t["taskDefinitionKey"] for t in tasks_of(api, instance_id)] == ["legalReview"]


def test_a_binary_variable_in_a_task_attribute_is_a_400_and_starts_nothing(client: Any) -> None:
    api = Api(client)
    deploy(api, "invoice.bpmn")
    response = api.client.post(
        api.url("/process-definition/key/invoice/start"),
        json={"variables": {"clerk": {"value": "YW5uYQ==", "type": "Bytes"}}},
    )
    assert response.status_code == 400
    assert response.json()["type"] == "ProcessEngineException"
    assert response.json()["message"] == (
        "Cannot instantiate process definition invoice: checkInvoice: the Bytes variable "
        "'clerk' cannot be used in an expression"
    )


def test_a_loop_that_never_waits_is_a_400_and_starts_nothing(client: Any) -> None:
    # SpiffWorkflow stops looking for tasks 1000 levels deep: without the guard this
    # instance would report itself COMPLETED after 500 turns of a loop that never ends.
    api = Api(client)
    deploy(api, "loop-that-never-waits.bpmn")
    response = api.client.post(api.url("/process-definition/key/spin/start"), json={})
    assert response.status_code == 400, response.text
    assert response.json()["type"] == "ProcessEngineException"
    assert "a loop that never waits" in response.json()["message"]
    assert api.get("/history/process-instance/count").json() == {"count": 0}
    assert api.get("/process-instance/count").json() == {"count": 0}


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="nothing is pruned while another branch waits: the run's task tree grows with "
    "each turn and is refused 500 activities deep (docs/compatibility.md)",
)
def test_a_task_reworked_300_times_beside_a_waiting_branch_goes_on(client: Any) -> None:
    api = Api(client)
    deploy(api, "rework-beside-a-wait.bpmn")
    instance_id = start(api, "/process-definition/key/rework/start")["id"]
    redo = {"redo": {"value": True, "type": "Boolean"}}
    for _ in range(300):
        (draft,) = api.get("/task", processInstanceId=instance_id, taskDefinitionKey="draft").json()
        response = api.client.post(
            api.url(f"/task/{draft['id']}/complete"), json={"variables": redo}
        )
        assert response.status_code == 204, response.text
