"""Error and escalation events as a model declares them: where a caught BPMN error's
code and message are written (``camunda:errorCodeVariable``, ``camunda:errorMessageVariable``
of the catching event's ``errorEventDefinition``, as Camunda's ``BpmnExceptionHandler``
sets them on the execution that handles the error; an escalation's
``camunda:escalationCodeVariable``), and the message an error end event throws."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA


@dataclass(frozen=True)
class ErrorVariables:
    code: str | None
    message: str | None


def error_variables(root: etree._Element) -> dict[str, ErrorVariables]:
    """By catching event id (a boundary event, an event sub-process's start event): for
    error events that name either variable, and escalation events that name
    ``camunda:escalationCodeVariable`` (as ``code``; Camunda's ``EscalationHandler`` sets
    it on the handling execution)."""
    found = {}
    for tag in ("boundaryEvent", "startEvent"):
        for event in root.iter(f"{{{BPMN}}}{tag}"):
            for definition in event.iterchildren(f"{{{BPMN}}}errorEventDefinition"):
                code = definition.get(f"{{{CAMUNDA}}}errorCodeVariable")
                message = definition.get(f"{{{CAMUNDA}}}errorMessageVariable")
                if code or message:
                    found[str(event.get("id"))] = ErrorVariables(code or None, message or None)
            for escalation in event.iterchildren(f"{{{BPMN}}}escalationEventDefinition"):
                if code := escalation.get(f"{{{CAMUNDA}}}escalationCodeVariable"):
                    found[str(event.get("id"))] = ErrorVariables(code, None)
    return found


def thrown_error_messages(root: etree._Element) -> dict[str, str]:
    """By error end event id, the ``camunda:errorMessage`` of the error it throws (Camunda's
    ``ErrorEndEventActivityBehavior`` propagates it with the code)."""
    errors = {
        str(error.get("id")): message
        for error in root.iter(f"{{{BPMN}}}error")
        if (message := error.get(f"{{{CAMUNDA}}}errorMessage"))
    }
    found = {}
    for event in root.iter(f"{{{BPMN}}}endEvent"):
        for definition in event.iterchildren(f"{{{BPMN}}}errorEventDefinition"):
            message = errors.get(definition.get("errorRef") or "")
            if message is not None:
                found[str(event.get("id"))] = message
    return found
