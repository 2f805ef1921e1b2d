"""Camunda's process-instance query (``ProcessInstanceQueryDto``): its filter table on
the query toolkit, from ``GET /process-instance`` parameters or the JSON body of
``POST /process-instance``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from taskvars.persistence.process_instance_query import SORT_KEYS
from taskvars.persistence.values import ProcessInstanceCriteria
from taskvars.services.query_toolkit import (
    ParsedQuery,
    QueryShape,
    StoreQuery,
    VariableParameter,
    as_is,
    as_list,
    as_true,
    sort_pairs,
    without_tenant_wins,
)

SHAPE = QueryShape(
    noun="process instance",
    filters={
        "processInstanceIds": ("process_instance_ids", as_list),
        "businessKey": ("business_key", as_is),
        "businessKeyLike": ("business_key_like", as_is),
        "processDefinitionId": ("process_definition_id", as_is),
        "processDefinitionKey": ("process_definition_key", as_is),
        "processDefinitionKeyIn": ("process_definition_key_in", as_list),
        "processDefinitionKeyNotIn": ("process_definition_key_not_in", as_list),
        "deploymentId": ("deployment_id", as_is),
        "rootProcessInstanceId": ("root_process_instance_id", as_is),
        "active": ("active", as_true),
        "suspended": ("suspended", as_true),
        "tenantIdIn": ("tenant_id_in", as_list),
        "withoutTenantId": ("without_tenant_id", as_true),
        "processDefinitionWithoutTenantId": ("process_definition_without_tenant_id", as_true),
        "activityIdIn": ("activity_id_in", as_list),
        "withIncident": ("with_incident", as_true),
        "incidentId": ("incident_id", as_is),
        "incidentType": ("incident_type", as_is),
        "incidentMessage": ("incident_message", as_is),
        "incidentMessageLike": ("incident_message_like", as_is),
        "superProcessInstance": ("super_process_instance", as_is),
        "subProcessInstance": ("sub_process_instance", as_is),
        "rootProcessInstances": ("root_process_instances", as_true),
        "leafProcessInstances": ("leaf_process_instances", as_true),
    },
    # No case instances here.
    not_modelled=frozenset({"caseInstanceId", "superCaseInstance", "subCaseInstance"}),
    variable_parameters={"variables": VariableParameter("process instance variable")},
    or_queries=True,
)


ProcessInstanceQuery = StoreQuery[ProcessInstanceCriteria]


def from_parameters(parameters: Mapping[str, Any]) -> ProcessInstanceQuery:
    return _query(SHAPE.from_parameters(parameters))


def from_body(body: Mapping[str, Any]) -> ProcessInstanceQuery:
    return _query(SHAPE.from_body(body))


def _query(parsed: ParsedQuery) -> ProcessInstanceQuery:
    return StoreQuery(_criteria(parsed), sort_pairs(parsed, frozenset(SORT_KEYS)))


def _criteria(parsed: ParsedQuery) -> ProcessInstanceCriteria:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    return ProcessInstanceCriteria(
        **fields,
        variables=parsed.variables,
        or_queries=tuple(_criteria(nested) for nested in parsed.or_queries),
    )
