"""Message intermediate throw events and message end events, as Camunda's ``BpmnParse``
reads them (``parseIntermediateThrowEvent``, ``parseEndEvents``, CAM-436): with
``camunda:type="external"`` and a ``camunda:topic`` on the ``messageEventDefinition``
the event is an external task (activity types ``intermediateMessageThrowEvent``,
``messageEndEvent``); with no service task attributes it does nothing (a none event,
``intermediateNoneThrowEvent``, ``noneEndEvent``). One calling code (``camunda:class``,
``expression``, ``delegateExpression``) is refused at deployment for now."""

from __future__ import annotations

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA

THROWING_EVENTS = frozenset({"intermediateThrowEvent", "endEvent"})
ACTIVITY_TYPES = {
    "intermediateThrowEvent": "intermediateMessageThrowEvent",
    "endEvent": "messageEndEvent",
}
# Camunda's BpmnParse.isServiceTaskLike reads these on the messageEventDefinition.
_SERVICE_TASK_LIKE = ("type", "class", "expression", "delegateExpression")
_CODE = ("class", "expression", "delegateExpression")


def external_definition(event: etree._Element) -> etree._Element | None:
    """The ``messageEventDefinition`` of a message throw or end event that is an
    external task, else ``None``."""
    if etree.QName(event).localname not in THROWING_EVENTS:
        return None
    definition = event.find(f"{{{BPMN}}}messageEventDefinition")
    if definition is None or definition.get(f"{{{CAMUNDA}}}type") != "external":
        return None
    return definition


def refusal(definition: etree._Element) -> str | None:
    """Why a ``messageEventDefinition`` in a throw or end event cannot run here."""
    attributes = {a for a in _SERVICE_TASK_LIKE if definition.get(f"{{{CAMUNDA}}}{a}")}
    if not attributes:
        return None  # a none event, as Camunda runs it
    if attributes & set(_CODE):
        return "a message throw or end event that calls code is not supported yet"
    if definition.get(f"{{{CAMUNDA}}}type") != "external":
        return f"camunda:type '{definition.get(f'{{{CAMUNDA}}}type')}' is not supported"
    if not definition.get(f"{{{CAMUNDA}}}topic"):
        # BpmnParse.parseExternalServiceTask
        return "External tasks must specify a 'topic' attribute in the camunda namespace"
    return None
