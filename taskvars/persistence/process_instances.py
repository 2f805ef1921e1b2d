"""Process instances and executions, as far as this server keeps them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, aliased

from taskvars.persistence import raw_statements
from taskvars.persistence.models import IdSpace, ProcessInstance, Scope, ScopeKind
from taskvars.persistence.process_instance_query import instance_count, instance_page, record
from taskvars.persistence.scope_tree import ScopeTree
from taskvars.persistence.values import (
    CallerLink,
    ExecutionRecord,
    ProcessInstanceCriteria,
    ProcessInstanceRecord,
    ScopeRef,
)


class ProcessInstances:
    def __init__(self, session: Session, scopes: ScopeTree) -> None:
        self.session = session
        self._scopes = scopes
        # The instances this unit of work added: business key and caller, by scope pk
        # (asked of a new instance as it runs to its first waits).
        self._added: dict[int, tuple[str | None, CallerLink | None]] = {}

    def add(
        self,
        external_id: str,
        business_key: str | None,
        process_definition_key: str | None,
        caller: CallerLink | None = None,
    ) -> int:
        pk = self._scopes.add(ScopeKind.PROCESS_INSTANCE, external_id, None)
        raw_statements.run(
            self.session.connection(),
            _ADD,
            {
                "scope_pk": pk,
                "business_key": business_key,
                "process_definition_key": process_definition_key,
                "suspended": False,
                "super_execution_id": caller.super_execution_id if caller else None,
                "super_process_instance_id": caller.super_process_instance_id if caller else None,
                "root_process_instance_id": caller.root_process_instance_id if caller else None,
            },
        )
        self._added[pk] = (business_key, caller)
        return pk

    def caller(self, scope_pk: int) -> CallerLink | None:
        """The call activity that started the instance, if one did."""
        if scope_pk in self._added and self._scopes.added_here(scope_pk):
            return self._added[scope_pk][1]
        row = self.session.connection().execute(_CALLER, {"scope_pk": scope_pk}).first()
        if row is None or row.super_execution_id is None:
            return None
        return CallerLink(
            row.super_execution_id, row.super_process_instance_id, row.root_process_instance_id
        )

    def root_of(self, scope_pk: int) -> str | None:
        """The instance at the top of the calls that led to this one (None: itself)."""
        return self.session.scalar(
            select(ProcessInstance.root_process_instance_id).where(
                ProcessInstance.scope_pk == scope_pk
            )
        )

    def called_by(self, super_execution_id: str) -> ScopeRef | None:
        """The instance a call activity's execution started, while it runs."""
        row = self.session.execute(
            select(Scope.pk, Scope.external_id)
            .join(ProcessInstance, ProcessInstance.scope_pk == Scope.pk)
            .where(ProcessInstance.super_execution_id == super_execution_id)
        ).first()
        return (
            None if row is None else ScopeRef(row.pk, ScopeKind.PROCESS_INSTANCE, row.external_id)
        )

    def add_execution(
        self, external_id: str, parent_pk: int, *, instance_pk: int | None = None
    ) -> int:
        return self._scopes.add(
            ScopeKind.EXECUTION, external_id, parent_pk, instance_pk=instance_pk
        )

    def business_key(self, scope_pk: int) -> str | None:
        if scope_pk in self._added and self._scopes.added_here(scope_pk):
            return self._added[scope_pk][0]
        return self.session.scalar(
            select(ProcessInstance.business_key).where(ProcessInstance.scope_pk == scope_pk)
        )

    def get(self, external_id: str) -> ProcessInstanceRecord | None:
        found = self.query(ProcessInstanceCriteria(process_instance_ids=[external_id]))
        return found[0] if found else None

    def query(
        self,
        criteria: ProcessInstanceCriteria,
        orderings: Sequence[tuple[str, bool]] = (),
        *,
        first_result: int = 0,
        max_results: int | None = None,
    ) -> list[ProcessInstanceRecord]:
        statement, parameters = instance_page(criteria, orderings, first_result, max_results)
        return [record(row) for row in self.session.execute(statement, parameters)]

    def count(self, criteria: ProcessInstanceCriteria) -> int:
        statement, parameters = instance_count(criteria)
        count: int = self.session.execute(statement, parameters).scalar_one()
        return count

    def lock(self, external_id: str) -> int | None:
        """The instance's scope pk, its row locked until the transaction ends."""
        return self.session.scalar(
            select(ProcessInstance.scope_pk)
            .join(Scope, Scope.pk == ProcessInstance.scope_pk)
            .where(Scope.id_space == IdSpace.EXECUTION, Scope.external_id == external_id)
            .with_for_update(of=ProcessInstance)
        )

    def set_suspended(self, scope_pk: int, suspended: bool) -> None:
        self.session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.scope_pk == scope_pk)
            .values(suspended=suspended)
            .execution_options(synchronize_session=False)
        )

    def task_suspended(self, task_id: str) -> bool:
        """Whether the task belongs to a suspended process instance (a subtask does not,
        as in Camunda), that instance's row held until this transaction ends
        (``FOR SHARE`` on PostgreSQL): a suspension, which locks the row, cannot commit
        between this check and the command it guards."""
        # On the connection: the session's ORM execution path costs more than the query.
        connection = self.session.connection()
        row = raw_statements.run(connection, _TASK_SUSPENDED, {"task_id": task_id}).first()
        return bool(row is not None and row[0])

    def is_suspended(self, scope_pk: int) -> bool:
        """Whether the instance is suspended, its row held as :meth:`task_suspended`
        holds it."""
        suspended = self.session.scalar(
            select(ProcessInstance.suspended)
            .where(ProcessInstance.scope_pk == scope_pk)
            .with_for_update(read=True)
        )
        return bool(suspended)

    def execution(self, external_id: str) -> ExecutionRecord | None:
        """An execution, or a process instance seen as its own root execution."""
        root = aliased(Scope)
        row = self.session.execute(
            select(Scope.pk, root.external_id)
            .outerjoin(root, root.pk == Scope.process_instance_pk)
            .where(Scope.id_space == IdSpace.EXECUTION, Scope.external_id == external_id)
        ).first()
        if row is None:
            return None
        # A process instance has no process instance above it: it is its own.
        return ExecutionRecord(external_id, row.external_id or external_id)


def _task_suspended_statement() -> Select[Any]:
    """Built once: every task command asks it, and building it costs more than running it."""
    task, parent = aliased(Scope), aliased(Scope)
    return (
        select(ProcessInstance.suspended)
        .join(task, task.process_instance_pk == ProcessInstance.scope_pk)
        .join(parent, parent.pk == task.parent_pk)
        .where(
            task.id_space == IdSpace.TASK,
            task.external_id == bindparam("task_id"),
            raw_statements.one_of(parent.kind, [ScopeKind.EXECUTION, ScopeKind.PROCESS_INSTANCE]),
        )
        .with_for_update(read=True, of=ProcessInstance)
    )


_TASK_SUSPENDED = _task_suspended_statement()
_INSTANCES = cast(Table, ProcessInstance.__table__)
# Built once: a step asks them, and building one costs more than running it.
_ADD = insert(_INSTANCES)
_CALLER = select(
    _INSTANCES.c.super_execution_id,
    _INSTANCES.c.super_process_instance_id,
    _INSTANCES.c.root_process_instance_id,
).where(_INSTANCES.c.scope_pk == bindparam("scope_pk"))
