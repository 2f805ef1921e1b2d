"""Camunda's history, as far as a client needs it: the process instances deployed models
ran (active or ended) and the final values of their variables, a binary one still
downloadable after its process instance ended (``HistoricProcessInstanceRestServiceImpl``,
``HistoricVariableInstanceRestServiceImpl``, whose messages these are).

Only process instances a deployed model ran have history; one created through our
``POST /process-instance/create`` extension has none. Variables are recorded as they are
written (:mod:`taskvars.persistence.history`). Both queries are filter tables on
:mod:`.query_toolkit`, their ``GET`` and JSON forms alike.
"""

from __future__ import annotations

from typing import Any

from taskvars.errors import InvalidRequestError, NotFoundError
from taskvars.persistence.history import (
    ACTIVE,
    COMPLETED,
    EXTERNALLY_TERMINATED,
    INSTANCE_SORTS,
    INTERNALLY_TERMINATED,
    SUSPENDED,
    VARIABLE_SORTS,
    HistoricInstanceRecord,
    HistoricVariableRecord,
    InstanceCriteria,
    VariableCriteria,
)
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import StoredValue
from taskvars.services.dates import format_date
from taskvars.services.query_toolkit import (
    Converter,
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    as_date,
    as_is,
    as_list,
    as_true,
    narrow,
    sort_pairs,
    without_tenant_wins,
)
from taskvars.services.typed_values import value_to_dto
from taskvars.services.variables import BINARY_TYPES

# Declared (clients generated from Camunda's spec send them), asking for what this server
# does not model: refused unless empty or false.
INSTANCE_NOT_MODELLED = frozenset(
    {
        "superCaseInstanceId",
        "subCaseInstanceId",
        "caseInstanceId",
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


def _only_states(*states: str) -> Converter:
    """A state filter: the states it allows (several filters: those all allow)."""
    return lambda parameter: frozenset(states)


def _merge_states(fields: dict[str, Any], target: str, value: Any) -> None:
    if target == "states" and target in fields:
        fields[target] = fields[target] & value
    else:
        narrow(fields, target, value)


INSTANCE_SHAPE = QueryShape(
    noun="historic process instance",
    filters={
        "processInstanceId": ("ids", lambda parameter: [parameter.value]),
        "processInstanceIds": ("ids", as_list),
        "processInstanceBusinessKey": ("business_key", as_is),
        "processInstanceBusinessKeyLike": ("business_key_like", as_is),
        "processDefinitionId": ("definition_id", as_is),
        "processDefinitionKey": ("definition_key", as_is),
        "processDefinitionKeyIn": ("definition_keys", as_list),
        "finished": (
            "states",
            _only_states(COMPLETED, EXTERNALLY_TERMINATED, INTERNALLY_TERMINATED),
        ),
        "completed": ("states", _only_states(COMPLETED)),
        "unfinished": ("states", _only_states(ACTIVE, SUSPENDED)),
        "active": ("states", _only_states(ACTIVE)),
        "suspended": ("states", _only_states(SUSPENDED)),
        "externallyTerminated": ("states", _only_states(EXTERNALLY_TERMINATED)),
        # Called instances whose call was interrupted (a boundary event, an error).
        "internallyTerminated": ("states", _only_states(INTERNALLY_TERMINATED)),
        "startedBefore": ("started_before", as_date),
        "startedAfter": ("started_after", as_date),
        "finishedBefore": ("finished_before", as_date),
        "finishedAfter": ("finished_after", as_date),
        "tenantIdIn": ("tenant_ids", as_list),
        "withoutTenantId": ("without_tenant", as_true),
        "withIncidents": ("with_incident", as_true),
        "incidentStatus": ("incident_status", as_is),
        "incidentType": ("incident_type", as_is),
        "incidentMessage": ("incident_message", as_is),
        "incidentMessageLike": ("incident_message_like", as_is),
        "superProcessInstanceId": ("super_process_instance_id", as_is),
        "subProcessInstanceId": ("sub_process_instance_id", as_is),
        "rootProcessInstances": ("root_instances", as_true),
        "leafProcessInstances": ("leaf_instances", as_true),
    },
    not_modelled=INSTANCE_NOT_MODELLED,
    or_queries=True,
    merge=_merge_states,
)
VARIABLE_SHAPE = QueryShape(
    noun="historic variable instance",
    filters={
        "variableName": ("name", as_is),
        "variableNameLike": ("name_like", as_is),
        "variableNameIn": ("names", as_list),
        "processInstanceId": ("process_instance_ids", lambda parameter: [parameter.value]),
        "processInstanceIdIn": ("process_instance_ids", as_list),
        "processDefinitionId": ("definition_id", as_is),
        "processDefinitionKey": ("definition_key", as_is),
        "executionIdIn": ("execution_ids", as_list),
        "taskIdIn": ("task_ids", as_list),
        "variableTypeIn": ("types", as_list),
        "tenantIdIn": ("tenant_ids", as_list),
        "withoutTenantId": ("without_tenant", as_true),
        "includeDeleted": ("include_deleted", as_true),
        # deserializeValues is the handler's.
    },
    not_modelled=VARIABLE_NOT_MODELLED,
)


def instance_query(parsed: ParsedQuery) -> StoreQuery[InstanceCriteria]:
    """A historic process-instance query (``GET`` parameters or
    ``HistoricProcessInstanceQueryDto``) for the store."""
    return StoreQuery(_instance_criteria(parsed), sort_pairs(parsed, frozenset(INSTANCE_SORTS)))


def _instance_criteria(parsed: ParsedQuery) -> InstanceCriteria:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_ids", without_tenant="without_tenant"
    )
    return InstanceCriteria(
        **fields, or_queries=tuple(_instance_criteria(nested) for nested in parsed.or_queries)
    )


def variable_query(parsed: ParsedQuery) -> StoreQuery[VariableCriteria]:
    """A historic variable-instance query (``GET`` parameters or
    ``HistoricVariableInstanceQueryDto``) for the store."""
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_ids", without_tenant="without_tenant"
    )
    return StoreQuery(VariableCriteria(**fields), sort_pairs(parsed, frozenset(VARIABLE_SORTS)))


def instances(
    uow: UnitOfWork, query: StoreQuery[InstanceCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.history.instances(query.criteria, query.orderings, *page)
    return [instance_dto(record) for record in found]


def count_instances(uow: UnitOfWork, query: StoreQuery[InstanceCriteria]) -> int:
    return uow.store.history.count_instances(query.criteria)


def instance(uow: UnitOfWork, instance_id: str) -> dict[str, Any]:
    found = uow.store.history.instances(InstanceCriteria(ids=[instance_id]))
    if not found:
        raise NotFoundError(f"Historic process instance with id {instance_id} does not exist")
    return instance_dto(found[0])


def variables(
    uow: UnitOfWork, query: StoreQuery[VariableCriteria], page: Page, *, deserialize: bool
) -> list[dict[str, Any]]:
    found = uow.store.history.variables(query.criteria, query.orderings, *page)
    contents = uow.store.contents.whole(r.value for r in found if r.value.type == "Bytes")
    return [variable_dto(record, contents, deserialize=deserialize) for record in found]


def count_variables(uow: UnitOfWork, query: StoreQuery[VariableCriteria]) -> int:
    return uow.store.history.count_variables(query.criteria)


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
        "rootProcessInstanceId": record.root_process_instance_id or record.id,
        "superProcessInstanceId": record.super_process_instance_id,
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
