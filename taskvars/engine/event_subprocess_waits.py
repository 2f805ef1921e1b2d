"""Timer, message and signal start events of event sub-processes, armed while their
scope runs (Camunda's ``BpmnParse.parseEventSubprocess``: the start event's
``TimerDeclarationImpl``, handler type ``timer-start-event-subprocess``, or its
``EventSubscriptionDeclaration`` is made on the scope's execution as the scope starts,
and removed as it ends or an interrupting event sub-process interrupts it).

After each step the starts the run's scopes could fire (:meth:`.WorkflowRun.
event_subprocess_starts`) are compared with the rows armed before; new ones are armed,
gone ones removed. A row's ``wait_key`` is :func:`wait_key`'s, naming the scope and the
start event; :func:`.events.fire_wait` given it starts the event sub-process
(:func:`fire_key`). A non-interrupting one stays armed after it fires (a timer cycle's
job moves on); a non-interrupting timer without a repetition left is ``spent``: not
armed again in that scope (Camunda deletes the job that ran and makes no other)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN
from taskvars.engine.catch_events import CatchEventModel, conditional_model
from taskvars.engine.catch_waits import arm, disarm
from taskvars.engine.executions import ExecutionState
from taskvars.engine.start_events import _start_model

if TYPE_CHECKING:
    from taskvars.engine.behaviours import StepContext

# Camunda's ActivityTypes.START_EVENT_CONDITIONAL.
CONDITIONAL_START = "conditionalStartEvent"
# Camunda's TimerStartEventSubprocessJobHandler.TYPE.
EVENT_SUBPROCESS_TIMER_HANDLER = "timer-start-event-subprocess"
# A wait key is "esp:<scope>:<start event id>"; the scope is the running sub-process's
# task id (a UUID) or PROCESS_SCOPE for the process itself. Unique within a run, and no
# SpiffWorkflow task id (those are UUIDs), so fire_wait tells them apart.
_PREFIX = "esp:"
PROCESS_SCOPE = "process"


def wait_key(scope_id: str | None, start_event_id: str) -> str:
    return f"{_PREFIX}{scope_id or PROCESS_SCOPE}:{start_event_id}"


def fire_key(key: str) -> tuple[str | None, str] | None:
    """The scope (``None``: the process) and start event a wait key names; ``None`` for
    a key that is no event sub-process start's."""
    if not key.startswith(_PREFIX):
        return None
    scope, _, start_event_id = key.removeprefix(_PREFIX).partition(":")
    if not start_event_id:
        return None
    return (None if scope == PROCESS_SCOPE else scope), start_event_id


def event_subprocess_start_models(root: etree._Element) -> dict[str, CatchEventModel]:
    """By element id: the timer, message and signal start events of the event
    sub-processes in ``root``, interrupting or not (``isInterrupting``)."""
    names = {
        str(element.get("id")): element.get("name") or str(element.get("id"))
        for tag in ("message", "signal")
        for element in root.iterchildren(f"{{{BPMN}}}{tag}")
    }
    found: dict[str, CatchEventModel] = {}
    for subprocess in root.iter(f"{{{BPMN}}}subProcess"):
        if subprocess.get("triggeredByEvent") != "true":
            continue
        for event in subprocess.iterchildren(f"{{{BPMN}}}startEvent"):
            model = _start_model(event, names) or _conditional_start(event)
            if model is not None:
                interrupting = event.get("isInterrupting", "true").lower() != "false"
                found[model.element_id] = CatchEventModel(
                    model.element_id,
                    model.kind,
                    model.activity_type,
                    event_name=model.event_name,
                    timer_kind=model.timer_kind,
                    timer_text=model.timer_text,
                    interrupting=interrupting,
                    condition=model.condition,
                    variable_name=model.variable_name,
                    variable_events=model.variable_events,
                )
    return found


def _conditional_start(event: etree._Element) -> CatchEventModel | None:
    """A conditional start event (Camunda's
    ``EventSubProcessStartConditionalEventActivityBehavior``)."""
    definition = event.find(f"{{{BPMN}}}conditionalEventDefinition")
    if definition is None:
        return None
    return conditional_model(str(event.get("id")), definition, CONDITIONAL_START)


def sync_event_subprocesses(
    step: StepContext,
    models: Mapping[str, CatchEventModel],
    starts: Sequence[tuple[str | None, str]],
    state: ExecutionState,
    spent: set[str],
) -> None:
    """Arm the starts of ``starts`` (scope, start event id) in their scope's execution,
    remove the rows of those no longer there; ``spent`` keys stay unarmed."""
    store = step.uow.store
    wanted: dict[str, tuple[CatchEventModel, str]] = {}
    for scope_id, start_event_id in starts:
        model = models.get(start_event_id)
        execution_id = state.instance_id if scope_id is None else state.scopes.get(scope_id)
        key = wait_key(scope_id, start_event_id)
        if model is not None and execution_id is not None and key not in spent:
            wanted[key] = (model, execution_id)
    armed = {
        job.wait_key
        for job in store.jobs.due_for_instance(step.instance_pk)
        if job.wait_key and job.wait_key.startswith(_PREFIX)
    } | {
        subscription.wait_key
        for subscription in store.event_subscriptions.for_instance(step.instance_pk)
        if subscription.wait_key and subscription.wait_key.startswith(_PREFIX)
    }
    for key in armed - wanted.keys():
        disarm(step, key)  # a failed timer's incident with its job
    for key, (model, execution_id) in wanted.items():
        if key not in armed:
            arm(step, model, key, execution_id, EVENT_SUBPROCESS_TIMER_HANDLER)
