"""The ``execution`` and ``task`` objects an expression sees during a step, built from
what the step knows (the instance, its definition, the executions' rows); the business
key and the variables are read only when the expression asks for them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from taskvars.engine.expression_methods import ExecutionView, TaskView
from taskvars.engine.variable_reader import reader_of, visible_values
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef, TaskRecord

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext


def execution_view(
    step: StepContext,
    execution_id: str,
    activity_id: str | None,
    chain: list[ScopeRef] | None = None,
) -> ExecutionView:
    """``execution`` for an expression evaluated in ``execution_id`` at ``activity_id``
    (a condition at its gateway, a task's attributes at the task); ``chain``: its scopes,
    nearest first, when it is an activity's own execution made in this step (the
    step's reader knows only the executions of the mapping)."""
    reader = step.reader
    read = reader.one(execution_id) if chain is None else reader_of(step.uow, chain)

    def read_local(name: str) -> Any:
        scopes = (reader.chain(execution_id) if chain is None else chain)[:1]
        return visible_values(step.uow, scopes, frozenset({name}))[name]

    def business_key() -> str | None:
        return step.uow.store.process_instances.business_key(step.instance_pk)

    return ExecutionView(
        id=execution_id,
        process_instance_id=step.instance_id,
        process_definition_id=step.definition.id,
        activity_id=activity_id,
        tenant_id=step.definition.tenant_id,
        business_key=business_key,
        read=read,
        read_local=read_local,
    )


def new_task_view(
    task_id: str, execution: ExecutionView, attributes: Mapping[str, Any]
) -> TaskView:
    """``task`` for a task being created (its form key): the attributes evaluated so far
    (store columns), no local variables yet."""

    def no_local(name: str) -> Any:
        raise KeyError(name)

    return TaskView(
        properties={
            "id": task_id,
            "name": attributes.get("name"),
            "description": attributes.get("description"),
            "assignee": attributes.get("assignee"),
            "owner": attributes.get("owner"),
            "priority": attributes.get("priority"),
            "dueDate": attributes.get("due"),
            "followUpDate": attributes.get("follow_up"),
            "createTime": attributes.get("created"),
            "taskDefinitionKey": attributes.get("task_definition_key"),
            "processInstanceId": execution.process_instance_id,
            "processDefinitionId": execution.process_definition_id,
            "executionId": execution.id,
            "tenantId": execution.tenant_id,
        },
        read=execution.read,
        read_local=no_local,
        execution=execution,
    )


def stored_task_view(uow: UnitOfWork, task: TaskRecord) -> TaskView:
    """``task`` (and through it ``execution``) for an expression evaluated in a stored
    task's scope, as Camunda's form handlers evaluate the task's form key."""
    chain = uow.store.scopes.chain(IdSpace.TASK, task.id)
    above = chain[1:]  # the task's execution and its ancestors
    instance = next((s for s in above if s.kind == ScopeKind.PROCESS_INSTANCE), None)
    execution = ExecutionView(
        id=task.execution_id or "",
        process_instance_id=task.process_instance_id or "",
        process_definition_id=task.process_definition_id,
        activity_id=task.task_definition_key,
        tenant_id=task.tenant_id,
        business_key=lambda: (
            None if instance is None else uow.store.process_instances.business_key(instance.pk)
        ),
        read=reader_of(uow, above),
        read_local=reader_of(uow, above[:1]),
    )
    return TaskView(
        properties={
            "id": task.id,
            "name": task.name,
            "description": task.description,
            "assignee": task.assignee,
            "owner": task.owner,
            "priority": task.priority,
            "dueDate": task.due,
            "followUpDate": task.follow_up,
            "createTime": task.created,
            "taskDefinitionKey": task.task_definition_key,
            "processInstanceId": task.process_instance_id,
            "processDefinitionId": task.process_definition_id,
            "executionId": task.execution_id,
            "tenantId": task.tenant_id,
        },
        read=reader_of(uow, chain),
        read_local=reader_of(uow, chain[:1]),
        execution=execution,
    )
