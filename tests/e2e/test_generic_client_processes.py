"""Deployed BPMN models run end to end through ``generic-camunda-client`` (generated from
Camunda's own OpenAPI document) against a real server process, on SQLite and
PostgreSQL: deploy, start, list the tasks the model created, upload a file on the first
task through the seed endpoint, complete the tasks, and see the instance end. Models
this server cannot run are refused at deployment with a 400 and nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import generic_camunda_client as camunda
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = (MODELS / "invoice.bpmn").read_text()


@pytest.fixture
def client(server: Server, tmp_path: Path) -> Iterator[camunda.ApiClient]:
    configuration = camunda.Configuration(host=server.base_url)
    configuration.temp_folder_path = str(tmp_path)
    with camunda.ApiClient(configuration) as api_client:
        yield api_client


def deploy(client: camunda.ApiClient, path: Path, name: str) -> camunda.ProcessDefinitionDto:
    deployed = camunda.DeploymentApi(client).create_deployment(
        deployment_name=name, deployment_source="e2e", data=str(path)
    )
    (definition,) = deployed.deployed_process_definitions.values()
    return definition


def value(type_: str, content: object) -> camunda.VariableValueDto:
    return camunda.VariableValueDto(type=type_, value=content)


def tasks(client: camunda.ApiClient, instance_id: str) -> list[camunda.TaskDto]:
    found = camunda.TaskApi(client).get_tasks(process_instance_id=instance_id)
    return sorted(found, key=lambda task: task.task_definition_key)


def complete(
    client: camunda.ApiClient, task_id: str, **variables: camunda.VariableValueDto
) -> None:
    # Raw: the generated client would read the 204's empty body as the variable map its
    # spec declares for the 200 and fail (it does so against Camunda too).
    response = camunda.TaskApi(client).complete(
        task_id,
        complete_task_dto=camunda.CompleteTaskDto(variables=variables or None),
        _preload_content=False,
    )
    try:
        assert response.status == 204
        assert response.read() == b""
    finally:
        response.release_conn()


def instance_is_gone(client: camunda.ApiClient, instance_id: str) -> bool:
    try:
        camunda.ProcessInstanceApi(client).get_process_instance(instance_id)
    except camunda.ApiException as error:
        return bool(error.status == 404)
    return False


def test_invoice_approval_with_a_file_uploaded_on_its_first_task(
    client: camunda.ApiClient, tmp_path: Path
) -> None:
    definition = deploy(client, MODELS / "invoice.bpmn", "invoices")
    assert (definition.key, definition.version_tag) == ("invoice", "1")
    found = camunda.ProcessDefinitionApi(client).get_process_definitions(
        key="invoice", latest_version=True
    )
    assert definition.id in [d.id for d in found]
    started = camunda.ProcessDefinitionApi(client).start_process_instance_by_key(
        "invoice",
        start_process_instance_dto=camunda.StartProcessInstanceDto(
            business_key="INV-7", variables={"clerk": value("String", "anna")}
        ),
    )
    assert started.definition_id.startswith("invoice:")
    (check,) = tasks(client, started.id)
    assert (check.task_definition_key, check.assignee, check.form_key) == (
        "checkInvoice",
        "anna",
        "embedded:app:forms/check-invoice.html",
    )

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.7 invoice scan")
    camunda.TaskVariableApi(client).set_binary_task_variable(
        check.id, "scan", data=str(scan), value_type="File"
    )
    # The amount comes from the first task's form, as a task form submits it.
    submitted = camunda.TaskApi(client).submit(
        check.id,
        complete_task_dto=camunda.CompleteTaskDto(
            variables={"amount": value("Integer", 1500)}, with_variables_in_return=True
        ),
    )
    assert submitted["amount"].value == 1500

    (approve,) = tasks(client, started.id)
    assert approve.task_definition_key == "approveInvoice"
    assert approve.execution_id == started.id
    stored = camunda.TaskVariableApi(client).get_task_variable(approve.id, "scan")
    assert stored.type == "File"
    assert stored.value_info["filename"] == "scan.pdf"
    complete(client, approve.id)
    assert tasks(client, started.id) == []
    assert instance_is_gone(client, started.id)


def test_parallel_review_keeps_branch_variables_apart_and_joins(
    client: camunda.ApiClient,
) -> None:
    deploy(client, MODELS / "parallel-review.bpmn", "reviews")
    started = camunda.ProcessDefinitionApi(client).start_process_instance_by_key(
        "parallelReview", start_process_instance_dto=camunda.StartProcessInstanceDto()
    )
    finance, legal = tasks(client, started.id)
    executions = camunda.ExecutionApi(client)
    executions.put_local_execution_variable(
        legal.execution_id, "verdict", variable_value_dto=value("String", "fine")
    )
    variables = camunda.TaskVariableApi(client)
    assert variables.get_task_variable(legal.id, "verdict").value == "fine"
    with pytest.raises(camunda.ApiException) as hidden:
        variables.get_task_variable(finance.id, "verdict")
    assert hidden.value.status == 404

    complete(client, legal.id)
    complete(client, finance.id, approved=value("Boolean", True))
    (decide,) = tasks(client, started.id)
    assert (decide.task_definition_key, decide.execution_id) == ("decide", started.id)
    complete(client, decide.id)
    assert instance_is_gone(client, started.id)


def test_onboarding_runs_its_sub_process(client: camunda.ApiClient) -> None:
    deploy(client, MODELS / "onboarding.bpmn", "onboarding")
    started = camunda.ProcessDefinitionApi(client).start_process_instance_by_key(
        "onboarding",
        start_process_instance_dto=camunda.StartProcessInstanceDto(
            variables={"employee": value("String", "Ben")}
        ),
    )
    (contract,) = tasks(client, started.id)
    assert contract.execution_id != started.id
    execution = camunda.ExecutionApi(client).get_execution(contract.execution_id)
    assert execution.process_instance_id == started.id
    complete(client, contract.id)
    (welcome,) = tasks(client, started.id)
    assert welcome.name == "Welcome Ben"
    complete(client, welcome.id)
    assert instance_is_gone(client, started.id)


REFUSED = {
    "script task": INVOICE.replace(
        "  </bpmn:process>",
        '    <bpmn:scriptTask id="computeTax" scriptFormat="groovy" />\n  </bpmn:process>',
    ),
    # Camunda's parser refuses a service task that names nothing to run.
    "service task": INVOICE.replace(
        "  </bpmn:process>", '    <bpmn:serviceTask id="sendMail" />\n  </bpmn:process>'
    ),
    "timer": INVOICE.replace(
        "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
        "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n"
        '      <bpmn:timerEventDefinition id="EveryMonday" />\n    </bpmn:startEvent>',
    ),
    "expression outside the subset": INVOICE.replace(
        'camunda:assignee="${clerk}"', 'camunda:assignee="${users.pick()}"'
    ),
    "listener": INVOICE.replace(
        "<bpmn:documentation>",
        '<bpmn:extensionElements><camunda:taskListener class="org.example.L" '
        'event="timeout" /></bpmn:extensionElements>\n      <bpmn:documentation>',
    ),
    "not well-formed": INVOICE[:500],
}


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_a_model_this_server_cannot_run_is_refused_and_nothing_is_stored(
    client: camunda.ApiClient, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "refused.bpmn"
    path.write_text(REFUSED[kind])
    deployments = camunda.DeploymentApi(client)
    definitions = camunda.ProcessDefinitionApi(client)
    before = [d.id for d in deployments.get_deployments()]
    definitions_before = definitions.get_process_definitions_count().count
    with pytest.raises(camunda.ApiException) as refused:
        deployments.create_deployment(deployment_name=f"refused {kind}", data=str(path))
    assert refused.value.status == 400
    body: dict[str, Any] = json.loads(refused.value.body)
    assert body["type"] == "ParseException"
    assert body["message"].startswith("ENGINE-09005 Could not parse BPMN process. Errors: \n* ")
    assert "| resource refused.bpmn" in body["message"]
    assert [d.id for d in deployments.get_deployments()] == before
    assert definitions.get_process_definitions_count().count == definitions_before
