"""The behaviour of a token waiting at a catch event (an intermediate timer, message or
signal catch event, a receive task): entered, it arms its event, a ``job`` row for a
timer (Camunda's ``TimerDeclarationImpl.createTimerInstance``, handler type
``timer-intermediate-transition``) or an ``event_subscription`` row for a message or a
signal (``EventSubscriptionDeclaration.createSubscriptionForExecution``); left (fired, or
cancelled with its scope), the rows go. Each row's ``wait_key`` is the token's task id,
which :func:`.events.fire_wait` fires.

Expressions in a timer's definition or an event's name are evaluated when the event is
armed, in the token's execution."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from taskvars.engine import conditional_events, timer_definitions
from taskvars.engine.catch_events import CatchEventModel, WaitKind
from taskvars.engine.executions import Token
from taskvars.engine.expression_context import execution_view
from taskvars.engine.expressions import ExpressionError, as_text, compile_expression
from taskvars.engine.timer_definitions import DueTimer, TimerDefinitionError, TimerKind
from taskvars.errors import ModelRunError
from taskvars.persistence.event_subscriptions import NewSubscription
from taskvars.persistence.jobs import NewJob
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.incidents import FAILED_JOB, delete_incidents
from taskvars.services.task_defaults import new_id

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext

INTERMEDIATE_TIMER_HANDLER = "timer-intermediate-transition"


class CatchWaitBehaviour:
    def enter(self, step: StepContext, token: Token) -> None:
        model = step.catch_events.get(token.element_id or "")
        if model is None:
            raise ModelRunError(f"{token.element_id} is not a catch event this server runs")
        arm(step, model, token.task_id, token.execution_id, INTERMEDIATE_TIMER_HANDLER)

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        disarm(step, token.task_id)

    def move(self, step: StepContext, token: Token) -> None:
        """The rows follow their token into another execution (a compacted one)."""
        execution_pk = step.reader.pk(token.execution_id)
        if execution_pk is not None:
            step.uow.store.jobs.move_wait(
                step.instance_pk, token.task_id, execution_pk, token.execution_id
            )
            step.uow.store.event_subscriptions.move_wait(
                step.instance_pk, token.task_id, execution_pk, token.execution_id
            )


def disarm(step: StepContext, wait_key: str) -> None:
    """The rows of the wait ``wait_key`` go, and the ``failedJob`` incident of a job
    that had no retries left goes with its job (Camunda's ``JobEntity.delete``)."""
    store = step.uow.store
    for job in store.jobs.for_wait(step.instance_pk, wait_key):
        if job.retries == 0:
            delete_incidents(step.uow, FAILED_JOB, job.id)
    store.jobs.delete_for_wait(step.instance_pk, wait_key)
    store.event_subscriptions.delete_for_wait(step.instance_pk, wait_key)


def arm(
    step: StepContext,
    model: CatchEventModel,
    wait_key: str,
    execution_id: str,
    timer_handler: str,
) -> None:
    """Arm what ``model`` waits for, fired by ``wait_key``, in ``execution_id``: a timer
    job of ``timer_handler``'s type, or an event subscription. A condition is evaluated
    before the commit, as Camunda evaluates it as the event's scope starts (not for a
    non-interrupting boundary event armed again as it fired: Camunda's stays)."""
    execution_pk = step.reader.pk(execution_id)
    if execution_pk is None:
        raise RuntimeError(f"the execution {execution_id} of a catch event has no row")
    store = step.uow.store
    definition = step.definition
    now = now_millis()
    if model.kind is WaitKind.TIMER:
        timer = _armed_timer(step, execution_id, model, now)
        store.jobs.add(
            NewJob(
                id=new_id(),
                type="timer",
                handler_type=timer_handler,
                handler_configuration=model.element_id,
                create_time=epoch_millis(now),
                due_date=epoch_millis(timer.due),
                execution_pk=execution_pk,
                process_instance_pk=step.instance_pk,
                execution_id=execution_id,
                process_instance_id=step.instance_id,
                process_definition_id=definition.id,
                process_definition_key=definition.key,
                deployment_id=definition.deployment_id,
                activity_id=model.element_id,
                wait_key=wait_key,
                repeat=timer.repeat,
                tenant_id=definition.tenant_id,
            )
        )
        return
    if model.kind is WaitKind.CONDITIONAL:
        # Its instance's variable writes are noted from now on (.conditional_events).
        conditional_events.watch(step.uow, step.instance_pk)
        if not conditional_events.fired_before(step.uow, step.instance_pk, model.element_id):
            conditional_events.note_arrival(step.uow, step.instance_pk, wait_key)
    store.event_subscriptions.add(
        NewSubscription(
            id=new_id(),
            event_type=model.kind.value,
            event_name=None
            if model.kind is WaitKind.CONDITIONAL
            else _evaluated_name(step, execution_id, model),
            activity_id=model.element_id,
            created=epoch_millis(now),
            execution_pk=execution_pk,
            process_instance_pk=step.instance_pk,
            execution_id=execution_id,
            process_instance_id=step.instance_id,
            process_definition_id=definition.id,
            wait_key=wait_key,
            tenant_id=definition.tenant_id,
        )
    )


def _evaluate(step: StepContext, execution_id: str, model: CatchEventModel, source: str) -> Any:
    try:
        expression = compile_expression(source)
        if expression.is_literal:
            return source
        execution = execution_view(step, execution_id, model.element_id)
        return expression.evaluate(execution.read, execution=execution)
    except ExpressionError as error:
        raise ModelRunError(f"{model.element_id}: {error}") from None


def _evaluated_name(step: StepContext, execution_id: str, model: CatchEventModel) -> str | None:
    if model.event_name is None:
        return None
    return as_text(_evaluate(step, execution_id, model, model.event_name))


def _armed_timer(
    step: StepContext, execution_id: str, model: CatchEventModel, now: datetime
) -> DueTimer:
    kind = model.timer_kind or TimerKind.DURATION
    value = _evaluate(step, execution_id, model, model.timer_text or "")
    if isinstance(value, datetime):  # an expression may give the date itself
        return DueTimer(value if value.tzinfo else value.replace(tzinfo=UTC), None)
    try:
        return timer_definitions.arm(kind, as_text(value) or "", now)
    except TimerDefinitionError as error:
        raise ModelRunError(f"{model.element_id}: {error}") from None
