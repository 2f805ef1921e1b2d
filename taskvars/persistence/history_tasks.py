"""Camunda's historic task query (``HistoricTaskInstance.xml``, the facts not its shape)
as one statement over the recorded tasks and their process instances: names and
descriptions compare ignoring case, ``LIKE`` escapes with a backslash, the date bounds
of starts and ends include the instant given, and a variable criterion is an ``EXISTS``
over the historic variables (the task's own, or those of its process instance outside
tasks)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, false, func, select
from sqlalchemy.orm import Session, aliased

from taskvars.persistence.models import (
    HistoricProcessInstance,
    HistoricTaskInstance,
    HistoricVariable,
)
from taskvars.persistence.query_statements import (
    ConditionTable,
    duration,
    equal_ignoring_case,
    like,
    like_ignoring_case,
    ordered,
    paged,
    where_any,
)
from taskvars.persistence.values import VariableCondition
from taskvars.persistence.variable_conditions import variable_matches

_TASK = HistoricTaskInstance
_INSTANCE = HistoricProcessInstance


@dataclass(frozen=True)
class HistoricTaskCriteria:
    """``GET /history/task`` filters; ``None`` (or ``False``) filters nothing."""

    task_id: str | None = None
    task_parent_task_id: str | None = None
    process_instance_id: str | None = None
    process_instance_business_key: str | None = None
    process_instance_business_key_in: list[str] | None = None
    process_instance_business_key_like: str | None = None
    execution_id: str | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    process_definition_name: str | None = None
    activity_instance_id_in: list[str] | None = None
    task_name: str | None = None
    task_name_like: str | None = None
    task_description: str | None = None
    task_description_like: str | None = None
    task_definition_key: str | None = None
    task_definition_key_in: list[str] | None = None
    task_delete_reason: str | None = None
    task_delete_reason_like: str | None = None
    task_assignee: str | None = None
    task_assignee_like: str | None = None
    task_owner: str | None = None
    task_owner_like: str | None = None
    task_priority: int | None = None
    assigned: bool = False
    unassigned: bool = False
    finished: bool = False
    unfinished: bool = False
    process_finished: bool = False
    process_unfinished: bool = False
    task_due_date: datetime | None = None
    task_due_date_before: datetime | None = None
    task_due_date_after: datetime | None = None
    without_task_due_date: bool = False
    task_follow_up_date: datetime | None = None
    task_follow_up_date_before: datetime | None = None
    task_follow_up_date_after: datetime | None = None
    started_before: datetime | None = None
    started_after: datetime | None = None
    finished_before: datetime | None = None
    finished_after: datetime | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    variables: tuple[VariableCondition, ...] = ()
    # Each holds if one of its criteria does (Camunda's ``orQueries``).
    or_queries: tuple[HistoricTaskCriteria, ...] = ()


@dataclass(frozen=True)
class HistoricTaskRecord:
    id: str
    process_instance_id: str
    process_definition_id: str
    process_definition_key: str
    tenant_id: str | None
    execution_id: str
    activity_instance_id: str
    task_definition_key: str | None
    name: str | None
    description: str | None
    assignee: str | None
    owner: str | None
    priority: int
    due: datetime | None
    follow_up: datetime | None
    start_time: datetime
    end_time: datetime | None
    delete_reason: str | None


# Camunda's sortBy -> column; the case sorts order nothing (no case is modelled).
SORTS: dict[str, Any] = {
    "taskId": _TASK.id,
    "activityInstanceId": _TASK.activity_instance_id,
    "processDefinitionId": _INSTANCE.process_definition_id,
    "processInstanceId": _INSTANCE.id,
    "executionId": _TASK.execution_id,
    "duration": duration(_TASK.start_time, _TASK.end_time),
    "endTime": _TASK.end_time,
    "startTime": _TASK.start_time,
    "taskName": _TASK.name,
    "taskDescription": _TASK.description,
    "assignee": _TASK.assignee,
    "owner": _TASK.owner,
    "dueDate": _TASK.due,
    "followUpDate": _TASK.follow_up,
    "deleteReason": _TASK.delete_reason,
    "taskDefinitionKey": _TASK.task_definition_key,
    "priority": _TASK.priority,
    "tenantId": _INSTANCE.tenant_id,
    "caseDefinitionId": None,
    "caseInstanceId": None,
    "caseExecutionId": None,
}


class HistoricTasks:
    def __init__(self, session: Session) -> None:
        self.session = session

    def query(
        self,
        criteria: HistoricTaskCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricTaskRecord]:
        """Matching tasks sorted by ``(sortBy, descending)`` pairs, ties in creation
        order."""
        keys = [
            (SORTS[sort_by], descending)
            for sort_by, descending in orderings
            if SORTS[sort_by] is not None
        ]
        statement = ordered(_matching(criteria), keys, _TASK.pk)
        rows = self.session.execute(paged(statement, first_result, max_results))
        return [_record(task, instance) for task, instance in rows]

    def count(self, criteria: HistoricTaskCriteria) -> int:
        statement = _matching(criteria).with_only_columns(func.count(_TASK.pk))
        return int(self.session.scalar(statement) or 0)


def _matching(criteria: HistoricTaskCriteria) -> Select[*tuple[Any, ...]]:
    statement: Select[*tuple[Any, ...]] = (
        select(_TASK, _INSTANCE)
        .join(_INSTANCE, _INSTANCE.pk == _TASK.process_instance_pk)
        .where(*_conditions(criteria))
    )
    return where_any(statement, (_conditions(nested) for nested in criteria.or_queries))


def _conditions(criteria: HistoricTaskCriteria) -> Iterator[ColumnElement[bool]]:
    yield from _CONDITIONS.conditions(criteria, None)
    for condition in criteria.variables:
        yield _variable_condition(condition)


def _variable_condition(condition: VariableCondition) -> ColumnElement[bool]:
    """Camunda's: a historic variable of the task, or of its process instance outside
    any task, matches."""
    variable = aliased(HistoricVariable)
    if condition.task_local:
        where = variable.task_id == _TASK.id
    else:
        where = (variable.process_instance_pk == _TASK.process_instance_pk) & (
            variable.task_id.is_(None)
        )
    return exists().where(where, variable_matches(variable, condition))


_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "task_id": lambda _, v: _TASK.id == v,
        # Only a model's tasks are recorded, and none of them has a parent task.
        "task_parent_task_id": lambda _, v: false(),
        "process_instance_id": lambda _, v: _INSTANCE.id == v,
        "process_instance_business_key": lambda _, v: _INSTANCE.business_key == v,
        "process_instance_business_key_in": lambda _, v: _INSTANCE.business_key.in_(v),
        "process_instance_business_key_like": lambda _, v: like(_INSTANCE.business_key, v),
        "execution_id": lambda _, v: _TASK.execution_id == v,
        "process_definition_id": lambda _, v: _INSTANCE.process_definition_id == v,
        "process_definition_key": lambda _, v: _INSTANCE.process_definition_key == v,
        "process_definition_name": lambda _, v: _INSTANCE.process_definition_name == v,
        "activity_instance_id_in": lambda _, v: _TASK.activity_instance_id.in_(v),
        # Camunda compares names and descriptions ignoring case (CAM-12186).
        "task_name": lambda _, v: equal_ignoring_case(_TASK.name, v),
        "task_name_like": lambda _, v: like_ignoring_case(_TASK.name, v),
        "task_description": lambda _, v: equal_ignoring_case(_TASK.description, v),
        "task_description_like": lambda _, v: like_ignoring_case(_TASK.description, v),
        "task_definition_key": lambda _, v: _TASK.task_definition_key == v,
        "task_definition_key_in": lambda _, v: _TASK.task_definition_key.in_(v),
        "task_delete_reason": lambda _, v: _TASK.delete_reason == v,
        "task_delete_reason_like": lambda _, v: like(_TASK.delete_reason, v),
        "task_assignee": lambda _, v: _TASK.assignee == v,
        "task_assignee_like": lambda _, v: like(_TASK.assignee, v),
        "task_owner": lambda _, v: _TASK.owner == v,
        "task_owner_like": lambda _, v: like(_TASK.owner, v),
        "task_priority": lambda _, v: _TASK.priority == v,
        "assigned": lambda _, v: _TASK.assignee.is_not(None),
        "unassigned": lambda _, v: _TASK.assignee.is_(None),
        "finished": lambda _, v: _TASK.end_time.is_not(None),
        "unfinished": lambda _, v: _TASK.end_time.is_(None),
        "process_finished": lambda _, v: _INSTANCE.end_time.is_not(None),
        "process_unfinished": lambda _, v: _INSTANCE.end_time.is_(None),
        "task_due_date": lambda _, v: _TASK.due == v,
        "task_due_date_before": lambda _, v: _TASK.due < v,
        "task_due_date_after": lambda _, v: _TASK.due > v,
        "without_task_due_date": lambda _, v: _TASK.due.is_(None),
        "task_follow_up_date": lambda _, v: _TASK.follow_up == v,
        "task_follow_up_date_before": lambda _, v: _TASK.follow_up < v,
        "task_follow_up_date_after": lambda _, v: _TASK.follow_up > v,
        "started_before": lambda _, v: _TASK.start_time <= v,
        "started_after": lambda _, v: _TASK.start_time >= v,
        "finished_before": lambda _, v: _TASK.end_time <= v,
        "finished_after": lambda _, v: _TASK.end_time >= v,
        "tenant_id_in": lambda _, v: _INSTANCE.tenant_id.in_(v),
        "without_tenant_id": lambda _, v: _INSTANCE.tenant_id.is_(None),
    }
)


def _record(task: HistoricTaskInstance, instance: HistoricProcessInstance) -> HistoricTaskRecord:
    return HistoricTaskRecord(
        id=task.id,
        process_instance_id=instance.id,
        process_definition_id=instance.process_definition_id,
        process_definition_key=instance.process_definition_key,
        tenant_id=instance.tenant_id,
        execution_id=task.execution_id,
        activity_instance_id=task.activity_instance_id,
        task_definition_key=task.task_definition_key,
        name=task.name,
        description=task.description,
        assignee=task.assignee,
        owner=task.owner,
        priority=task.priority,
        due=task.due,
        follow_up=task.follow_up,
        start_time=task.start_time,
        end_time=task.end_time,
        delete_reason=task.delete_reason,
    )
