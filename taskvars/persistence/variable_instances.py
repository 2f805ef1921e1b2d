"""Variables looked up across scopes by what Camunda's variable-instance query asks:
names, the process instances, executions and tasks they belong to, and their ids."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.orm import Session

from taskvars.persistence.models import (
    BinaryContent,
    ProcessDefinition,
    ProcessRun,
    Scope,
    ScopeKind,
    Variable,
)
from taskvars.persistence.values import VariableInstance, VariableInstanceFilter
from taskvars.persistence.variable_conditions import variable_matches
from taskvars.persistence.variables import stored_value

_VARIABLE = cast(Table, Variable.__table__)
_CONTENT = cast(Table, BinaryContent.__table__)
_SCOPE = cast(Table, Scope.__table__)
_RUN = cast(Table, ProcessRun.__table__)
_DEFINITION = cast(Table, ProcessDefinition.__table__)
_EXECUTIONS = (ScopeKind.EXECUTION, ScopeKind.PROCESS_INSTANCE)
SORT_COLUMNS = {"variableName": "name", "variableType": "type"}


class VariableInstances:
    def __init__(self, session: Session) -> None:
        self.session = session

    def query(
        self,
        criteria: VariableInstanceFilter,
        orderings: Sequence[tuple[str, bool]] = (),
        *,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[VariableInstance]:
        """Matching variables, in one statement whatever their number; ``orderings`` are
        (sortBy, descending) pairs, ties in creation order. Camunda's sorts by activity
        instance and tenant keep creation order: every variable's are null here."""
        keys = []
        for sort_by, descending in orderings:
            column = SORT_COLUMNS.get(sort_by)
            if column is not None:
                key = _VARIABLE.c[column]
                keys.append(key.desc() if descending else key.asc())
        statement = _matching(criteria).order_by(*keys, _VARIABLE.c.pk)
        rows = self.session.connection().execute(statement.offset(first_result).limit(max_results))
        return [_instance(row) for row in rows]

    def count(self, criteria: VariableInstanceFilter) -> int:
        matching = _matching(criteria).subquery()
        return self.session.scalar(select(func.count()).select_from(matching)) or 0


def _matching(criteria: VariableInstanceFilter) -> Select[*tuple[Any, ...]]:
    scope, parent, root = (_SCOPE.alias(name) for name in ("s", "p", "r"))
    statement = select(
        *_VARIABLE.c,
        _CONTENT.c.size,
        _CONTENT.c.sha256,
        _CONTENT.c.file_name,
        scope.c.kind.label("scope_kind"),
        scope.c.external_id.label("scope_id"),
        parent.c.kind.label("parent_kind"),
        parent.c.external_id.label("parent_id"),
        root.c.external_id.label("root_id"),
        _DEFINITION.c.id.label("definition_id"),
    ).select_from(
        _VARIABLE.join(scope, scope.c.pk == _VARIABLE.c.scope_pk)
        .outerjoin(parent, parent.c.pk == scope.c.parent_pk)
        .outerjoin(root, root.c.pk == scope.c.process_instance_pk)
        .outerjoin(_CONTENT, _CONTENT.c.pk == _VARIABLE.c.content_pk)
        # The run of the instance (the scope itself for a process instance's variables),
        # if a deployed model runs it: its definition.
        .outerjoin(_RUN, _RUN.c.scope_pk == func.coalesce(scope.c.process_instance_pk, scope.c.pk))
        .outerjoin(_DEFINITION, _DEFINITION.c.pk == _RUN.c.process_definition_pk)
    )
    is_task = scope.c.kind == ScopeKind.TASK
    on_execution = scope.c.kind.in_(_EXECUTIONS)
    task_on_execution = is_task & parent.c.kind.in_(_EXECUTIONS)
    conditions: list[ColumnElement[bool]] = []
    if criteria.id is not None:
        conditions.append(_VARIABLE.c.id == criteria.id)
    if criteria.variable_name is not None:
        conditions.append(_VARIABLE.c.name == criteria.variable_name)
    if criteria.variable_name_like is not None:
        conditions.append(_VARIABLE.c.name.like(criteria.variable_name_like))
    if criteria.process_instance_id_in is not None:
        ids = criteria.process_instance_id_in
        conditions.append(
            ((scope.c.kind == ScopeKind.PROCESS_INSTANCE) & scope.c.external_id.in_(ids))
            | ((scope.c.kind != ScopeKind.PROCESS_INSTANCE) & root.c.external_id.in_(ids))
        )
    if criteria.execution_id_in is not None:
        ids = criteria.execution_id_in
        conditions.append(
            (on_execution & scope.c.external_id.in_(ids))
            | (task_on_execution & parent.c.external_id.in_(ids))
        )
    if criteria.task_id_in is not None:
        conditions.append(is_task & scope.c.external_id.in_(criteria.task_id_in))
    if criteria.variable_scope_id_in is not None:
        conditions.append(scope.c.external_id.in_(criteria.variable_scope_id_in))
    conditions.extend(variable_matches(_VARIABLE.c, value) for value in criteria.values)
    return statement.where(*conditions)


def _instance(row: Any) -> VariableInstance:
    """Where a variable lives, as Camunda reports it: a task's variable has the task's
    execution and process instance (none for a standalone task); an execution's, the
    execution and its process instance; a process instance's, itself for both."""
    kind = ScopeKind(row.scope_kind)
    if kind is ScopeKind.TASK:
        on_execution = row.parent_kind is not None and ScopeKind(row.parent_kind) in _EXECUTIONS
        execution_id = row.parent_id if on_execution else None
        process_instance_id = row.root_id if on_execution else None
        return VariableInstance(
            stored_value(row), process_instance_id, execution_id, row.scope_id, row.definition_id
        )
    process_instance_id = row.scope_id if kind is ScopeKind.PROCESS_INSTANCE else row.root_id
    return VariableInstance(
        stored_value(row), process_instance_id, row.scope_id, None, row.definition_id
    )
