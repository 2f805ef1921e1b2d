"""The OpenAPI document: valid, complete, and wired to handlers."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from taskvars.app import _handler_function
from taskvars.resources import SPEC_NAME, spec_directory

EXTENSION_PATHS = {
    "/process-instance/create",
    "/health",
    "/metrics",
    "/test-clock",
    "/test-clock/advance",
    "/identity/current",
    "/limits",
}
REQUIRED_OPERATIONS = {
    # deployments of BPMN files (issue 15)
    "createDeployment",
    "getDeployments",
    "getDeployment",
    "deleteDeployment",
    "getProcessDefinitions",
    "getProcessDefinitionsCount",
    "getProcessDefinition",
    "getProcessDefinitionBpmn20Xml",
    "getProcessDefinitionByKey",
    "getProcessDefinitionBpmn20XmlByKey",
    "startProcessInstance",
    "startProcessInstanceByKey",
    "getHistoricProcessInstances",
    "getHistoricProcessInstancesCount",
    "getHistoricProcessInstance",
    "getHistoricVariableInstances",
    "getHistoricVariableInstancesCount",
    "getHistoricVariableInstance",
    "getHistoricVariableInstanceBinary",
    # historic tasks and activity instances, the JSON history queries, deployment
    # queries (issue 22)
    "getDeploymentsCount",
    "queryHistoricProcessInstances",
    "queryHistoricProcessInstancesCount",
    "queryHistoricVariableInstances",
    "queryHistoricVariableInstancesCount",
    "getHistoricTaskInstances",
    "queryHistoricTaskInstances",
    "getHistoricTaskInstancesCount",
    "queryHistoricTaskInstancesCount",
    "getHistoricActivityInstances",
    "queryHistoricActivityInstances",
    "getHistoricActivityInstancesCount",
    "queryHistoricActivityInstancesCount",
    "getHistoricActivityInstance",
    # incidents (issue 23)
    "getIncidents",
    "getIncidentsCount",
    "getIncident",
    "resolveIncident",
    "setIncidentAnnotation",
    "clearIncidentAnnotation",
    "getHistoricIncidents",
    "getHistoricIncidentsCount",
    # messages, signals and what waits for them (issue 25)
    "deliverMessage",
    "throwSignal",
    "getEventSubscriptions",
    "getEventSubscriptionsCount",
    # jobs and the job executor; the test clock, ours (issue 25)
    "getJobs",
    "queryJobs",
    "getJobsCount",
    "queryJobsCount",
    "getJob",
    "deleteJob",
    "executeJob",
    "setJobRetries",
    "setJobDuedate",
    "getStacktrace",
    "updateJobSuspensionState",
    "getTestClock",
    "setTestClock",
    "advanceTestClock",
    # the seed endpoint and its reads (issue 2)
    "setBinaryTaskVariable",
    "setBinaryTaskLocalVariable",
    "getTaskVariableBinary",
    "getTaskLocalVariableBinary",
    "getTaskVariable",
    "getTaskLocalVariable",
    "getTaskVariables",
    "getTaskLocalVariables",
    "createTask",
    "getTask",
    "setProcessInstanceVariableBinary",
    "getProcessInstanceVariable",
    "getProcessInstanceVariables",
    "getProcessInstanceVariableBinary",
    "setLocalExecutionVariableBinary",
    "getLocalExecutionVariable",
    "getLocalExecutionVariables",
    "getLocalExecutionVariableBinary",
    "createProcessInstance",
    "getHealth",
    "getPrometheusMetrics",
    # the rest of the variable family and the task lifecycle
    "putTaskVariable",
    "deleteTaskVariable",
    "modifyTaskVariables",
    "putTaskLocalVariable",
    "deleteTaskLocalVariable",
    "modifyTaskLocalVariables",
    "setProcessInstanceVariable",
    "deleteProcessInstanceVariable",
    "modifyProcessInstanceVariables",
    "putLocalExecutionVariable",
    "deleteLocalExecutionVariable",
    "modifyLocalExecutionVariables",
    "getTasks",
    "getTasksCount",
    "queryTasks",
    "queryTasksCount",
    "queryVariableInstances",
    "queryVariableInstancesCount",
    "updateTask",
    "deleteTask",
    "complete",
    "getProcessInstance",
    "deleteProcessInstance",
    "getProcessInstances",
    "getProcessInstancesCount",
    "queryProcessInstances",
    "queryProcessInstancesCount",
    "updateSuspensionStateById",
    "getActivityInstanceTree",
    "getExecution",
    # the engine
    "getProcessEngineNames",
    # claim and delegation
    "claim",
    "unclaim",
    "setAssignee",
    "delegateTask",
    "resolve",
    # forms
    "getFormVariables",
    "submit",
    "getForm",
    "getStartForm",
    "getStartFormByKey",
    "getStartFormVariables",
    "getStartFormVariablesByKey",
    "submitForm",
    "submitFormByKey",
    # the version of Camunda's API followed
    "getRestAPIVersion",
    # identity links
    "getIdentityLinks",
    "addIdentityLink",
    "deleteIdentityLink",
    # variable instances
    "getVariableInstances",
    "getVariableInstancesCount",
    "getVariableInstance",
    "getVariableInstanceBinary",
    # comments and attachments of tasks
    "getComments",
    "getComment",
    "createComment",
    "getAttachments",
    "getAttachment",
    "getAttachmentData",
    "addAttachment",
    "deleteAttachment",
    # external tasks read (issue 23)
    "getExternalTasks",
    "queryExternalTasks",
    "getExternalTasksCount",
    "queryExternalTasksCount",
    "getTopicNames",
    "getExternalTask",
    "getExternalTaskErrorDetails",
    # external tasks commanded (issue 23)
    "fetchAndLock",
    "completeExternalTaskResource",
    "handleFailure",
    "handleExternalTaskBpmnError",
    "extendLock",
    "lock",
    "unlock",
    "setExternalTaskResourceRetries",
    "setExternalTaskResourcePriority",
    "setExternalTaskRetries",
    # who works here, for the task list page (issue 27)
    "getGroupInfo",
    "verifyUser",
    "getCurrentIdentity",
    "getLimits",
}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with (spec_directory() / SPEC_NAME).open(encoding="utf-8") as file:
        return yaml.safe_load(file)


def operations(spec: dict[str, Any]):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_spec_is_valid_openapi_3_0() -> None:
    document, _ = read_from_filename(str(spec_directory() / SPEC_NAME))
    validate(document)
    assert document["openapi"].startswith("3.0.")


def test_every_required_operation_is_there(spec: dict[str, Any]) -> None:
    assert {op["operationId"] for _, _, op in operations(spec)} == REQUIRED_OPERATIONS


def test_every_operation_resolves_to_a_handler(spec: dict[str, Any]) -> None:
    for _, _, operation in operations(spec):
        controller = operation["x-openapi-router-controller"]
        assert callable(_handler_function(f"{controller}.{operation['operationId']}"))


def test_every_error_response_is_an_exception_dto(spec: dict[str, Any]) -> None:
    responses = spec["components"]["responses"]
    for path, method, operation in operations(spec):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            if "$ref" in response:
                response = responses[response["$ref"].rsplit("/", 1)[1]]
            schema = response["content"]["application/json"]["schema"]
            if schema == {"$ref": "#/components/schemas/ParseExceptionDto"}:
                # An ExceptionDto with Camunda's details of a refused model.
                schema = spec["components"]["schemas"]["ParseExceptionDto"]["allOf"][0]
            assert schema == {"$ref": "#/components/schemas/ExceptionDto"}, (path, method, status)


def test_extensions_are_tagged_as_ours(spec: dict[str, Any]) -> None:
    for path, _, operation in operations(spec):
        camunda = path not in EXTENSION_PATHS
        assert ("Extensions" in operation["tags"]) is not camunda, path


def test_create_operations_link_to_variable_operations(spec: dict[str, Any]) -> None:
    linked = set()
    for _, _, operation in operations(spec):
        for response in operation["responses"].values():
            linked |= {link["operationId"] for link in response.get("links", {}).values()}
    assert {
        "setBinaryTaskVariable",
        "getTaskVariables",
        "setProcessInstanceVariableBinary",
    } <= linked


def test_every_reference_resolves(spec: dict[str, Any]) -> None:
    """openapi-spec-validator does not follow every $ref; a dangling one breaks startup."""
    text = (spec_directory() / SPEC_NAME).read_text(encoding="utf-8")
    for section, name in set(re.findall(r"#/components/(\w+)/(\w+)", text)):
        assert name in spec["components"].get(section, {}), f"#/components/{section}/{name}"


def test_every_operation_with_a_path_parameter_documents_the_routing_404(
    spec: dict[str, Any],
) -> None:
    """An id the router cannot match (one with ``%0A`` or ``%2F`` in it) is a 404 on every
    such path, whatever the operation; the spec must say so or clients and fuzzers call
    it undocumented."""
    missing = [
        operation["operationId"]
        for path, _, operation in operations(spec)
        if "{" in path and "404" not in operation["responses"]
    ]
    assert missing == []
