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
    "escalationEventDefinition": frozenset(
        {"boundaryEvent", "endEvent", "intermediateThrowEvent"}
    ),
}
DEFINITIONS = frozenset(_PLACES)


def definition_refusal(definition: etree._Element, localname: str) -> str | None:
    """Why an error or escalation event definition cannot run where it stands."""
    parent = definition.getparent()
    where = etree.QName(parent).localname if parent is not None else ""
    if where in _PLACES[localname]:
        return None
    if localname == "errorEventDefinition":
        return "error events are supported as boundary and end events only"
    return "escalation events are supported as boundary, end and intermediate throw events only"


def boundary_refusal(event: etree._Element) -> str | None:
    """Error boundary events (interrupting; a non-interrupting one is no BPMN) and
    escalation boundary events (interrupting or not)."""
    definitions = [
        etree.QName(child).localname
        for child in event.iterchildren()
        if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
    ]
    if len(definitions) != 1 or definitions[0] not in DEFINITIONS:
        return "only error and escalation boundary events are supported"
    if definitions == ["errorEventDefinition"] and event.get("cancelActivity", "true") == "false":
        return "non-interrupting error boundary events are not supported"
    return None
