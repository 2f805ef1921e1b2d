"""Camunda's external-task query as SQL (``ExternalTask.xml``'s
``selectExternalTaskByQueryCriteriaSql``, the facts, not its shape): the ``external_task``
rows with their instance's suspension and their definition's name.

Times are epoch milliseconds, as the table keeps them: a lock is held while its expiry
is after ``now``, which the caller passes so that one request sees one instant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from taskvars.persistence.models import (
    ExternalTask,
    IdSpace,
    ProcessDefinition,
    ProcessInstance,
    Scope,
    Variable,
)
from taskvars.persistence.query_statements import ConditionTable, like, ordered
from taskvars.persistence.statement_shapes import Paging, Parameters, Shape, StatementCache
from taskvars.persistence.values import VariableCondition
from taskvars.persistence.variable_conditions import variable_matches

# Camunda's sortBy names (ExternalTaskQueryDto.SORT_METHODS_BY_FIELD).
SORT_KEYS = (
    "id",
    "lockExpirationTime",
    "processInstanceId",
    "processDefinitionId",
    "processDefinitionKey",
    "tenantId",
    "taskPriority",
    "createTime",
)


@dataclass(frozen=True)
class ExternalTaskCriteria:
    """Camunda's external-task query; ``None`` and ``False`` ask for nothing. Lock
    expiry bounds are epoch milliseconds."""

    external_task_id: str | None = None
    external_task_ids: list[str] | None = None
    topic_name: str | None = None
    worker_id: str | None = None
    locked: bool = False
    not_locked: bool = False
    with_retries_left: bool = False
    no_retries_left: bool = False
    lock_expiration_after: int | None = None
    lock_expiration_before: int | None = None
    activity_id: str | None = None
    activity_id_in: list[str] | None = None
    execution_id: str | None = None
    process_instance_id: str | None = None
    process_instance_id_in: list[str] | None = None
    process_definition_id: str | None = None
    process_definition_key: str | None = None
    process_definition_key_in: list[str] | None = None
    process_definition_name: str | None = None
    process_definition_name_like: str | None = None
    active: bool = False
    suspended: bool = False
    priority_higher_than_or_equals: int | None = None
    priority_lower_than_or_equals: int | None = None
    tenant_id_in: list[str] | None = None
    process_variables: tuple[VariableCondition, ...] = field(default=())


@dataclass(frozen=True)
class ExternalTaskRow:
    """One external task as Camunda's ``ExternalTaskDto`` shows it; times in epoch
    milliseconds, ``suspended`` its process instance's."""

    id: str
    activity_id: str
    activity_instance_id: str
    execution_id: str
    process_instance_id: str
    process_definition_id: str
    process_definition_key: str
    process_definition_version_tag: str | None
    business_key: str | None
    tenant_id: str | None
    topic_name: str
    worker_id: str | None
    lock_expiration_time: int | None
    retries: int | None
    error_message: str | None
    priority: int
    create_time: int
    suspended: bool

    @classmethod
    def of(cls, task: Any, *, suspended: bool) -> ExternalTaskRow:
        """From an ``ExternalTask`` model, or a result row with its columns, and the
        suspension of its process instance."""
        columns = {
            item.name: getattr(task, item.name) for item in fields(cls) if item.name != "suspended"
        }
        return cls(**columns, suspended=bool(suspended))


@dataclass(frozen=True)
class ErrorDetails:
    """The error details of an external task that exists (``None``: never reported)."""

    text: str | None


@dataclass(frozen=True)
class _Rows:
    task: Any
    instance: Any
    definition: Any
    now: int

    @property
    def lock_held(self) -> ColumnElement[bool]:
        return self.task.lock_expiration_time > self.now  # type: ignore[no-any-return]

    @property
    def lock_free(self) -> ColumnElement[bool]:
        # Camunda's notLocked: no lock, or one that expired before now.
        return or_(
            self.task.lock_expiration_time.is_(None), self.task.lock_expiration_time < self.now
        )


