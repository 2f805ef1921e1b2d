"""Camunda's job query as SQL (``Job.xml``'s ``selectJobByQueryCriteriaSql``, the facts):
the ``job`` rows by :class:`JobCriteria`. Times are epoch milliseconds, as the table
keeps them; ``now`` (for ``executable``) is the caller's, one instant per request."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from taskvars.persistence.models import Job
from taskvars.persistence.query_statements import ConditionTable, ordered, paged

# Camunda's sortBy names (JobQueryDto.VALID_SORT_BY_VALUES) -> columns.
SORT_COLUMNS: dict[str, Any] = {
    "jobId": Job.id,
    "executionId": Job.execution_id,
    "processInstanceId": Job.process_instance_id,
    "processDefinitionId": Job.process_definition_id,
    "processDefinitionKey": Job.process_definition_key,
    "jobRetries": Job.retries,
    "jobDueDate": Job.due_date,
    "jobPriority": Job.priority,
    "tenantId": Job.tenant_id,
}


@dataclass(frozen=True)
class TimeCondition:
    """One of ``dueDates``/``createTimes``: ``gt`` or ``lt`` an instant (epoch ms)."""

    operator: str
    value: int


@dataclass(frozen=True)
class JobCriteria:
    """``None`` and ``False`` ask for nothing."""

    job_id: str | None = None
    job_ids: list[str] | None = None
    job_definition_id: str | None = None
    activity_id: str | None = None
    failed_activity_id: str | None = None
    execution_id: str | None = None
    process_instance_id: str | None = None
    process_instance_ids: list[str] | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    with_retries_left: bool = False
    no_retries_left: bool = False
    executable: bool = False
    timers: bool = False
    messages: bool = False
    with_exception: bool = False
    exception_message: str | None = None
    due_dates: list[TimeCondition] | None = None
    create_times: list[TimeCondition] | None = None
    active: bool = False
    suspended: bool = False
    priority_higher_than_or_equals: int | None = None
    priority_lower_than_or_equals: int | None = None
    tenant_id_in: list[str] | None = None
    without_tenant_id: bool = False
    include_jobs_without_tenant_id: bool = False
    acquired: bool = False


@dataclass(frozen=True)
class _Rows:
    job: type[Job]
    now: int


def _times(column: Any, conditions: list[TimeCondition]) -> ColumnElement[bool]:
    # JobQueryImpl: gt is after, lt before; every condition holds.
    return and_(
        *(
            column > condition.value if condition.operator == "gt" else column < condition.value
            for condition in conditions
        )
    )


def _tenants(rows: _Rows, criteria: JobCriteria) -> ColumnElement[bool]:
    assert criteria.tenant_id_in is not None
    match = rows.job.tenant_id.in_(criteria.tenant_id_in)
    if criteria.include_jobs_without_tenant_id:
        return or_(match, rows.job.tenant_id.is_(None))
    return match


_CONDITIONS: ConditionTable[_Rows] = ConditionTable(
    {
        "job_id": lambda r, v: r.job.id == v,
        "job_ids": lambda r, v: r.job.id.in_(v),
        "job_definition_id": lambda r, v: r.job.job_definition_id == v,
        "activity_id": lambda r, v: r.job.activity_id == v,
        "failed_activity_id": lambda r, v: r.job.failed_activity_id == v,
        "execution_id": lambda r, v: r.job.execution_id == v,
        "process_instance_id": lambda r, v: r.job.process_instance_id == v,
        "process_instance_ids": lambda r, v: r.job.process_instance_id.in_(v),
        "process_definition_id": lambda r, v: r.job.process_definition_id == v,
        "process_definition_key": lambda r, v: r.job.process_definition_key == v,
        "with_retries_left": lambda r, v: r.job.retries > 0,
        "no_retries_left": lambda r, v: r.job.retries == 0,
        "executable": lambda r, v: and_(
            r.job.retries > 0, or_(r.job.due_date.is_(None), r.job.due_date <= r.now)
        ),
        "timers": lambda r, v: r.job.type == "timer",
        "messages": lambda r, v: r.job.type == "message",
        "with_exception": lambda r, v: or_(
            r.job.exception_message.is_not(None), r.job.exception_stacktrace.is_not(None)
        ),
        "exception_message": lambda r, v: r.job.exception_message == v,
        "due_dates": lambda r, v: _times(r.job.due_date, v),
        "create_times": lambda r, v: _times(r.job.create_time, v),
        "active": lambda r, v: r.job.suspended.is_(False),
        "suspended": lambda r, v: r.job.suspended.is_(True),
        "priority_higher_than_or_equals": lambda r, v: r.job.priority >= v,
        "priority_lower_than_or_equals": lambda r, v: r.job.priority <= v,
        "without_tenant_id": lambda r, v: r.job.tenant_id.is_(None),
        "acquired": lambda r, v: r.job.lock_expiration_time.is_not(None),
    }
)


class JobQueries:
    def __init__(self, session: Session) -> None:
        self._session = session

    def query(
        self,
        criteria: JobCriteria,
        now: int,
        orderings: Sequence[tuple[str, bool]] = (),
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[Job]:
        statement = self._filtered(select(Job), criteria, now)
        keys = [(SORT_COLUMNS[name], descending) for name, descending in orderings]
        statement = paged(ordered(statement, keys, Job.pk), first_result, max_results)
        return list(self._session.scalars(statement))

    def count(self, criteria: JobCriteria, now: int) -> int:
        statement = self._filtered(select(func.count()).select_from(Job), criteria, now)
        return int(self._session.scalar(statement) or 0)

    def _filtered(self, statement: Select[Any], criteria: JobCriteria, now: int) -> Select[Any]:
        rows = _Rows(Job, now)
        statement = statement.where(*_CONDITIONS.conditions(criteria, rows))
        if criteria.tenant_id_in is not None:
            statement = statement.where(_tenants(rows, criteria))
        return statement
