"""Process instances the BPMN engine runs: their engine state and its revision, and the
executions and tasks below them (scopes, kept in step with the state by the service)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, insert, select, true, update
from sqlalchemy.orm import Session, aliased

from taskvars.persistence import raw_statements
from taskvars.persistence.models import (
    ProcessDefinition,
    ProcessInstance,
    ProcessRun,
    Scope,
    ScopeKind,
    Task,
)
from taskvars.persistence.values import CallerLink, ConcurrentModificationError


@dataclass(frozen=True)
class RunRecord:
    scope_pk: int
    definition_id: str
    state: str
    revision: int
    # The call activity that started the instance (never changes once the instance is
    # added), read with the claim so that the instance's end need not ask again;
    # ``caller_read`` False: not read (ask ProcessInstances.caller).
    caller: CallerLink | None = None
    caller_read: bool = False
    # Whether the instance is suspended, read with the claim where that is as safe as
    # asking apart (SQLite: the claimer is the one writer); ``None``: not read.
    suspended: bool | None = None


class ProcessRuns:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, scope_pk: int, definition_id: str, state: str) -> None:
        raw_statements.run(
            self.session.connection(),
            _ADD,
            {"scope_pk": scope_pk, "definition_id": definition_id, "state": state},
        )

    def get(self, scope_pk: int) -> RunRecord | None:
        row = self.session.connection().execute(_GET, {"scope_pk": scope_pk}).first()
        return None if row is None else RunRecord(scope_pk, row.id, row.state, row.revision)

    def claim_current(self, scope_pk: int) -> RunRecord | None:
        """Read the run and hold it until this transaction ends, in one statement: the
        optimistic lock, taken before the step's work so that a request that lost the
        race stops at once (a 409), before reading anything the winner changes; the run
        row is written once, by :meth:`save_state` (or deleted with its instance).
        ``None``: no model runs the instance. On PostgreSQL a second claimer waits here
        (``FOR UPDATE``) for the first to end, then finds the revision it holds is not
        the one in its snapshot (the winner saved a step), or the run gone: a conflict.
        SQLite has one writer at a time: the read is the claim, and it also reads
        whether the instance is suspended (on PostgreSQL that check holds the instance's
        row, in its own statement)."""
        connection = self.session.connection()
        if connection.dialect.name == "sqlite":
            row = raw_statements.run(connection, _CLAIM_READ, {"run_pk": scope_pk}).first()
            if row is None:
                return None
            return replace(_claimed(scope_pk, row), suspended=bool(row.suspended))
        row = raw_statements.run(connection, _CLAIM_HELD, {"run_pk": scope_pk}).first()
        if row is None:
            return None
        if row.revision is None or row.revision != row.seen:
            raise ConcurrentModificationError(
                "the process instance was moved on by another request meanwhile"
            )
        return _claimed(scope_pk, row)

    def save_state(self, scope_pk: int, state: str) -> None:
        """The run's state after a step, claimed already: its one write, taking the
        next revision (a claimer waiting for this transaction then sees it moved on)."""
        raw_statements.run(
            self.session.connection(), _SAVE, {"run_pk": scope_pk, "new_state": state}
        )

    def count_of_definition(self, definition_id: str) -> int:
        """Running process instances of the definition."""
        return int(
            self.session.scalar(
                select(func.count(ProcessRun.scope_pk))
                .join(ProcessDefinition, ProcessDefinition.pk == ProcessRun.process_definition_pk)
                .where(ProcessDefinition.id == definition_id)
            )
            or 0
        )

    def instances_of_deployment(self, deployment_pk: int) -> list[tuple[int, str]]:
        """The running instances of a deployment's definitions: scope pk and id."""
        rows = self.session.execute(
            select(ProcessRun.scope_pk, Scope.external_id)
            .join(Scope, Scope.pk == ProcessRun.scope_pk)
            .join(ProcessDefinition, ProcessDefinition.pk == ProcessRun.process_definition_pk)
            .where(ProcessDefinition.deployment_pk == deployment_pk)
        )
        return [(pk, instance_id) for pk, instance_id in rows]

    def executions(self, process_instance_pk: int) -> dict[str, int]:
        """The executions in the process instance: pk by id."""
        rows = self.session.execute(_EXECUTIONS, {"instance_pk": process_instance_pk})
        return {external_id: pk for external_id, pk in rows}

    def executions_with_parents(self, process_instance_pk: int) -> list[tuple[str, str | None]]:
        """The executions below the process instance and their parents' ids (``None``:
        the process instance), parents first."""
        parent = aliased(Scope)
        rows = self.session.execute(
            select(Scope.external_id, parent.external_id, parent.kind)
            .join(parent, parent.pk == Scope.parent_pk)
            .where(
                Scope.process_instance_pk == process_instance_pk,
                Scope.kind == ScopeKind.EXECUTION,
            )
            .order_by(Scope.pk)
        )
        return [
            (execution_id, None if kind is ScopeKind.PROCESS_INSTANCE else parent_id)
            for execution_id, parent_id, kind in rows
        ]

    def tasks_with_executions(self, process_instance_pk: int) -> list[tuple[str, str, str | None]]:
        """The model's tasks in the process instance: id, execution id, element id."""
        parent = aliased(Scope)
        rows = self.session.execute(
            select(Scope.external_id, parent.external_id, Task.task_definition_key)
            .join(parent, parent.pk == Scope.parent_pk)
            .join(Task, Task.scope_pk == Scope.pk)
            .where(
                Scope.process_instance_pk == process_instance_pk,
                Scope.kind == ScopeKind.TASK,
                parent.kind != ScopeKind.TASK,
            )
        )
        return [(task_id, execution_id, key) for task_id, execution_id, key in rows]


