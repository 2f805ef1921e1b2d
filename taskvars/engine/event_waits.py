"""Events armed beside a token rather than as one: the timer, message and signal
boundary events of a waiting activity, and the catch events an event-based gateway's
flows lead to while the token waits at the gateway. After each step, those the run waits
for are compared with the rows armed before (``job``, ``event_subscription`` rows whose
``wait_key`` is such an event's task); new ones are armed, gone ones removed, in the
step's transaction (Camunda creates them as the activity's scope starts, or the gateway
is entered, and removes them with it: ``BpmnParse.parseBoundaryEvents``,
``EventBasedGatewayActivityBehavior``, ``EventSubscriptionDeclaration``).

:func:`attached_waits` is the pure half; :func:`sync_attached` writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from taskvars.engine.catch_events import CatchEventModel
from taskvars.engine.catch_waits import INTERMEDIATE_TIMER_HANDLER, arm, disarm
from taskvars.engine.executions import Token
from taskvars.engine.tree import (
    ASYNC_KINDS,
    BOUNDARY_KINDS,
    CATCH_KINDS,
    NodeKind,
    NodeState,
    RunSnapshot,
)

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext

# Camunda's TimerExecuteNestedActivityJobHandler type: a boundary event's timer.
BOUNDARY_TIMER_HANDLER = "timer-transition"
_BOUNDARY_KINDS = frozenset(BOUNDARY_KINDS.values())


class EventGatewayBehaviour:
    """The token at an event-based gateway has no row of its own: its branches' events
    are armed beside it (:func:`sync_attached`)."""

    def enter(self, step: StepContext, token: Token) -> None:
        return None

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        return None

    def move(self, step: StepContext, token: Token) -> None:
        return None


def attached_waits(
    snapshot: RunSnapshot, tokens: Mapping[str, Token]
) -> dict[str, tuple[str, str]]:
    """By wait key (the event's task id): its element id and the execution of the token
    it is armed beside, for every armed boundary event of a waiting activity and every
    branch of an event-based gateway a token waits at."""
    wanted: dict[str, tuple[str, str]] = {}
    for tree in snapshot.workflows.values():
        for node in tree.tasks.values():
            if node.state is not NodeState.AHEAD or node.element_id is None:
                continue
            beside = tokens.get(node.parent_id or "")
            # A token a continuation holds: its activity has not begun (asyncBefore) or
            # has ended (asyncAfter), and has no boundary events armed.
            if beside is None or beside.kind in ASYNC_KINDS:
                continue
            gateway = beside.kind is NodeKind.EVENT_BASED_GATEWAY
            if node.kind in _BOUNDARY_KINDS or (gateway and node.kind in CATCH_KINDS):
                wanted[node.id] = (node.element_id, beside.execution_id)
    return wanted


def move_attached(step: StepContext, snapshot: RunSnapshot, tokens: Mapping[str, Token]) -> None:
    """Before the step's ended executions go (their rows would go with them): the armed
    events of a token that moved into an execution already there (a compaction into its
    scope's) move with it, their jobs unchanged."""
    if step.armed_beside and not snapshot.finished:
        _move(step, _armed(step, tokens), attached_waits(snapshot, tokens))


def sync_attached(step: StepContext, snapshot: RunSnapshot, tokens: Mapping[str, Token]) -> None:
    """Arm the events the run now waits for beside its tokens and remove those it no
    longer does; the others follow their token's execution."""
    if not step.armed_beside:
        return
    armed = _armed(step, tokens)
    wanted = attached_waits(snapshot, tokens) if not snapshot.finished else {}
    for wait_key in armed.keys() - wanted.keys():
        disarm(step, wait_key)
    for wait_key, (element_id, execution_id) in wanted.items():
        if wait_key not in armed:
            model: CatchEventModel = step.catch_events[element_id]
            boundary = model.activity_type.startswith("boundary")
            handler = BOUNDARY_TIMER_HANDLER if boundary else INTERMEDIATE_TIMER_HANDLER
            arm(step, model, wait_key, execution_id, handler)
    _move(step, armed, wanted)


def _armed(step: StepContext, tokens: Mapping[str, Token]) -> dict[str, str | None]:
    """The execution each armed wait beside a token is in, by wait key (the rows of
    waits that are tokens themselves are their behaviours')."""
    store = step.uow.store
    events = step.catch_events
    armed: dict[str, str | None] = {}
    for job in store.jobs.due_for_instance(step.instance_pk):
        if job.activity_id in events and job.wait_key and job.wait_key not in tokens:
            armed[job.wait_key] = job.execution_id
    for subscription in store.event_subscriptions.for_instance(step.instance_pk):
        key = subscription.wait_key
        if subscription.activity_id in events and key and key not in tokens:
            armed[key] = subscription.execution_id
    return armed


def _move(
    step: StepContext, armed: Mapping[str, str | None], wanted: Mapping[str, tuple[str, str]]
) -> None:
    """Rows whose token is in another execution now follow it (a fork beside it made it
    concurrent, a compaction took it back), where that execution has a row."""
    store = step.uow.store
    for wait_key, (_, execution_id) in wanted.items():
        if wait_key not in armed or armed[wait_key] == execution_id:
            continue
        execution_pk = step.reader.pk(execution_id)
        if execution_pk is not None:
            store.jobs.move_wait(step.instance_pk, wait_key, execution_pk, execution_id)
            store.event_subscriptions.move_wait(
                step.instance_pk, wait_key, execution_pk, execution_id
            )
