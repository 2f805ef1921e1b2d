"""Camunda's historic incidents (``HistoricIncidentRestServiceImpl``,
``HistoricIncidentQueryDto``, ``HistoricIncidentDto``): the incidents of models' process
instances, open, resolved or deleted, kept with the instance's history."""

from __future__ import annotations

from typing import Any

import inflection

from taskvars.persistence.history_incidents import (
    DELETED,
    OPEN,
    RESOLVED,
    SORTS,
    HistoricIncidentCriteria,
    HistoricIncidentRecord,
)
from taskvars.persistence.unit_of_work import UnitOfWork
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
    sort_pairs,
    without_tenant_wins,
)

# The state flags, read into one state as HistoricIncidentQueryDto applies them: each
# sets the query's state, so the last of open, resolved, deleted given wins.
_STATE_FLAGS = (("open", OPEN), ("resolved", RESOLVED), ("deleted", DELETED))


def _filters() -> dict[str, tuple[str, Converter]]:
    """Camunda's parameter name -> (criterion, conversion), named alike."""
    table: dict[str, tuple[str, Converter]] = {}
    for name in (
        "incidentId",
        "incidentType",
        "incidentMessage",
        "incidentMessageLike",
        "processDefinitionId",
        "processDefinitionKey",
        "processInstanceId",
        "executionId",
        "activityId",
        "failedActivityId",
        "causeIncidentId",
        "rootCauseIncidentId",
        "configuration",
        "historyConfiguration",
    ):
        table[name] = (inflection.underscore(name), as_is)
    for name in ("createTimeBefore", "createTimeAfter", "endTimeBefore", "endTimeAfter"):
        table[name] = (inflection.underscore(name), as_date)
    for name in ("processDefinitionKeyIn", "tenantIdIn", "jobDefinitionIdIn"):
        table[name] = (inflection.underscore(name), as_list)
    for name, _ in _STATE_FLAGS:
        table[name] = (name, as_true)
    table["withoutTenantId"] = ("without_tenant_id", as_true)
    return table


SHAPE = QueryShape(noun="historic incident", filters=_filters())


def incident_query(parsed: ParsedQuery) -> StoreQuery[HistoricIncidentCriteria]:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    for name, state in _STATE_FLAGS:
        if fields.pop(name, False):
            fields["incident_state"] = state
    # An empty list asks for nothing (the DTO checks for one that is not empty).
    for name in ("process_definition_key_in", "tenant_id_in", "job_definition_id_in"):
        if fields.get(name) == []:
            del fields[name]
    return StoreQuery(HistoricIncidentCriteria(**fields), sort_pairs(parsed, frozenset(SORTS)))


def incidents(
    uow: UnitOfWork, query: StoreQuery[HistoricIncidentCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.historic_incidents.query(query.criteria, query.orderings, *page)
    return [incident_dto(record) for record in found]


def count(uow: UnitOfWork, query: StoreQuery[HistoricIncidentCriteria]) -> int:
    return uow.store.historic_incidents.count(query.criteria)


def incident_dto(record: HistoricIncidentRecord) -> dict[str, Any]:
    """``HistoricIncidentDto``; no call activities (each instance is its own root) and no
    removal times here."""
    return {
        "id": record.id,
        "processDefinitionKey": record.process_definition_key,
        "processDefinitionId": record.process_definition_id,
        "processInstanceId": record.process_instance_id,
        "executionId": record.execution_id,
        "rootProcessInstanceId": record.process_instance_id,
        "createTime": format_date(record.create_time),
        "endTime": format_date(record.end_time) if record.end_time else None,
        "removalTime": None,
        "incidentType": record.incident_type,
        "activityId": record.activity_id,
        "failedActivityId": record.failed_activity_id,
        "causeIncidentId": record.cause_incident_id,
        "rootCauseIncidentId": record.root_cause_incident_id,
        "configuration": record.configuration,
        "historyConfiguration": record.history_configuration,
        "incidentMessage": record.incident_message,
        "tenantId": record.tenant_id,
        "jobDefinitionId": record.job_definition_id,
        "open": record.incident_state == OPEN,
        "deleted": record.incident_state == DELETED,
        "resolved": record.incident_state == RESOLVED,
        "annotation": record.annotation,
    }
