"""Camunda's historic activity instances (``HistoricActivityInstanceRestServiceImpl``,
``HistoricActivityInstanceResourceImpl``, ``HistoricActivityInstanceQueryDto``,
``HistoricActivityInstanceDto``): every element a token of a model's process instance
passed or waits in, with Camunda's ``activityType`` names."""

from __future__ import annotations

from typing import Any

import inflection

from taskvars.errors import NotFoundError
from taskvars.persistence.history_activities import (
    SORTS,
    HistoricActivityCriteria,
    HistoricActivityRecord,
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


def _filters() -> dict[str, tuple[str, Converter]]:
    """Camunda's parameter name -> (criterion, conversion), named alike."""
    table: dict[str, tuple[str, Converter]] = {}
    for name in (
        "activityInstanceId",
        "processInstanceId",
        "processDefinitionId",
        "executionId",
        "activityId",
        "activityName",
        "activityType",
        "taskAssignee",
    ):
        table[name] = (inflection.underscore(name), as_is)
    for name in ("finished", "unfinished", "canceled", "completeScope", "withoutTenantId"):
        table[name] = (inflection.underscore(name), as_true)
    for name in ("startedBefore", "startedAfter", "finishedBefore", "finishedAfter"):
        table[name] = (inflection.underscore(name), as_date)
    table["tenantIdIn"] = ("tenant_id_in", as_list)
    return table


SHAPE = QueryShape(noun="historic activity instance", filters=_filters())


def activity_query(parsed: ParsedQuery) -> StoreQuery[HistoricActivityCriteria]:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    return StoreQuery(HistoricActivityCriteria(**fields), sort_pairs(parsed, frozenset(SORTS)))


def activities(
    uow: UnitOfWork, query: StoreQuery[HistoricActivityCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.historic_activities.query(query.criteria, query.orderings, *page)
    return [activity_dto(record) for record in found]


def count(uow: UnitOfWork, query: StoreQuery[HistoricActivityCriteria]) -> int:
    return uow.store.historic_activities.count(query.criteria)


def activity(uow: UnitOfWork, activity_instance_id: str) -> dict[str, Any]:
    criteria = HistoricActivityCriteria(activity_instance_id=activity_instance_id)
    found = uow.store.historic_activities.query(criteria)
    if not found:
        raise NotFoundError(
            f"Historic activity instance with id '{activity_instance_id}' does not exist"
        )
    return activity_dto(found[0])


def activity_dto(record: HistoricActivityRecord) -> dict[str, Any]:
    """``HistoricActivityInstanceDto``; no call activities, cases or removal here."""
    duration = None
    if record.end_time is not None:
        duration = int((record.end_time - record.start_time).total_seconds() * 1000)
    return {
        "id": record.id,
        "parentActivityInstanceId": record.parent_activity_instance_id,
        "activityId": record.activity_id,
        "activityName": record.activity_name,
        "activityType": record.activity_type,
        "processDefinitionKey": record.process_definition_key,
        "processDefinitionId": record.process_definition_id,
        "processInstanceId": record.process_instance_id,
        "executionId": record.execution_id,
        "taskId": record.task_id,
        "calledProcessInstanceId": record.called_process_instance_id,
        "calledCaseInstanceId": None,
        "assignee": record.assignee,
        "startTime": format_date(record.start_time),
        "endTime": format_date(record.end_time) if record.end_time else None,
        "durationInMillis": duration,
        "canceled": record.canceled,
        "completeScope": record.complete_scope,
        "tenantId": record.tenant_id,
        "removalTime": None,
        "rootProcessInstanceId": record.root_process_instance_id or record.process_instance_id,
    }
