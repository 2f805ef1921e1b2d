"""Camunda's historic activity-instance query (``HistoricActivityInstance.xml``): the
recorded activity instances with their process instance, and the assignee of the user
task an activity instance is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from taskvars.engine.tree import NodeKind
from taskvars.persistence.models import (
    HistoricActivityInstance,
    HistoricProcessInstance,
    HistoricTaskInstance,
)
from taskvars.persistence.query_statements import (
    ConditionTable,
    duration,
    ordered,
    paged,
)

_ACTIVITY = HistoricActivityInstance
_INSTANCE = HistoricProcessInstance
_TASK = HistoricTaskInstance


@dataclass(frozen=True)
class HistoricActivityCriteria:
    """``GET /history/activity-instance`` filters; ``None`` (or ``False``) filters
    nothing."""

    activity_instance_id: str | None = None
    process_instance_id: str | None = None
    process_definition_id: str | None = None
    execution_id: str | None = None
    activity_id: str | None = None
    activity_name: str | None = None
    activity_type: str | None = None
    task_assignee: str | None = None
    finished: bool = False
    unfinished: bool = False
    canceled: bool = False
    complete_scope: bool = False
    started_before: datetime | None = None
    started_after: datetime | None = None
    finished_before: datetime | None = None
    finished_after: datetime | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False


@dataclass(frozen=True)
class HistoricActivityRecord:
    id: str
    parent_activity_instance_id: str
    activity_id: str
    activity_name: str | None
    activity_type: str
    process_definition_key: str
    process_definition_id: str
    process_instance_id: str
    execution_id: str
    task_id: str | None
    assignee: str | None
    start_time: datetime
    end_time: datetime | None
    canceled: bool
    tenant_id: str | None
    called_process_instance_id: str | None = None
    root_process_instance_id: str | None = None

    @property
    def complete_scope(self) -> bool:
        return is_scope_completing(self.activity_type) and self.ended_normally

    @property
    def ended_normally(self) -> bool:
        return self.end_time is not None and not self.canceled


def is_scope_completing(activity_type: str) -> bool:
    """Camunda marks ``completeScope`` the activity instances that end their scope: here
    the end events (the only events that end a scope this engine runs)."""
    return activity_type in _SCOPE_ENDING


_SCOPE_ENDING = (NodeKind.END_EVENT.value, NodeKind.TERMINATE_END_EVENT.value)

# Camunda's sortBy -> column; ``occurrence`` is the order they were recorded in.
SORTS: dict[str, Any] = {
    "activityInstanceId": _ACTIVITY.id,
    "instanceId": _INSTANCE.id,
    "executionId": _ACTIVITY.execution_id,
    "activityId": _ACTIVITY.activity_id,
    "activityName": _ACTIVITY.activity_name,
    "activityType": _ACTIVITY.activity_type,
    "startTime": _ACTIVITY.start_time,
    "endTime": _ACTIVITY.end_time,
    "duration": duration(_ACTIVITY.start_time, _ACTIVITY.end_time),
    "definitionId": _INSTANCE.process_definition_id,
    "occurrence": _ACTIVITY.pk,
    "tenantId": _INSTANCE.tenant_id,
}


class HistoricActivities:
    def __init__(self, session: Session) -> None:
        self.session = session

    def query(
        self,
        criteria: HistoricActivityCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[HistoricActivityRecord]:
        keys = [(SORTS[sort_by], descending) for sort_by, descending in orderings]
        statement = ordered(_matching(criteria), keys, _ACTIVITY.pk)
        rows = self.session.execute(paged(statement, first_result, max_results))
        return [_record(*row) for row in rows]

    def count(self, criteria: HistoricActivityCriteria) -> int:
        statement = _matching(criteria).with_only_columns(func.count(_ACTIVITY.pk))
        return int(self.session.scalar(statement) or 0)


def _matching(criteria: HistoricActivityCriteria) -> Select[*tuple[Any, ...]]:
    statement: Select[*tuple[Any, ...]] = (
        select(_ACTIVITY, _INSTANCE, _TASK.assignee)
        .join(_INSTANCE, _INSTANCE.pk == _ACTIVITY.process_instance_pk)
        .outerjoin(_TASK, _TASK.id == _ACTIVITY.task_id)
        .where(*_CONDITIONS.conditions(criteria, None))
    )
    return statement


_CONDITIONS: ConditionTable[None] = ConditionTable(
    {
        "activity_instance_id": lambda _, v: _ACTIVITY.id == v,
        "process_instance_id": lambda _, v: _INSTANCE.id == v,
        "process_definition_id": lambda _, v: _INSTANCE.process_definition_id == v,
        "execution_id": lambda _, v: _ACTIVITY.execution_id == v,
        "activity_id": lambda _, v: _ACTIVITY.activity_id == v,
        "activity_name": lambda _, v: _ACTIVITY.activity_name == v,
        "activity_type": lambda _, v: _ACTIVITY.activity_type == v,
        "task_assignee": lambda _, v: _TASK.assignee == v,
        "finished": lambda _, v: _ACTIVITY.end_time.is_not(None),
        "unfinished": lambda _, v: _ACTIVITY.end_time.is_(None),
        "canceled": lambda _, v: _ACTIVITY.canceled.is_(True),
        "complete_scope": lambda _, v: (
            _ACTIVITY.activity_type.in_(_SCOPE_ENDING)
            & _ACTIVITY.end_time.is_not(None)
            & ~_ACTIVITY.canceled
        ),
        # Camunda's bounds include the instant (``START_TIME_ <= #{startedBefore}``).
        "started_before": lambda _, v: _ACTIVITY.start_time <= v,
        "started_after": lambda _, v: _ACTIVITY.start_time >= v,
        "finished_before": lambda _, v: _ACTIVITY.end_time <= v,
        "finished_after": lambda _, v: _ACTIVITY.end_time >= v,
        "tenant_id_in": lambda _, v: _INSTANCE.tenant_id.in_(v),
        "without_tenant_id": lambda _, v: _INSTANCE.tenant_id.is_(None),
    }
)


def _record(
    activity: HistoricActivityInstance, instance: HistoricProcessInstance, assignee: str | None
) -> HistoricActivityRecord:
    return HistoricActivityRecord(
        id=activity.id,
        parent_activity_instance_id=activity.parent_activity_instance_id,
        activity_id=activity.activity_id,
        activity_name=activity.activity_name,
        activity_type=activity.activity_type,
        process_definition_key=instance.process_definition_key,
        process_definition_id=instance.process_definition_id,
        process_instance_id=instance.id,
        execution_id=activity.execution_id,
        task_id=activity.task_id,
        assignee=assignee,
        start_time=activity.start_time,
        end_time=activity.end_time,
        canceled=activity.canceled,
        tenant_id=instance.tenant_id,
        called_process_instance_id=activity.called_process_instance_id,
        root_process_instance_id=instance.root_process_instance_id,
    )
