"""Errors and escalations thrown by events, as the model check admits them: error end
events, escalation end and intermediate throw events, error and escalation boundary
events (Camunda's ``ErrorEndEventActivityBehavior``, ``ThrowEscalationEventActivityBehavior``,
``BoundaryEventActivityBehavior``). The run propagates them (:mod:`.adapter`,
``_ThrownByTheRun``)."""

from __future__ import annotations

from lxml import etree

# Where each definition may stand (local names of the event around it).
_PLACES = {
    "errorEventDefinition": frozenset({"boundaryEvent", "endEvent"}),
    "escalationEventDefinition": frozenset({"boundaryEvent", "endEvent", "intermediateThrowEvent"}),
}
DEFINITIONS = frozenset(_PLACES)


def definition_refusal(definition: etree._Element, localname: str) -> str | None:
    """Why an error or escalation event definition cannot run where it stands."""
    parent = definition.getparent()
    where = etree.QName(parent).localname if parent is not None else ""
    if where in _PLACES[localname] or (parent is not None and _event_subprocess_start(parent)):
        return None
    if localname == "errorEventDefinition":
        return (
            "error events are supported as boundary and end events and as start events "
            "of event sub-processes only"
        )
    return (
        "escalation events are supported as boundary, end and intermediate throw events "
        "and as start events of event sub-processes only"
    )


def boundary_refusal(event: etree._Element) -> str | None:
    """Error boundary events (interrupting; a non-interrupting one is no BPMN) and
    escalation boundary events (interrupting or not)."""
    definitions = _definitions(event)
    if len(definitions) != 1 or definitions[0] not in DEFINITIONS:
        return "only error and escalation boundary events are supported"
    if definitions == ["errorEventDefinition"] and event.get("cancelActivity", "true") == "false":
        return "non-interrupting error boundary events are not supported"
    return None


# Started by the runtime's armed rows (taskvars.engine.event_subprocess_waits).
_ARMED_STARTS = frozenset(
    {
        "timerEventDefinition",
        "messageEventDefinition",
        "signalEventDefinition",
        "conditionalEventDefinition",
    }
)


def event_subprocess_refusal(subprocess: etree._Element) -> str | None:
    """An event sub-process (``triggeredByEvent``) started by one error, escalation,
    timer, message or signal start event; an error start event interrupts (Camunda's
    ``BpmnParse`` refuses a non-interrupting one)."""
    starts = [
        child
        for child in subprocess.iterchildren()
        if isinstance(child.tag, str) and etree.QName(child).localname == "startEvent"
    ]
    kinds = [_definitions(start) for start in starts]
    if len(starts) != 1 or len(kinds[0]) != 1 or kinds[0][0] not in DEFINITIONS | _ARMED_STARTS:
        return (
            "event sub-processes are supported with one error, escalation, timer, message, "
            "signal or conditional start event only"
        )
    if kinds[0] == ["errorEventDefinition"] and starts[0].get("isInterrupting") == "false":
        return "an error start event of an event sub-process must be interrupting"
    return None


def _definitions(event: etree._Element) -> list[str]:
    return [
        etree.QName(child).localname
        for child in event.iterchildren()
        if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
    ]


def _event_subprocess_start(event: etree._Element) -> bool:
    scope = event.getparent()
    return (
        etree.QName(event).localname == "startEvent"
        and scope is not None
        and etree.QName(scope).localname == "subProcess"
        and scope.get("triggeredByEvent") == "true"
    )
