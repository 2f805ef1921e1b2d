"""What a step of a run leaves behind, in plain values: the task tree of each workflow
(the process, and each running sub-process), as the adapter reads it from SpiffWorkflow.

The execution mapping (:mod:`.executions`) works on these values only, so it can be
tested on hand-made trees and never depends on SpiffWorkflow's classes.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from taskvars.engine.loops import LoopCounters

# In an ancestry (a task's id, then its ancestors'), the step out of a sub-process's
# workflow into the enclosing one: what follows is read in the sub-process's scope.
SCOPE_MARK = "scope:"


class NodeKind(enum.StrEnum):
    """A BPMN element's kind, named as Camunda's ``activityType`` names it; ``INTERNAL``
    for SpiffWorkflow's own bookkeeping tasks (its root, start and end joins)."""

    START_EVENT = "startEvent"
    END_EVENT = "noneEndEvent"
    USER_TASK = "userTask"
    EXCLUSIVE_GATEWAY = "exclusiveGateway"
    PARALLEL_GATEWAY = "parallelGateway"
    INCLUSIVE_GATEWAY = "inclusiveGateway"
    SUB_PROCESS = "subProcess"
    # External tasks (camunda:type="external"), by the element that declares one.
    SERVICE_TASK = "serviceTask"
    SEND_TASK = "sendTask"
    BUSINESS_RULE_TASK = "businessRuleTask"
    # Message throw and end events run as a service task (taskvars.engine.message_throws).
    INTERMEDIATE_MESSAGE_THROW_EVENT = "intermediateMessageThrowEvent"
    MESSAGE_END_EVENT = "messageEndEvent"
    # Code, run by a stand-in (taskvars.engine.stand_in_runs), like the three above.
    SCRIPT_TASK = "scriptTask"
    BOUNDARY_ERROR = "boundaryError"
    # Errors and escalations thrown by events (taskvars.engine.adapter._ThrownByTheRun).
    BOUNDARY_ESCALATION = "boundaryEscalation"
    ERROR_END_EVENT = "errorEndEvent"
    ESCALATION_END_EVENT = "escalationEndEvent"
    INTERMEDIATE_ESCALATION_THROW_EVENT = "intermediateEscalationThrowEvent"
    # The start events of event sub-processes (taskvars.engine.code_events).
    ERROR_START_EVENT = "errorStartEvent"
    ESCALATION_START_EVENT = "escalationStartEvent"
    # Passed through at once, as Camunda does (ActivityTypes names).
    TASK = "task"
    MANUAL_TASK = "manualTask"
    INTERMEDIATE_NONE_THROW_EVENT = "intermediateNoneThrowEvent"
    # Ends every token of its scope (the process, or the sub-process it is in).
    TERMINATE_END_EVENT = "terminateEndEvent"
    # The body around a multi-instance activity (Camunda's ActivityTypes.MULTI_INSTANCE_BODY).
    MULTI_INSTANCE_BODY = "multiInstanceBody"
    # Waits while the process it calls runs as an instance of its own.
    CALL_ACTIVITY = "callActivity"
    # Wait until the runtime fires them (taskvars.engine.events).
    INTERMEDIATE_TIMER = "intermediateTimer"
    INTERMEDIATE_MESSAGE_CATCH = "intermediateMessageCatch"
    INTERMEDIATE_SIGNAL_CATCH = "intermediateSignalCatch"
    RECEIVE_TASK = "receiveTask"
    INTERMEDIATE_CONDITIONAL = "intermediateConditional"
    # Start events a run starts at when their event comes (taskvars.engine.start_events).
    START_TIMER_EVENT = "startTimerEvent"
    MESSAGE_START_EVENT = "messageStartEvent"
    SIGNAL_START_EVENT = "signalStartEvent"
    # An event sub-process's only (taskvars.engine.event_subprocess_waits).
    CONDITIONAL_START_EVENT = "conditionalStartEvent"
    # Pass through, broadcasting a signal (taskvars.engine.signals).
    INTERMEDIATE_SIGNAL_THROW = "intermediateSignalThrow"
    SIGNAL_END_EVENT = "signalEndEvent"
    # Waits while the events its flows lead to are armed (taskvars.engine.event_waits).
    EVENT_BASED_GATEWAY = "eventBasedGateway"
    # Armed while the activity they are attached to waits (taskvars.engine.event_waits).
    BOUNDARY_TIMER = "boundaryTimer"
    BOUNDARY_MESSAGE = "boundaryMessage"
    BOUNDARY_SIGNAL = "boundarySignal"
    BOUNDARY_CONDITIONAL = "boundaryConditional"
    # A token held by an asynchronous continuation, before or after its element (Camunda's
    # transition instance): a job runs it on. No activity instance of its own.
    ASYNC_BEFORE = "asyncBefore"
    ASYNC_AFTER = "asyncAfter"
    INTERNAL = "internal"


