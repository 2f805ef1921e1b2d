"""Camunda's history, as far as a client needs it: the process instances deployed models
ran (active or ended) and the final values of their variables, a binary one still
downloadable after its process instance ended (``HistoricProcessInstanceRestServiceImpl``,
``HistoricVariableInstanceRestServiceImpl``, whose messages these are).

Only process instances a deployed model ran have history; one created through our
``POST /process-instance/create`` extension has none. Variables are recorded when their
process instance ends: those still in its tree then (its own, and those of executions
and tasks still there), not those of tasks and branches removed earlier.
"""

from __future__ import annotations

from typing import Any

import inflection

from taskvars.errors import InvalidRequestError, NotFoundError
from taskvars.persistence.history import (
    ACTIVE,
    COMPLETED,
    EXTERNALLY_TERMINATED,
    SUSPENDED,
    HistoricInstanceRecord,
    HistoricVariableRecord,
    InstanceCriteria,
    VariableCriteria,
)
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import StoredValue
from taskvars.services.dates import format_date
from taskvars.services.query_parameters import (
    date_parameter,
    refuse_unmodelled,
    require_sort_pair,
)
from taskvars.services.typed_values import value_to_dto
from taskvars.services.variables import BINARY_TYPES

# Declared (clients generated from Camunda's spec send them), asking for what this server
# does not model: refused unless empty or false.
INSTANCE_NOT_MODELLED = frozenset(
    {
        "superProcessInstanceId",
        "subProcessInstanceId",
        "superCaseInstanceId",
        "subCaseInstanceId",
        "caseInstanceId",
        "withIncidents",
        "incidentStatus",
        "incidentType",
        "incidentMessage",
        "incidentMessageLike",
        "startedBy",
        "executedActivityAfter",
        "executedActivityBefore",
        "executedJobAfter",
        "executedJobBefore",
        "activityIdIn",
        "executedActivityIdIn",
        "activeActivityIdIn",
        "processDefinitionKeyNotIn",
        "variables",
    }
)
VARIABLE_NOT_MODELLED = frozenset(
    {
        "variableValue",
        "caseInstanceId",
        "caseExecutionIdIn",
        "caseActivityIdIn",
        "activityInstanceIdIn",
    }
)


def instance_criteria(parameters: dict[str, Any]) -> InstanceCriteria:
    """``GET /history/process-instance`` parameters (connexion's Python names, sorting and
    paging taken out) as criteria."""
    named = {inflection.camelize(name, False): value for name, value in parameters.items()}
    fields: dict[str, Any] = {}
    states: set[str] | None = None

    def only(*allowed: str) -> None:
        nonlocal states
        states = set(allowed) if states is None else states & set(allowed)

    for name, value in named.items():
        if value is None or value is False:
            continue
        if name in INSTANCE_NOT_MODELLED:
            refuse_unmodelled("historic process instance", name, value)
        elif name == "processInstanceId":
            fields["ids"] = [value]
        elif name == "processInstanceIds":
            fields["ids"] = [item for item in value.split(",") if item]
        elif name == "processInstanceBusinessKey":
            fields["business_key"] = value
        elif name == "processInstanceBusinessKeyLike":
            fields["business_key_like"] = value
        elif name == "processDefinitionId":
            fields["definition_id"] = value
        elif name == "processDefinitionKey":
            fields["definition_key"] = value
        elif name == "processDefinitionKeyIn":
            fields["definition_keys"] = [item for item in value.split(",") if item]
        elif name == "finished":
            only(COMPLETED, EXTERNALLY_TERMINATED)
        elif name == "completed":
            only(COMPLETED)
        elif name == "unfinished":
            only(ACTIVE, SUSPENDED)
        elif name == "active":
            only(ACTIVE)
        elif name == "suspended":
            only(SUSPENDED)
        elif name == "externallyTerminated":
            only(EXTERNALLY_TERMINATED)
        elif name == "internallyTerminated":
            only()  # nothing here is ended by the engine itself
        elif name in ("startedBefore", "startedAfter", "finishedBefore", "finishedAfter"):
            fields[inflection.underscore(name)] = date_parameter(name, value)
        elif name == "tenantIdIn":
            fields["tenant_ids"] = [item for item in value.split(",") if item]
        elif name == "withoutTenantId":
            fields["without_tenant"] = True
        # rootProcessInstances, leafProcessInstances: every instance here is both (no call
        # activities), so they narrow nothing.
    if states is not None:
        fields["states"] = sorted(states)
    return InstanceCriteria(**fields)