def _process_variable(rows: _Rows, condition: VariableCondition) -> ColumnElement[bool]:
    """A variable of the task's process instance or of one of its executions, never a
    user task's (Camunda's ``TASK_ID_ is null and RES.PROC_INST_ID_ = PROC_INST_ID_``)."""
    variable, execution = aliased(Variable), aliased(Scope)
    on_instance = exists().where(
        variable.scope_pk == rows.task.process_instance_pk, variable_matches(variable, condition)
    )
    on_execution = exists().where(
        execution.process_instance_pk == rows.task.process_instance_pk,
        execution.id_space == IdSpace.EXECUTION,
        variable.scope_pk == execution.pk,
        variable_matches(variable, condition),
    )
    return or_(on_instance, on_execution)


_CONDITIONS: ConditionTable[_Rows] = ConditionTable(
    {
        "external_task_id": lambda r, v: r.task.id == v,
        "external_task_ids": lambda r, v: r.task.id.in_(v),
        "topic_name": lambda r, v: r.task.topic_name == v,
        "worker_id": lambda r, v: r.task.worker_id == v,
        "locked": lambda r, v: r.lock_held,
        "not_locked": lambda r, v: r.lock_free,
        "with_retries_left": lambda r, v: or_(r.task.retries.is_(None), r.task.retries > 0),
        "no_retries_left": lambda r, v: r.task.retries == 0,
        "lock_expiration_after": lambda r, v: r.task.lock_expiration_time > v,
        "lock_expiration_before": lambda r, v: r.task.lock_expiration_time < v,
        "activity_id": lambda r, v: r.task.activity_id == v,
        "activity_id_in": lambda r, v: r.task.activity_id.in_(v),
        "execution_id": lambda r, v: r.task.execution_id == v,
        "process_instance_id": lambda r, v: r.task.process_instance_id == v,
        "process_instance_id_in": lambda r, v: r.task.process_instance_id.in_(v),
        "process_definition_id": lambda r, v: r.task.process_definition_id == v,
        "process_definition_key": lambda r, v: r.task.process_definition_key == v,
        "process_definition_key_in": lambda r, v: r.task.process_definition_key.in_(v),
        "process_definition_name": lambda r, v: r.definition.name == v,
        "process_definition_name_like": lambda r, v: like(r.definition.name, v),
        "active": lambda r, v: r.instance.suspended.is_(False),
        "suspended": lambda r, v: r.instance.suspended.is_(True),
        "priority_higher_than_or_equals": lambda r, v: r.task.priority >= v,
        "priority_lower_than_or_equals": lambda r, v: r.task.priority <= v,
        "tenant_id_in": lambda r, v: r.task.tenant_id.in_(v),
    }
)


def _conditions(criteria: ExternalTaskCriteria, rows: _Rows) -> list[ColumnElement[bool]]:
    found = list(_CONDITIONS.conditions(criteria, rows))
    found.extend(_process_variable(rows, condition) for condition in criteria.process_variables)
    return found


def _rows(now: int) -> _Rows:
    return _Rows(aliased(ExternalTask), aliased(ProcessInstance), aliased(ProcessDefinition), now)


def _from(statement: Select[Any], rows: _Rows) -> Select[Any]:
    return (
        statement.select_from(rows.task)
        .join(rows.instance, rows.instance.scope_pk == rows.task.process_instance_pk)
        .outerjoin(rows.definition, rows.definition.id == rows.task.process_definition_id)
    )


def matching_external_tasks(
    criteria: ExternalTaskCriteria, now: int, orderings: Sequence[tuple[str, bool]] = ()
) -> Select[Any]:
    """Tasks matching ``criteria`` at ``now`` in the order asked for (ties in creation
    order)."""
    rows = _rows(now)
    task = rows.task
    statement = _from(
        select(
            task.pk,
            task.id,
            task.activity_id,
            task.activity_instance_id,
            task.execution_id,
            task.process_instance_id,
            task.process_definition_id,
            task.process_definition_key,
            task.process_definition_version_tag,
            task.business_key,
            task.tenant_id,
            task.topic_name,
            task.worker_id,
            task.lock_expiration_time,
            task.retries,
            task.error_message,
            task.priority,
            task.create_time,
            rows.instance.suspended,
        ),
        rows,
    ).where(*_conditions(criteria, rows))
    sort_columns = {
        "id": task.id,
        "lockExpirationTime": task.lock_expiration_time,
        "processInstanceId": task.process_instance_id,
        "processDefinitionId": task.process_definition_id,
        "processDefinitionKey": task.process_definition_key,
        "tenantId": task.tenant_id,
        "taskPriority": task.priority,
        "createTime": task.create_time,
    }
    keys = [(sort_columns[sort_by], descending) for sort_by, descending in orderings]
    return ordered(statement, keys, task.pk)


