"""Events armed beside a token rather than as one: the timer, message and signal
boundary events of a waiting activity. After each step, those the run waits for are
compared with the rows armed before (``job``, ``event_subscription`` rows whose
``wait_key`` is a boundary event's task); new ones are armed, gone ones removed, in the
step's transaction (Camunda creates them as the activity's scope starts and removes them
with it: ``BpmnParse.parseBoundaryEvents``, ``EventSubscriptionDeclaration``).

:func:`attached_waits` is the pure half; :func:`sync_attached` writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from taskvars.engine.catch_events import CatchEventModel
from taskvars.engine.catch_waits import arm
from taskvars.engine.executions import Token
from taskvars.engine.tree import BOUNDARY_KINDS, NodeState, RunSnapshot

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext

# Camunda's TimerExecuteNestedActivityJobHandler type: a boundary event's timer.
BOUNDARY_TIMER_HANDLER = "timer-transition"
_ARMED_KINDS = frozenset(BOUNDARY_KINDS.values())


def attached_waits(
    snapshot: RunSnapshot, tokens: Mapping[str, Token]
) -> dict[str, tuple[str, str]]:
    """By wait key (the boundary event's task id): its element id and the execution of the
    token it is attached to, for every armed boundary event of a waiting activity."""
    wanted: dict[str, tuple[str, str]] = {}
    for tree in snapshot.workflows.values():
        for node in tree.tasks.values():
            if node.kind not in _ARMED_KINDS or node.state is not NodeState.AHEAD:
                continue
            attached = tokens.get(node.parent_id or "")
            if attached is not None and node.element_id is not None:
                wanted[node.id] = (node.element_id, attached.execution_id)
    return wanted


def sync_attached(step: StepContext, snapshot: RunSnapshot, tokens: Mapping[str, Token]) -> None:
    """Arm the boundary events the run now waits for and remove those it no longer does."""
    boundaries = {
        element_id: model
        for element_id, model in step.catch_events.items()
        if model.activity_type.startswith("boundary")
    }
    if not boundaries:
        return
    store = step.uow.store
    # The execution each armed wait's rows are in, by wait key.
    armed: dict[str, str | None] = {}
    for job in store.jobs.due_for_instance(step.instance_pk):
        if job.activity_id in boundaries and job.wait_key is not None:
            armed[job.wait_key] = job.execution_id
    for subscription in store.event_subscriptions.for_instance(step.instance_pk):
        if subscription.activity_id in boundaries and subscription.wait_key is not None:
            armed[subscription.wait_key] = subscription.execution_id
    wanted = attached_waits(snapshot, tokens) if not snapshot.finished else {}
    for wait_key in armed.keys() - wanted.keys():
        store.jobs.delete_for_wait(step.instance_pk, wait_key)
        store.event_subscriptions.delete_for_wait(step.instance_pk, wait_key)
    for wait_key, (element_id, execution_id) in wanted.items():
        if wait_key not in armed:
            model: CatchEventModel = boundaries[element_id]
            arm(step, model, wait_key, execution_id, BOUNDARY_TIMER_HANDLER)
        elif armed[wait_key] != execution_id:
            # The activity's token moved (a fork beside it made it concurrent, a
            # compaction took it back): its events follow.
            execution_pk = step.reader.pk(execution_id)
            if execution_pk is not None:
                store.jobs.move_wait(step.instance_pk, wait_key, execution_pk, execution_id)
                store.event_subscriptions.move_wait(
                    step.instance_pk, wait_key, execution_pk, execution_id
                )