def variable_criteria(parameters: dict[str, Any]) -> VariableCriteria:
    """``GET /history/variable-instance`` parameters as criteria."""
    named = {inflection.camelize(name, False): value for name, value in parameters.items()}
    fields: dict[str, Any] = {}
    lists = {
        "processInstanceIdIn": "process_instance_ids",
        "executionIdIn": "execution_ids",
        "taskIdIn": "task_ids",
        "variableTypeIn": "types",
        "tenantIdIn": "tenant_ids",
    }
    for name, value in named.items():
        if value is None or value is False:
            continue
        if name in VARIABLE_NOT_MODELLED:
            refuse_unmodelled("historic variable instance", name, value)
        elif name == "variableName":
            fields["name"] = value
        elif name == "variableNameLike":
            fields["name_like"] = value
        elif name == "processInstanceId":
            fields["process_instance_ids"] = [value]
        elif name == "processDefinitionId":
            fields["definition_id"] = value
        elif name == "processDefinitionKey":
            fields["definition_key"] = value
        elif name in lists:
            fields[lists[name]] = [item for item in value.split(",") if item]
        # includeDeleted: nothing recorded here is deleted; deserializeValues is the
        # handler's.
    return VariableCriteria(**fields)


def instances(
    uow: UnitOfWork,
    criteria: InstanceCriteria,
    *,
    sort_by: str | None,
    sort_order: str | None,
    first_result: int,
    max_results: int | None,
) -> list[dict[str, Any]]:
    require_sort_pair(sort_by, sort_order)
    found = uow.store.history.instances(
        criteria, sort_by, sort_order == "desc", first_result, max_results
    )
    return [instance_dto(record) for record in found]


def count_instances(uow: UnitOfWork, criteria: InstanceCriteria) -> int:
    return uow.store.history.count_instances(criteria)


def instance(uow: UnitOfWork, instance_id: str) -> dict[str, Any]:
    found = uow.store.history.instances(InstanceCriteria(ids=[instance_id]))
    if not found:
        raise NotFoundError(f"Historic process instance with id {instance_id} does not exist")
    return instance_dto(found[0])


def variables(
    uow: UnitOfWork,
    criteria: VariableCriteria,
    *,
    sort_by: str | None,
    sort_order: str | None,
    first_result: int,
    max_results: int | None,
    deserialize: bool,
) -> list[dict[str, Any]]:
    require_sort_pair(sort_by, sort_order)
    found = uow.store.history.variables(
        criteria, sort_by, sort_order == "desc", first_result, max_results
    )
    contents = uow.store.contents.whole(r.value for r in found if r.value.type == "Bytes")
    return [variable_dto(record, contents, deserialize=deserialize) for record in found]


def count_variables(uow: UnitOfWork, criteria: VariableCriteria) -> int:
    return uow.store.history.count_variables(criteria)


def variable(uow: UnitOfWork, variable_id: str, *, deserialize: bool) -> dict[str, Any]:
    record = _variable(uow, variable_id)
    contents = uow.store.contents.whole([record.value] if record.value.type == "Bytes" else [])
    return variable_dto(record, contents, deserialize=deserialize)


def binary(uow: UnitOfWork, variable_id: str) -> StoredValue:
    value = _variable(uow, variable_id).value
    if value.type not in BINARY_TYPES:
        raise InvalidRequestError(f"Value of variable with id {variable_id} is not a binary value.")
    return value


def _variable(uow: UnitOfWork, variable_id: str) -> HistoricVariableRecord:
    found = uow.store.history.variables(VariableCriteria(ids=[variable_id]))
    if not found:
        raise NotFoundError(f"Historic variable instance with Id '{variable_id}' does not exist.")
    return found[0]


def instance_dto(record: HistoricInstanceRecord) -> dict[str, Any]:
    """``HistoricProcessInstanceDto``."""
    duration = None
    if record.end_time is not None:
        duration = int((record.end_time - record.start_time).total_seconds() * 1000)
    return {
        "id": record.id,
        "rootProcessInstanceId": record.id,
        "superProcessInstanceId": None,
        "superCaseInstanceId": None,
        "caseInstanceId": None,
        "processDefinitionName": record.process_definition_name,
        "processDefinitionKey": record.process_definition_key,
        "processDefinitionVersion": record.process_definition_version,
        "processDefinitionId": record.process_definition_id,
        "businessKey": record.business_key,
        "startTime": format_date(record.start_time),
        "endTime": format_date(record.end_time) if record.end_time else None,
        "removalTime": None,
        "durationInMillis": duration,
        "startUserId": None,
        "startActivityId": record.start_activity_id,
        "deleteReason": record.delete_reason,
        "tenantId": record.tenant_id,
        "state": record.state,
    }


def variable_dto(
    record: HistoricVariableRecord, contents: dict[int, bytes], *, deserialize: bool
) -> dict[str, Any]:
    """``HistoricVariableInstanceDto``."""
    value = record.value
    content = contents.get(value.content_pk) if value.content_pk is not None else None
    return {
        "id": record.id,
        "name": value.name,
        **value_to_dto(value, deserialize=deserialize, content=content),
        "processDefinitionKey": record.process_definition_key,
        "processDefinitionId": record.process_definition_id,
        "processInstanceId": record.process_instance_id,
        "rootProcessInstanceId": record.process_instance_id,
        "executionId": record.execution_id,
        "activityInstanceId": None,
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "taskId": record.task_id,
        "tenantId": record.tenant_id,
        "errorMessage": None,
        "state": record.state,
        "createTime": format_date(record.create_time),
        "removalTime": None,
    }
