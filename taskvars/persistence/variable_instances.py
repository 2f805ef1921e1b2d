"""Variables looked up across scopes by what Camunda's variable-instance query asks:
names, the process instances, executions and tasks they belong to, and their ids."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import NamedFromClause

from taskvars.persistence.models import (
    BinaryContent,
    ProcessDefinition,
    ProcessRun,
    Scope,
    ScopeKind,
    Variable,
)
from taskvars.persistence.query_statements import ConditionTable, like, ordered, paged
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
        keys = [
            (_VARIABLE.c[SORT_COLUMNS[sort_by]], descending)
            for sort_by, descending in orderings
            if sort_by in SORT_COLUMNS
        ]
        statement = ordered(_matching(criteria), keys, _VARIABLE.c.pk)
        rows = self.session.connection().execute(paged(statement, first_result, max_results))
        return [_instance(row) for row in rows]

    def count(self, criteria: VariableInstanceFilter) -> int:
        matching = _matching(criteria).subquery()
        return self.session.scalar(select(func.count()).select_from(matching)) or 0


def _matching(criteria: VariableInstanceFilter) -> Select[*tuple[Any, ...]]:
    scope, parent, root = (_SCOPE.alias(name) for name in ("s", "p", "r"))
    statement = select(
        *_VARIABLE.c,
        _CONTENT.c.size,
        _CONTENT.c.digest,
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
    rows = _Rows(scope, parent, root)
    statement = statement.where(*_CONDITIONS.conditions(criteria, rows))
    return statement.where(*(variable_matches(_VARIABLE.c, value) for value in criteria.values))


@dataclass(frozen=True)
class _Rows:
    """The variable's scope, that scope's parent and its process instance."""

    scope: NamedFromClause
    parent: NamedFromClause
    root: NamedFromClause

    @property
    def is_task(self) -> ColumnElement[bool]:
        is_task: ColumnElement[bool] = self.scope.c.kind == ScopeKind.TASK
        return is_task

    def in_process_instances(self, ids: list[str]) -> ColumnElement[bool]:
        is_instance = self.scope.c.kind == ScopeKind.PROCESS_INSTANCE
        return (is_instance & self.scope.c.external_id.in_(ids)) | (
            ~is_instance & self.root.c.external_id.in_(ids)
        )

    def in_executions(self, ids: list[str]) -> ColumnElement[bool]:
        on_execution = self.scope.c.kind.in_(_EXECUTIONS)
        task_on_execution = self.is_task & self.parent.c.kind.in_(_EXECUTIONS)
        return (on_execution & self.scope.c.external_id.in_(ids)) | (
            task_on_execution & self.parent.c.external_id.in_(ids)
        )


_CONDITIONS: ConditionTable[_Rows] = ConditionTable(
    {
        "id": lambda r, v: _VARIABLE.c.id == v,
        "variable_name": lambda r, v: _VARIABLE.c.name == v,
        "variable_name_like": lambda r, v: like(_VARIABLE.c.name, v),
        "process_instance_id_in": lambda r, v: r.in_process_instances(v),
        "execution_id_in": lambda r, v: r.in_executions(v),
        "task_id_in": lambda r, v: r.is_task & r.scope.c.external_id.in_(v),
        "variable_scope_id_in": lambda r, v: r.scope.c.external_id.in_(v),
    }
)


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