_RUNS = cast(Table, ProcessRun.__table__)
# Built once: each step runs them, and building one costs more than running it.
_GET = (
    select(_RUNS.c.state, _RUNS.c.revision, ProcessDefinition.id)
    .join(ProcessDefinition, ProcessDefinition.pk == _RUNS.c.process_definition_pk)
    .where(_RUNS.c.scope_pk == bindparam("scope_pk"))
)
_ADD = insert(_RUNS).values(
    scope_pk=bindparam("scope_pk"),
    process_definition_pk=select(ProcessDefinition.pk)
    .where(ProcessDefinition.id == bindparam("definition_id"))
    .scalar_subquery(),
    state=bindparam("state"),
    revision=1,
)
_DEFINITION_OF_RUN = (
    select(ProcessDefinition.id)
    .where(ProcessDefinition.pk == _RUNS.c.process_definition_pk)
    .scalar_subquery()
)
_INSTANCES = cast(Table, ProcessInstance.__table__)
_CALLER_COLUMNS = (
    _INSTANCES.c.super_execution_id,
    _INSTANCES.c.super_process_instance_id,
    _INSTANCES.c.root_process_instance_id,
)


def _of_instance(column: Any) -> Any:
    """A column of the claimed run's instance, as a scalar subquery beside the claim's
    own columns: by the run's pk parameter, as SQLite's RETURNING leaves the run's
    column unqualified (``scope_pk = scope_pk`` would name the instance's own)."""
    return (
        select(column)
        .where(_INSTANCES.c.scope_pk == bindparam("run_pk"))
        .scalar_subquery()
        .label(column.name)
    )


def _claimed(scope_pk: int, row: Any) -> RunRecord:
    caller = None
    if row.super_execution_id is not None:
        caller = CallerLink(
            row.super_execution_id, row.super_process_instance_id, row.root_process_instance_id
        )
    return RunRecord(scope_pk, row.id, row.state, row.revision, caller, caller_read=True)


_CLAIM_READ = select(
    _RUNS.c.state,
    _RUNS.c.revision,
    _DEFINITION_OF_RUN.label("id"),
    *map(_of_instance, _CALLER_COLUMNS),
    _of_instance(_INSTANCES.c.suspended),
).where(_RUNS.c.scope_pk == bindparam("run_pk"))


def _claim_held_statement() -> Select[Any]:
    """PostgreSQL: the revision in the statement's snapshot beside the one it holds
    (both CTEs see the same snapshot; ``FOR UPDATE`` waits for a concurrent claimer's
    commit, then returns the row as that left it, or nothing if it was deleted)."""
    seen = (
        select(_RUNS.c.revision.label("seen"))
        .where(_RUNS.c.scope_pk == bindparam("run_pk"))
        .cte("seen")
    )
    held = (
        select(_RUNS.c.state, _RUNS.c.revision, _RUNS.c.process_definition_pk)
        .where(_RUNS.c.scope_pk == bindparam("run_pk"))
        .with_for_update()
        .cte("held")
    )
    definition_id = (
        select(ProcessDefinition.id)
        .where(ProcessDefinition.pk == held.c.process_definition_pk)
        .scalar_subquery()
    )
    return select(
        seen.c.seen,
        held.c.revision,
        held.c.state,
        definition_id.label("id"),
        *map(_of_instance, _CALLER_COLUMNS),
    ).select_from(seen.outerjoin(held, true()))


_CLAIM_HELD = _claim_held_statement()
_SAVE = (
    update(_RUNS)
    .where(_RUNS.c.scope_pk == bindparam("run_pk"))
    .values(state=bindparam("new_state"), revision=_RUNS.c.revision + 1)
)


# Built once: building a statement costs more than running this one.
_EXECUTIONS = select(Scope.external_id, Scope.pk).where(
    Scope.process_instance_pk == bindparam("instance_pk"), Scope.kind == ScopeKind.EXECUTION
)