ASYNC_KINDS = frozenset({NodeKind.ASYNC_BEFORE, NodeKind.ASYNC_AFTER})

EXTERNAL_TASK_KINDS = frozenset(
    {
        NodeKind.SERVICE_TASK,
        NodeKind.SEND_TASK,
        NodeKind.BUSINESS_RULE_TASK,
        NodeKind.INTERMEDIATE_MESSAGE_THROW_EVENT,
        NodeKind.MESSAGE_END_EVENT,
    }
)


CATCH_KINDS = frozenset(
    {
        NodeKind.INTERMEDIATE_TIMER,
        NodeKind.INTERMEDIATE_MESSAGE_CATCH,
        NodeKind.INTERMEDIATE_SIGNAL_CATCH,
        NodeKind.RECEIVE_TASK,
        NodeKind.INTERMEDIATE_CONDITIONAL,
    }
)


# Timer, message and signal boundary events by their definition's kind.
BOUNDARY_KINDS = {
    "timer": NodeKind.BOUNDARY_TIMER,
    "message": NodeKind.BOUNDARY_MESSAGE,
    "signal": NodeKind.BOUNDARY_SIGNAL,
    "conditional": NodeKind.BOUNDARY_CONDITIONAL,
}
START_KINDS = {
    "timer": NodeKind.START_TIMER_EVENT,
    "message": NodeKind.MESSAGE_START_EVENT,
    "signal": NodeKind.SIGNAL_START_EVENT,
    "conditional": NodeKind.CONDITIONAL_START_EVENT,
}
# Boundary events: armed (AHEAD) while their activity waits, holding no token of their own.
BOUNDARY_EVENT_KINDS = frozenset({NodeKind.BOUNDARY_ERROR, *BOUNDARY_KINDS.values()})


class NodeState(enum.StrEnum):
    """Where a task stands: ``LIVE`` holds a token (a user task waiting, a sub-process
    running); ``ARRIVED`` is a token waiting at a join for the others; ``DONE`` and
    ``CANCELLED`` are finished; ``AHEAD`` is a task not reached yet."""

    LIVE = "live"
    ARRIVED = "arrived"
    DONE = "done"
    CANCELLED = "cancelled"
    AHEAD = "ahead"


@dataclass(frozen=True)
class TaskNode:
    """One task of a workflow's tree.

    ``children`` lists only the paths taken (or certain to be), in the model's order of
    outgoing flows; ``merged`` is set on a join that fired for more than one token.
    A multi-instance body has its counters (``loop``); its instances, the nodes below it
    with a ``loop_counter``, are not among its ``children``."""

    id: str
    parent_id: str | None
    element_id: str | None
    name: str | None
    kind: NodeKind
    state: NodeState
    children: tuple[str, ...] = ()
    merged: bool = False
    loop: LoopCounters | None = None
    loop_counter: int | None = None
    # Of a token a continuation holds (kind ASYNC_*): the element's own kind.
    element_kind: NodeKind | None = None

    @property
    def is_activity(self) -> bool:
        """A BPMN element (Camunda records an activity instance for it)."""
        return self.kind is not NodeKind.INTERNAL and self.kind not in ASYNC_KINDS


@dataclass(frozen=True)
class WorkflowTree:
    """The tasks of one workflow: the process itself (``scope_task_id`` ``None``) or a
    sub-process, whose task in the enclosing workflow is ``scope_task_id``. ``tasks``
    keeps the tree's order (parents before children)."""

    scope_task_id: str | None
    tasks: Mapping[str, TaskNode]

    def live(self) -> list[TaskNode]:
        return [node for node in self.tasks.values() if node.state is NodeState.LIVE]


@dataclass(frozen=True)
class RunSnapshot:
    """Every running workflow of one process instance after a step, by the id of its
    sub-process task (``None``: the process), and whether the run has ended."""

    workflows: Mapping[str | None, WorkflowTree]
    finished: bool

    def node(self, task_id: str) -> TaskNode | None:
        for tree in self.workflows.values():
            found = tree.tasks.get(task_id)
            if found is not None:
                return found
        return None