class ExternalTaskQueries:
    """``store.external_task_query``: external tasks read as Camunda's query reads them."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def query(
        self,
        criteria: ExternalTaskCriteria,
        now: int,
        orderings: Sequence[tuple[str, bool]] = (),
        *,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[ExternalTaskRow]:
        def take_apart(parameters: Parameters) -> tuple[Shape, _Page]:
            criteria_shape, template = parameters.criteria(criteria)
            paging = parameters.paging(first_result, max_results)
            shape = (criteria_shape, tuple(orderings), paging.shape)
            return shape, _Page(template, parameters.bind("now", now), orderings, paging)

        statement, parameters = PAGE_STATEMENTS.bound(take_apart)
        return [
            ExternalTaskRow.of(found, suspended=found.suspended)
            for found in self.session.execute(statement, parameters)
        ]

    def count(self, criteria: ExternalTaskCriteria, now: int) -> int:
        statement, parameters = COUNT_STATEMENTS.bound(
            lambda parameters: _at(criteria, now, parameters)
        )
        count: int = self.session.execute(statement, parameters).scalar_one()
        return count

    def get(self, external_task_id: str, now: int) -> ExternalTaskRow | None:
        found = self.query(ExternalTaskCriteria(external_task_id=external_task_id), now)
        return found[0] if found else None

    def error_details(self, external_task_id: str) -> ErrorDetails | None:
        """``None`` when no such task exists."""
        found = self.session.execute(
            select(ExternalTask.error_details).where(ExternalTask.id == external_task_id)
        ).first()
        return None if found is None else ErrorDetails(found.error_details)

    def topic_names(self, criteria: ExternalTaskCriteria, now: int) -> list[str]:
        """The distinct topics of the matching tasks, in name order (Camunda leaves the
        order to the database)."""
        statement, parameters = TOPIC_STATEMENTS.bound(
            lambda parameters: _at(criteria, now, parameters)
        )
        return list(self.session.scalars(statement, parameters))


def _counted(template: tuple[ExternalTaskCriteria, Any]) -> Select[Any]:
    matching = matching_external_tasks(*template).order_by(None).subquery()
    return select(func.count()).select_from(matching)


def _topic_names(template: tuple[ExternalTaskCriteria, Any]) -> Select[Any]:
    criteria, now = template
    rows = _rows(now)
    statement = _from(select(rows.task.topic_name).distinct(), rows).where(
        *_conditions(criteria, rows)
    )
    return statement.order_by(rows.task.topic_name)


def _at(
    criteria: ExternalTaskCriteria, now: int, parameters: Parameters
) -> tuple[Shape, tuple[ExternalTaskCriteria, Any]]:
    """The criteria at ``now``, taken apart: ``now`` is a value like theirs."""
    shape, template = parameters.criteria(criteria)
    return shape, (template, parameters.bind("now", now))


@dataclass(frozen=True)
class _Page:
    """A page of the query with parameters for its values; sortings are all shape."""

    criteria: ExternalTaskCriteria
    now: Any
    orderings: Sequence[tuple[str, bool]]
    paging: Paging

    def statement(self) -> Select[Any]:
        return self.paging.applied(matching_external_tasks(self.criteria, self.now, self.orderings))


# The query's statements, each built once per shape of its criteria.
PAGE_STATEMENTS: StatementCache[_Page] = StatementCache(_Page.statement)
COUNT_STATEMENTS: StatementCache[tuple[ExternalTaskCriteria, Any]] = StatementCache(_counted)
TOPIC_STATEMENTS: StatementCache[tuple[ExternalTaskCriteria, Any]] = StatementCache(_topic_names)
