"""Message intermediate throw events and message end events, as Camunda's ``BpmnParse``
reads them (``parseIntermediateThrowEvent``, ``parseEndEvents``, CAM-436): with
``camunda:type="external"`` and a ``camunda:topic`` on the ``messageEventDefinition``
the event is an external task (activity types ``intermediateMessageThrowEvent``,
``messageEndEvent``); with no service task attributes it does nothing (a none event,
``intermediateNoneThrowEvent``, ``noneEndEvent``); with ``camunda:class``,
``delegateExpression`` or ``expression`` it calls code, run by a stand-in as a service
task's (:mod:`.code_sites`)."""

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
_CODE = ("class", "delegateExpression", "expression")


def external_definition(event: etree._Element) -> etree._Element | None:
    """The ``messageEventDefinition`` of a message throw or end event that is an
    external task, else ``None``."""
    if etree.QName(event).localname not in THROWING_EVENTS:
        return None
    definition = event.find(f"{{{BPMN}}}messageEventDefinition")
    if definition is None or definition.get(f"{{{CAMUNDA}}}type") != "external":
        return None
    return definition


def service_task_like(event: etree._Element) -> etree._Element | None:
    """The ``messageEventDefinition`` of a message throw or end event that runs as a
    service task (an external task, or code), else ``None`` (Camunda's
    ``isServiceTaskLike``)."""
    if etree.QName(event).localname not in THROWING_EVENTS:
        return None
    definition = event.find(f"{{{BPMN}}}messageEventDefinition")
    if definition is None:
        return None
    if not any(definition.get(f"{{{CAMUNDA}}}{a}") for a in _SERVICE_TASK_LIKE):
        return None
    return definition


def code_of(event: etree._Element) -> tuple[str, str] | None:
    """The code a message throw or end event calls: (attribute, value), in Camunda's
    order (``parseServiceTaskLike``: class, delegate expression, expression)."""
    definition = service_task_like(event)
    if definition is None or definition.get(f"{{{CAMUNDA}}}type") is not None:
        return None
    for attribute in _CODE:
        value = (definition.get(f"{{{CAMUNDA}}}{attribute}") or "").strip()
        if value:
            return attribute, value
    return None


def refusal(definition: etree._Element) -> str | None:
    """Why a ``messageEventDefinition`` in a throw or end event cannot run here."""
    attributes = {a for a in _SERVICE_TASK_LIKE if definition.get(f"{{{CAMUNDA}}}{a}")}
    if not attributes or (attributes & set(_CODE) and "type" not in attributes):
        return None  # a none event, or code run by a stand-in
    if definition.get(f"{{{CAMUNDA}}}type") != "external":
        return f"camunda:type '{definition.get(f'{{{CAMUNDA}}}type')}' is not supported"
    if not definition.get(f"{{{CAMUNDA}}}topic"):
        # BpmnParse.parseExternalServiceTask
        return "External tasks must specify a 'topic' attribute in the camunda namespace"
    return None
