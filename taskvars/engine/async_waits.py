"""The wait of a token held by an asynchronous continuation (``camunda:asyncBefore`` or
``asyncAfter``): entering it inserts its job, in the step's transaction, as Camunda's
``MessageJobDeclaration`` does when ``PvmAtomicOperationTransitionCreateScope`` (or
``ActivityEnd``) goes asynchronous; leaving it (the job ran, or the instance was deleted)
removes the job. The job's handler is :mod:`.async_continuations`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from taskvars.engine.async_points import (
    ACTIVITY_END,
    HANDLER_TYPE,
    JOB_TYPE,
    PROCESS_START,
    TRANSITION_CREATE_SCOPE,
    TRANSITION_NOTIFY_LISTENER_TAKE,
    AsyncPoint,
)
from taskvars.engine.catch_waits import disarm
from taskvars.engine.executions import Token
from taskvars.engine.tree import NodeKind
from taskvars.persistence.jobs import NewJob
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.task_defaults import new_id

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext


class AsyncContinuationBehaviour:
    def enter(self, step: StepContext, token: Token) -> None:
        point = step.async_points.get(token.element_id or "")
        execution_pk = step.reader.pk(token.execution_id)
        if execution_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a job has no row")
        definition = step.definition
        step.uow.store.jobs.add(
            NewJob(
                id=new_id(),
                type=JOB_TYPE,
                handler_type=HANDLER_TYPE,
                handler_configuration=handler_configuration(token.kind, point),
                create_time=epoch_millis(now_millis()),
                execution_pk=execution_pk,
                process_instance_pk=step.instance_pk,
                execution_id=token.execution_id,
                process_instance_id=step.instance_id,
                process_definition_id=definition.id,
                process_definition_key=definition.key,
                deployment_id=definition.deployment_id,
                activity_id=token.element_id,
                wait_key=token.task_id,
                retry_time_cycle=None if point is None else point.retry_time_cycle,
                priority=0 if point is None else point.priority,
                tenant_id=definition.tenant_id,
            )
        )

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        disarm(step, token.task_id)  # a failed one's incident too (cancelled with its scope)

    def move(self, step: StepContext, token: Token) -> None:
        execution_pk = step.reader.pk(token.execution_id)
        if execution_pk is not None:
            step.uow.store.jobs.move_wait(
                step.instance_pk, token.task_id, execution_pk, token.execution_id
            )


def handler_configuration(kind: NodeKind, point: AsyncPoint | None) -> str:
    """As Camunda's ``AsyncContinuationConfiguration.toCanonicalString`` writes it: the
    atomic operation the job resumes, and for asyncAfter the flow it takes (``$id``).
    An element with several outgoing flows gets one job here, without a flow (Camunda
    makes one per flow taken); one without any ends its scope (``activity-end``)."""
    if kind is NodeKind.ASYNC_BEFORE:
        return (
            PROCESS_START if point is not None and point.process_start else TRANSITION_CREATE_SCOPE
        )
    outgoing = () if point is None else point.outgoing
    if not outgoing:
        return ACTIVITY_END
    if len(outgoing) == 1:
        return f"{TRANSITION_NOTIFY_LISTENER_TAKE}${outgoing[0]}"
    return TRANSITION_NOTIFY_LISTENER_TAKE
