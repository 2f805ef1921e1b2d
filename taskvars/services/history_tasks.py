"""Camunda's historic task query (``HistoricTaskInstanceRestServiceImpl``,
``HistoricTaskInstanceQueryDto``, ``HistoricTaskInstanceDto``): the user tasks deployed
models created, running or ended, with Camunda's ``deleteReason`` (``completed``,
``deleted``, or the reason their process instance was deleted with).

Only tasks of a model's process instance are recorded: a standalone task
(``POST /task/create``) has no history here, where Camunda's default level records it
(see docs/compatibility.md). Camunda has no single-task ``GET /history/task/{id}``.
"""

from __future__ import annotations

from typing import Any

import inflection

from taskvars.persistence.history_tasks import SORTS, HistoricTaskCriteria, HistoricTaskRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import format_date
from taskvars.services.query_toolkit import (
    Converter,
    Page,
    ParsedQuery,
    QueryShape,
    StoreQuery,
    VariableParameter,
    as_date,
    as_is,
    as_list,
    as_true,
    sort_pairs,
    without_tenant_wins,
)

# Declared (clients generated from Camunda's spec send them) but asking for what this
# server does not keep: refused unless empty or false. The identity-link criteria ask
# for the links a task had, which history does not record here.
NOT_MODELLED = frozenset(
    {
        "caseInstanceId",
        "caseExecutionId",
        "caseDefinitionId",
        "caseDefinitionKey",
        "caseDefinitionName",
        "taskInvolvedUser",
        "taskInvolvedGroup",
        "taskHadCandidateUser",
        "taskHadCandidateGroup",
        "withCandidateGroups",
        "withoutCandidateGroups",
    }
)


def _filters() -> dict[str, tuple[str, Converter]]:
    """Camunda's parameter name -> (criterion, conversion): the criteria are named as
    the parameters."""
    table: dict[str, tuple[str, Converter]] = {}
    for name in (
        "taskId",
        "taskParentTaskId",
        "processInstanceId",
        "processInstanceBusinessKey",
        "processInstanceBusinessKeyLike",
        "executionId",
        "processDefinitionId",
        "processDefinitionKey",
        "processDefinitionName",
        "taskName",
        "taskNameLike",
        "taskDescription",
        "taskDescriptionLike",
        "taskDefinitionKey",
        "taskDeleteReason",
        "taskDeleteReasonLike",
        "taskAssignee",
        "taskAssigneeLike",
        "taskOwner",
        "taskOwnerLike",
        "taskPriority",
    ):
        table[name] = (inflection.underscore(name), as_is)
    for name in (
        "processInstanceBusinessKeyIn",
        "activityInstanceIdIn",
        "taskDefinitionKeyIn",
        "tenantIdIn",
    ):
        table[name] = (inflection.underscore(name), as_list)
    for name in (
        "assigned",
        "unassigned",
        "finished",
        "unfinished",
        "processFinished",
        "processUnfinished",
        "withoutTaskDueDate",
        "withoutTenantId",
    ):
        table[name] = (inflection.underscore(name), as_true)
    for name in (
        "taskDueDate",
        "taskDueDateBefore",
        "taskDueDateAfter",
        "taskFollowUpDate",
        "taskFollowUpDateBefore",
        "taskFollowUpDateAfter",
        "startedBefore",
        "startedAfter",
        "finishedBefore",
        "finishedAfter",
    ):
        table[name] = (inflection.underscore(name), as_date)
    # Every process instance here is its own root (no call activities).
    table["rootProcessInstanceId"] = ("process_instance_id", as_is)
    return table


SHAPE = QueryShape(
    noun="historic task instance",
    filters=_filters(),
    not_modelled=NOT_MODELLED,
    variable_parameters={
        "processVariables": VariableParameter("process variable"),
        "taskVariables": VariableParameter("task variable", local=True),
    },
    or_queries=True,
)


def task_query(parsed: ParsedQuery) -> StoreQuery[HistoricTaskCriteria]:
    return StoreQuery(_criteria(parsed), sort_pairs(parsed, frozenset(SORTS)))


def _criteria(parsed: ParsedQuery) -> HistoricTaskCriteria:
    fields = without_tenant_wins(
        parsed.fields, tenant_ids="tenant_id_in", without_tenant="without_tenant_id"
    )
    return HistoricTaskCriteria(
        **fields,
        variables=parsed.variables,
        or_queries=tuple(_criteria(nested) for nested in parsed.or_queries),
    )


def tasks(
    uow: UnitOfWork, query: StoreQuery[HistoricTaskCriteria], page: Page
) -> list[dict[str, Any]]:
    found = uow.store.historic_tasks.query(query.criteria, query.orderings, *page)
    return [task_dto(record) for record in found]


def count(uow: UnitOfWork, query: StoreQuery[HistoricTaskCriteria]) -> int:
    return uow.store.historic_tasks.count(query.criteria)


# Camunda's ``taskState`` (TaskEntity's TaskState) by the delete reason of an ended task.
_STATE_BY_DELETE_REASON = {"completed": "Completed"}


def task_dto(record: HistoricTaskRecord) -> dict[str, Any]:
    """``HistoricTaskInstanceDto``; what this server has no notion of (cases, parent
    tasks, removal) is ``null``."""
    duration = None
    if record.end_time is not None:
        duration = int((record.end_time - record.start_time).total_seconds() * 1000)
    if record.end_time is None:
        state = "Created"
    else:
        state = _STATE_BY_DELETE_REASON.get(record.delete_reason or "", "Deleted")
    return {
        "id": record.id,
        "processDefinitionKey": record.process_definition_key,
        "processDefinitionId": record.process_definition_id,
        "processInstanceId": record.process_instance_id,
        "executionId": record.execution_id,
        "caseDefinitionKey": None,
        "caseDefinitionId": None,
        "caseInstanceId": None,
        "caseExecutionId": None,
        "activityInstanceId": record.activity_instance_id,
        "name": record.name,
        "description": record.description,
        "deleteReason": record.delete_reason,
        "owner": record.owner,
        "assignee": record.assignee,
        "startTime": format_date(record.start_time),
        "endTime": format_date(record.end_time) if record.end_time else None,
        "duration": duration,
        "taskDefinitionKey": record.task_definition_key,
        "priority": record.priority,
        "due": format_date(record.due) if record.due else None,
        "parentTaskId": None,
        "followUp": format_date(record.follow_up) if record.follow_up else None,
        "tenantId": record.tenant_id,
        "removalTime": None,
        "rootProcessInstanceId": record.process_instance_id,
        "taskState": state,
    }
