"""Asynchronous continuations as a model declares them: ``camunda:asyncBefore`` (and
``camunda:async``, its old name), ``camunda:asyncAfter``, ``camunda:exclusive`` (kept,
changes nothing here) and the element's ``camunda:failedJobRetryTimeCycle``, as
Camunda's ``BpmnParse.parseAsynchronousContinuation`` and
``DefaultFailedJobParseListener`` read them."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA

# Camunda's AsyncContinuationJobHandler: the job's type and handler, and the atomic
# operations (PvmAtomicOperation canonical names) its handler configuration names.
JOB_TYPE = "message"
HANDLER_TYPE = "async-continuation"
TRANSITION_CREATE_SCOPE = "transition-create-scope"
TRANSITION_NOTIFY_LISTENER_TAKE = "transition-notify-listener-take"
ACTIVITY_END = "activity-end"


@dataclass(frozen=True)
class AsyncPoint:
    """One element's asynchronous continuations."""

    element_id: str
    before: bool
    after: bool
    exclusive: bool
    retry_time_cycle: str | None
    # The element's outgoing sequence flows, in the model's order (asyncAfter's job
    # names the flow it takes, AsyncContinuationConfiguration's transitionId).
    outgoing: tuple[str, ...] = ()
    # The process's none start event (asyncBefore resumes PvmAtomicOperation PROCESS_START).
    process_start: bool = False
    # camunda:jobPriority of the element, else of its process, when a number
    # (DefaultJobPriorityProvider; an expression is not evaluated here: 0).
    priority: int = 0


def async_points(root: etree._Element) -> dict[str, AsyncPoint]:
    """By element id, every flow node that declares a continuation."""
    found: dict[str, AsyncPoint] = {}
    for element in root.iter(tag=etree.Element):
        before = _flag(element, "asyncBefore") or _flag(element, "async")
        after = _flag(element, "asyncAfter")
        element_id = element.get("id")
        if not (before or after) or element_id is None:
            continue
        found[element_id] = AsyncPoint(
            element_id,
            before,
            after,
            element.get(f"{{{CAMUNDA}}}exclusive") != "false",
            retry_time_cycle(element),
            tuple(
                (flow.text or "").strip()
                for flow in element.iterchildren(f"{{{BPMN}}}outgoing")
                if (flow.text or "").strip()
            ),
            _is_process_start(element),
            _job_priority(element),
        )
    return found


def _job_priority(element: etree._Element) -> int:
    current: etree._Element | None = element
    while current is not None:
        given = current.get(f"{{{CAMUNDA}}}jobPriority")
        if given is not None:
            try:
                return int(given.strip())
            except ValueError:
                return 0
        if current.tag == f"{{{BPMN}}}process":
            break
        current = current.getparent()
    return 0


def retry_time_cycle(element: etree._Element) -> str | None:
    """The element's ``camunda:failedJobRetryTimeCycle`` (an extension element)."""
    for extensions in element.iterchildren(f"{{{BPMN}}}extensionElements"):
        for cycle in extensions.iterchildren(f"{{{CAMUNDA}}}failedJobRetryTimeCycle"):
            text = (cycle.text or "").strip()
            return text or None
    return None


def _flag(element: etree._Element, name: str) -> bool:
    # BpmnParse.isAsyncBefore: TRUE.equals(...), the exact text "true". An event
    # definition's camunda:async (a signal thrown asynchronously) is no continuation.
    if str(element.tag).endswith("EventDefinition"):
        return False
    return str(element.get(f"{{{CAMUNDA}}}{name}")) == "true"


# Where a token stops for a continuation here (taskvars.engine.adapter._hold_async holds
# the same elements, by their SpiffWorkflow specs); elsewhere it runs on at once.
_TASKS = ("userTask", "serviceTask", "sendTask", "businessRuleTask", "scriptTask", "callActivity")
HELD_BEFORE = frozenset(
    f"{{{BPMN}}}{name}"
    for name in (
        *_TASKS,
        "startEvent",
        "task",
        "manualTask",
        "exclusiveGateway",
        "inclusiveGateway",
        "parallelGateway",
        "intermediateThrowEvent",
        "endEvent",
    )
)
HELD_AFTER = frozenset(
    f"{{{BPMN}}}{name}"
    for name in (*_TASKS, "task", "manualTask", "intermediateThrowEvent", "startEvent")
)
PROCESS_START = "process-start"


def runs_on_at_once(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """The continuations this server does not hold (element, what it says): the token
    runs on in the same step, as if the attribute were not there."""
    found = []
    for element in root.iter(tag=etree.Element):
        before = _flag(element, "asyncBefore") or _flag(element, "async")
        after = _flag(element, "asyncAfter")
        if not (before or after):
            continue
        never = _multi_instance(element) or _an_event_start(element)
        if before and (never or element.tag not in HELD_BEFORE):
            found.append((element, "camunda:asyncBefore is not held here: runs on at once"))
        if after and (never or element.tag not in HELD_AFTER):
            found.append((element, "camunda:asyncAfter is not held here: runs on at once"))
    return found


def _multi_instance(element: etree._Element) -> bool:
    return any(child.tag == f"{{{BPMN}}}multiInstanceLoopCharacteristics" for child in element)


def _an_event_start(element: etree._Element) -> bool:
    """A start event with an event definition, or one of a sub-process."""
    if element.tag != f"{{{BPMN}}}startEvent":
        return False
    parent = element.getparent()
    return (
        any(str(child.tag).endswith("EventDefinition") for child in element)
        or parent is None
        or parent.tag != f"{{{BPMN}}}process"
    )


def _is_process_start(element: etree._Element) -> bool:
    return element.tag == f"{{{BPMN}}}startEvent" and not _an_event_start(element)
