"""Camunda's process-instance query as one SQL statement (``Execution.xml``'s
``selectProcessInstanceByQueryCriteria``, the facts, not its shape): a process instance
with its run's definition and deployment, where an instance our extension created has
neither.

Variable criteria match a variable of the instance that is not a task's (on the
instance or one of its executions), as Camunda's ``TASK_ID_ is null and PROC_INST_ID_``.
``activityIdIn`` matches the activities the instance waits in: its user tasks'
definition keys and its external tasks' activities.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import aliased

from taskvars.persistence.incident_conditions import runtime_incident
from taskvars.persistence.models import (
    Deployment,
    ExternalTask,
    IdSpace,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    ProcessRun,
    Scope,
    Task,
    Variable,
)
from taskvars.persistence.query_statements import ConditionTable, like, ordered, where_any
from taskvars.persistence.statement_shapes import (
    Bound,
    Paging,
    Parameters,
    Shape,
    StatementCache,
)
from taskvars.persistence.values import (
    ProcessInstanceCriteria,
    ProcessInstanceRecord,
    VariableCondition,
)
from taskvars.persistence.variable_conditions import variable_matches

SORT_KEYS = ("instanceId", "definitionKey", "definitionId", "tenantId", "businessKey")


@dataclass(frozen=True)
class _Rows:
    scope: Any
    instance: Any
    definition: Any
    deployment: Any

    @property
    def definition_key(self) -> ColumnElement[Any]:
        # An extension's instance names its key itself; a model's comes from its run.
        return func.coalesce(self.definition.key, self.instance.process_definition_key)

    @property
    def tenant_id(self) -> ColumnElement[Any]:
        return func.nullif(self.definition.tenant_id, "")


def _variable(rows: _Rows, condition: VariableCondition) -> ColumnElement[bool]:
    """A variable of the instance itself, or of one of its executions (never a task's)."""
    variable, execution = aliased(Variable), aliased(Scope)
    on_instance = exists().where(
        variable.scope_pk == rows.scope.pk, variable_matches(variable, condition)
    )
    on_execution = exists().where(
        execution.process_instance_pk == rows.scope.pk,
        execution.id_space == IdSpace.EXECUTION,
        variable.scope_pk == execution.pk,
        variable_matches(variable, condition),
    )
    return or_(on_instance, on_execution)


def _waiting_in(rows: _Rows, activity_ids: list[str]) -> ColumnElement[bool]:
    task_scope = aliased(Scope)
    return or_(
        exists().where(
            task_scope.process_instance_pk == rows.scope.pk,
            task_scope.id_space == IdSpace.TASK,
            Task.scope_pk == task_scope.pk,
            Task.task_definition_key.in_(activity_ids),
        ),
        exists().where(
            ExternalTask.process_instance_pk == rows.scope.pk,
            ExternalTask.activity_id.in_(activity_ids),
        ),
    )


def _calling(rows: _Rows, sub_instance_id: str) -> ColumnElement[bool]:
    """The instance that called ``sub_instance_id`` (Camunda's ``subProcessInstance``)."""
    called, called_scope = aliased(ProcessInstance), aliased(Scope)
    return exists().where(
        called.scope_pk == called_scope.pk,
        called_scope.id_space == IdSpace.EXECUTION,
        called_scope.external_id == sub_instance_id,
        called.super_process_instance_id == rows.scope.external_id,
    )


def _calling_nothing(rows: _Rows, _: object) -> ColumnElement[bool]:
    """No running instance was called from this one (Camunda's ``leafProcessInstances``)."""
    called = aliased(ProcessInstance)
    return ~exists().where(called.super_process_instance_id == rows.scope.external_id)


def _incident_of(field: str) -> Callable[[_Rows, Any], ColumnElement[bool]]:
    """An incident of the instance matches (Execution.xml joins ``INC.PROC_INST_ID_``)."""
    return lambda rows, value: runtime_incident(
        field, value, Incident.process_instance_pk == rows.scope.pk
    )


_CONDITIONS: ConditionTable[_Rows] = ConditionTable(
    {
        # With the id space, so that the unique index on (id_space, external_id) finds them.
        "process_instance_ids": lambda r, v: (
            (r.scope.id_space == IdSpace.EXECUTION) & r.scope.external_id.in_(v)
        ),
        # The root itself (its root column is empty), or an instance called below it.
        "root_process_instance_id": lambda r, v: or_(
            (r.scope.id_space == IdSpace.EXECUTION) & (r.scope.external_id == v),
            r.instance.root_process_instance_id == v,
        ),
        "super_process_instance": lambda r, v: r.instance.super_process_instance_id == v,
        "sub_process_instance": _calling,
        "root_process_instances": lambda r, v: r.instance.super_process_instance_id.is_(None),
        "leaf_process_instances": _calling_nothing,
        "business_key": lambda r, v: r.instance.business_key == v,
        "business_key_like": lambda r, v: like(r.instance.business_key, v),
        "process_definition_id": lambda r, v: r.definition.id == v,
        "process_definition_key": lambda r, v: r.definition_key == v,
        "process_definition_key_in": lambda r, v: r.definition_key.in_(v),
        "process_definition_key_not_in": lambda r, v: r.definition_key.not_in(v),
        "deployment_id": lambda r, v: r.deployment.id == v,
        "active": lambda r, v: r.instance.suspended.is_(False),
        "suspended": lambda r, v: r.instance.suspended.is_(True),
        "tenant_id_in": lambda r, v: r.tenant_id.in_(v),
        "without_tenant_id": lambda r, v: r.tenant_id.is_(None),
        "process_definition_without_tenant_id": lambda r, v: r.tenant_id.is_(None),
        "activity_id_in": _waiting_in,
        **{
            field: _incident_of(field)
            for field in (
                "with_incident",
                "incident_id",
                "incident_type",
                "incident_message",
                "incident_message_like",
            )
        },
    }
)


def _conditions(criteria: ProcessInstanceCriteria, rows: _Rows) -> list[ColumnElement[bool]]:
    found = list(_CONDITIONS.conditions(criteria, rows))
    found.extend(_variable(rows, condition) for condition in criteria.variables)
    return found


def matching_instances(
    criteria: ProcessInstanceCriteria, orderings: Sequence[tuple[str, bool]] = ()
) -> Select[Any]:
    """Instances matching ``criteria`` in the order asked for (ties in creation order)."""
    rows = _Rows(
        aliased(Scope), aliased(ProcessInstance), aliased(ProcessDefinition), aliased(Deployment)
    )
    statement: Select[Any] = (
        select(
            rows.scope.pk,
            rows.scope.external_id,
            rows.instance.business_key,
            rows.definition_key.label("definition_key"),
            rows.definition.id.label("definition_id"),
            rows.tenant_id.label("tenant_id"),
            rows.instance.suspended,
        )
        .select_from(rows.instance)
        .join(rows.scope, rows.scope.pk == rows.instance.scope_pk)
        .outerjoin(ProcessRun, ProcessRun.scope_pk == rows.instance.scope_pk)
        .outerjoin(rows.definition, rows.definition.pk == ProcessRun.process_definition_pk)
        .outerjoin(rows.deployment, rows.deployment.pk == rows.definition.deployment_pk)
        .where(*_conditions(criteria, rows))
    )
    statement = where_any(statement, (_conditions(nested, rows) for nested in criteria.or_queries))
    sort_columns = {
        "instanceId": rows.scope.external_id,
        "definitionKey": rows.definition_key,
        "definitionId": rows.definition.id,
        "tenantId": rows.tenant_id,
        "businessKey": rows.instance.business_key,
    }
    keys = [(sort_columns[sort_by], descending) for sort_by, descending in orderings]
    return ordered(statement, keys, rows.scope.pk)


def counted(criteria: ProcessInstanceCriteria) -> Select[Any]:
    matching = matching_instances(criteria).order_by(None).subquery()
    return select(func.count()).select_from(matching)


def instance_page(
    criteria: ProcessInstanceCriteria,
    orderings: Sequence[tuple[str, bool]],
    first_result: int,
    max_results: int | None,
) -> Bound:
    """A page of :func:`matching_instances`, its statement built once per shape."""

    def take_apart(parameters: Parameters) -> tuple[Shape, _Page]:
        criteria_shape, template = parameters.criteria(criteria)
        paging = parameters.paging(first_result, max_results)
        return (criteria_shape, tuple(orderings), paging.shape), _Page(template, orderings, paging)

    return PAGE_STATEMENTS.bound(take_apart)


def instance_count(criteria: ProcessInstanceCriteria) -> Bound:
    """:func:`counted`, its statement built once per shape."""
    return COUNT_STATEMENTS.bound(lambda parameters: parameters.criteria(criteria))


@dataclass(frozen=True)
class _Page:
    """A page of the query with parameters for its values; sortings are all shape."""

    criteria: ProcessInstanceCriteria
    orderings: Sequence[tuple[str, bool]]
    paging: Paging

    def statement(self) -> Select[Any]:
        return self.paging.applied(matching_instances(self.criteria, self.orderings))


PAGE_STATEMENTS: StatementCache[_Page] = StatementCache(_Page.statement)
COUNT_STATEMENTS: StatementCache[ProcessInstanceCriteria] = StatementCache(counted)


def record(row: Any) -> ProcessInstanceRecord:
    return ProcessInstanceRecord(
        id=row.external_id,
        business_key=row.business_key,
        process_definition_key=row.definition_key,
        process_definition_id=row.definition_id,
        tenant_id=row.tenant_id,
        suspended=bool(row.suspended),
        pk=row.pk,
    )
