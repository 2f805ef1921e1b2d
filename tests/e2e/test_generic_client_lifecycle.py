"""Every variable and lifecycle operation, through ``generic-camunda-client`` (generated
from Camunda's own OpenAPI document), against a real server process."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import generic_camunda_client as camunda
import httpx
import pytest

from tests.e2e.server import Server

pytestmark = pytest.mark.e2e

TREE = {
    "id": "pi",
    "businessKey": "order-42",
    "variables": {"customer": {"type": "String", "value": "ACME"}},
    "executions": [{"id": "ex"}],
    "tasks": [{"id": "t", "name": "Approve", "executionId": "ex", "assignee": "ann"}],
}


@pytest.fixture
def client(server: Server, tmp_path: Path) -> Iterator[camunda.ApiClient]:
    httpx.post(f"{server.base_url}/process-instance/create", json=TREE).raise_for_status()
    configuration = camunda.Configuration(host=server.base_url)
    configuration.temp_folder_path = str(tmp_path)
    with camunda.ApiClient(configuration) as api_client:
        yield api_client


def value(type_: str | None, value: object, **info: object) -> camunda.VariableValueDto:
    return camunda.VariableValueDto(type=type_, value=value, value_info=info or None)


def test_task_variables_put_get_modify_delete(client: camunda.ApiClient) -> None:
    api = camunda.TaskVariableApi(client)
    api.put_task_variable("t", "amount", variable_value_dto=value("Integer", 42))
    assert api.get_task_variable("t", "amount").value == 42
    api.modify_task_variables(
        "t",
        patch_variables_dto=camunda.PatchVariablesDto(
            modifications={"approved": value("Boolean", True)}, deletions=["amount"]
        ),
    )
    variables = api.get_task_variables("t", deserialize_values=False)
    assert set(variables) == {"customer", "approved"}
    api.delete_task_variable("t", "approved")
    assert set(api.get_task_variables("t")) == {"customer"}


def test_task_local_variables(client: camunda.ApiClient) -> None:
    api = camunda.TaskLocalVariableApi(client)
    api.put_task_local_variable("t", "note", variable_value_dto=value("String", "local"))
    api.modify_task_local_variables(
        "t", patch_variables_dto=camunda.PatchVariablesDto(modifications={"n": value(None, 1)})
    )
    assert set(api.get_task_local_variables("t")) == {"note", "n"}
    assert api.get_task_local_variable("t", "note").value == "local"
    api.delete_task_local_variable("t", "note")
    assert set(api.get_task_local_variables("t")) == {"n"}


def test_process_instance_variables_and_instance(client: camunda.ApiClient) -> None:
    api = camunda.ProcessInstanceApi(client)
    api.set_process_instance_variable(
        "pi", "due", variable_value_dto=value("Date", "2013-01-23T13:42:42.000+0200")
    )
    assert api.get_process_instance_variable("pi", "due").value == "2013-01-23T13:42:42.000+0200"
    api.modify_process_instance_variables(
        "pi", patch_variables_dto=camunda.PatchVariablesDto(deletions=["due"])
    )
    assert set(api.get_process_instance_variables("pi")) == {"customer"}
    api.delete_process_instance_variable("pi", "customer")
    assert api.get_process_instance_variables("pi") == {}
    instance = api.get_process_instance("pi")
    assert (instance.id, instance.business_key) == ("pi", "order-42")


def test_execution_variables_and_execution(client: camunda.ApiClient) -> None:
    api = camunda.ExecutionApi(client)
    content = b"file content \x00\xff"
    api.put_local_execution_variable(
        "ex",
        "doc",
        variable_value_dto=value(
            "File",
            base64.b64encode(content).decode(),
            filename="doc.bin",
            mimeType="application/pdf",
        ),
    )
    assert api.get_local_execution_variable("ex", "doc").value_info["filename"] == "doc.bin"
    assert Path(api.get_local_execution_variable_binary("ex", "doc")).read_bytes() == content
    api.modify_local_execution_variables(
        "ex",
        patch_variables_dto=camunda.PatchVariablesDto(modifications={"x": value("Long", 2**40)}),
    )
    assert api.get_local_execution_variables("ex")["x"].value == 2**40
    api.delete_local_execution_variable("ex", "doc")
    assert set(api.get_local_execution_variables("ex")) == {"x"}
    execution = api.get_execution("ex")
    assert (execution.id, execution.process_instance_id) == ("ex", "pi")


def test_task_queries_update_complete_and_delete(client: camunda.ApiClient) -> None:
    tasks = camunda.TaskApi(client)
    tasks.create_task(task_dto=camunda.TaskDto(id="solo", name="Tidy", assignee="ann"))
    assert [t.id for t in tasks.get_tasks(assignee="ann", sort_by="id", sort_order="asc")] == [
        "solo",
        "t",
    ]
    assert tasks.get_tasks(process_instance_id="pi")[0].execution_id == "ex"
    assert tasks.get_tasks_count(task_id_in="t,solo").count == 2

    tasks.update_task("solo", task_dto=camunda.TaskDto(name="Tidy up", priority=3))
    updated = tasks.get_task("solo")
    assert (updated.name, updated.priority) == ("Tidy up", 3)

    returned = tasks.complete(
        "t",
        complete_task_dto=camunda.CompleteTaskDto(
            variables={"approved": value("Boolean", True)}, with_variables_in_return=True
        ),
    )
    assert set(returned) == {"customer", "approved"}
    assert tasks.get_tasks_count(process_instance_id="pi").count == 0

    tasks.delete_task("solo")
    assert tasks.get_tasks_count().count == 0


def test_delete_process_instance_removes_it(client: camunda.ApiClient) -> None:
    api = camunda.ProcessInstanceApi(client)
    api.delete_process_instance("pi")
    with pytest.raises(camunda.ApiException) as raised:
        api.get_process_instance("pi")
    assert raised.value.status == 404
    assert camunda.TaskApi(client).get_tasks_count().count == 0


def test_claim_delegate_resolve_unclaim_and_assign(client: camunda.ApiClient) -> None:
    tasks = camunda.TaskApi(client)
    tasks.create_task(task_dto=camunda.TaskDto(id="cl", name="Claim me"))
    tasks.claim("cl", user_id_dto=camunda.UserIdDto(user_id="ann"))
    with pytest.raises(camunda.ApiException) as raised:
        tasks.claim("cl", user_id_dto=camunda.UserIdDto(user_id="bob"))
    assert raised.value.status == 500
    assert "TaskAlreadyClaimedException" in raised.value.body
    tasks.delegate_task("cl", user_id_dto=camunda.UserIdDto(user_id="bob"))
    delegated = tasks.get_task("cl")
    assert (delegated.assignee, delegated.owner, delegated.delegation_state) == (
        "bob",
        "ann",
        "PENDING",
    )
    values = {"approved": camunda.VariableValueDto(value=True, type="Boolean")}
    tasks.resolve("cl", complete_task_dto=camunda.CompleteTaskDto(variables=values))
    resolved = tasks.get_task("cl")
    assert (resolved.assignee, resolved.delegation_state) == ("ann", "RESOLVED")
    assert camunda.TaskVariableApi(client).get_task_variable("cl", "approved").value is True
    tasks.unclaim("cl")
    assert tasks.get_task("cl").assignee is None
    tasks.set_assignee("cl", user_id_dto=camunda.UserIdDto(user_id="cy"))
    assert tasks.get_task("cl").assignee == "cy"


def test_form_variables_then_submit_form(client: camunda.ApiClient) -> None:
    tasks = camunda.TaskApi(client)
    tasks.create_task(task_dto=camunda.TaskDto(id="form", name="Fill me"))
    variables = camunda.TaskVariableApi(client)
    variables.put_task_variable(
        "form", "amount", variable_value_dto=camunda.VariableValueDto(value=7, type="Long")
    )
    variables.put_task_variable(
        "form", "note", variable_value_dto=camunda.VariableValueDto(value="x", type="String")
    )
    shown = tasks.get_form_variables("form", variable_names="amount")
    assert set(shown) == {"amount"}
    assert shown["amount"].value == 7
    submitted = {"approved": camunda.VariableValueDto(value=True, type="Boolean")}
    returned = tasks.submit(
        "form",
        complete_task_dto=camunda.CompleteTaskDto(
            variables=submitted, with_variables_in_return=True
        ),
    )
    assert set(returned) == {"amount", "note", "approved"}
    with pytest.raises(camunda.ApiException) as raised:
        tasks.get_task("form")
    assert raised.value.status == 404


def test_identity_links_add_list_and_delete(client: camunda.ApiClient) -> None:
    camunda.TaskApi(client).create_task(task_dto=camunda.TaskDto(id="il", assignee="ann"))
    links = camunda.TaskIdentityLinkApi(client)
    links.add_identity_link(
        "il", identity_link_dto=camunda.IdentityLinkDto(group_id="sales", type="candidate")
    )
    listed = links.get_identity_links("il")
    assert [(link.user_id, link.group_id, link.type) for link in listed] == [
        (None, "sales", "candidate"),
        ("ann", None, "assignee"),
    ]
    assert [link.type for link in links.get_identity_links("il", type="candidate")] == ["candidate"]
    links.delete_identity_link(
        "il", identity_link_dto=camunda.IdentityLinkDto(group_id="sales", type="candidate")
    )
    assert [link.type for link in links.get_identity_links("il")] == ["assignee"]
