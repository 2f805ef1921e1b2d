"""Process instances and executions, as far as this server keeps them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from taskvars.persistence.models import (
    IdSpace,
    ProcessDefinition,
    ProcessInstance,
    ProcessRun,
    Scope,
    ScopeKind,
)
from taskvars.persistence.scope_tree import ScopeTree
from taskvars.persistence.values import ExecutionRecord, ProcessInstanceRecord


class ProcessInstances:
    def __init__(self, session: Session, scopes: ScopeTree) -> None:
        self.session = session
        self._scopes = scopes

    def add(
        self, external_id: str, business_key: str | None, process_definition_key: str | None
    ) -> int:
        pk = self._scopes.add(ScopeKind.PROCESS_INSTANCE, external_id, None)
        self.session.add(
            ProcessInstance(
                scope_pk=pk,
                business_key=business_key,
                process_definition_key=process_definition_key,
            )
        )
        return pk

    def add_execution(
        self, external_id: str, parent_pk: int, *, instance_pk: int | None = None
    ) -> int:
        return self._scopes.add(
            ScopeKind.EXECUTION, external_id, parent_pk, instance_pk=instance_pk
        )

    def get(self, external_id: str) -> ProcessInstanceRecord | None:
        row = self.session.execute(
            select(
                ProcessInstance.business_key,
                ProcessInstance.process_definition_key,
                ProcessDefinition.id,
                ProcessDefinition.tenant_id,
            )
            .join(Scope, Scope.pk == ProcessInstance.scope_pk)
            .outerjoin(ProcessRun, ProcessRun.scope_pk == ProcessInstance.scope_pk)
            .outerjoin(ProcessDefinition, ProcessDefinition.pk == ProcessRun.process_definition_pk)
            .where(Scope.id_space == IdSpace.EXECUTION, Scope.external_id == external_id)
        ).first()
        if row is None:
            return None
        business_key, key, definition_id, tenant_id = row
        return ProcessInstanceRecord(
            external_id, business_key, key, definition_id, tenant_id or None
        )

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
