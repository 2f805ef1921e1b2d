"""Error boundary events as a model declares them: where a caught BPMN error's code and
message are written (``camunda:errorCodeVariable``, ``camunda:errorMessageVariable`` of the
event's ``errorEventDefinition``, as Camunda's ``BpmnExceptionHandler`` sets them on the
execution that handles the error)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA


@dataclass(frozen=True)
class ErrorVariables:
    code: str | None
    message: str | None


def error_variables(root: etree._Element) -> dict[str, ErrorVariables]:
    """By boundary event id, for the error boundary events that name either variable."""
    found = {}
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        for definition in event.iterchildren(f"{{{BPMN}}}errorEventDefinition"):
            code = definition.get(f"{{{CAMUNDA}}}errorCodeVariable")
            message = definition.get(f"{{{CAMUNDA}}}errorMessageVariable")
            if code or message:
                found[str(event.get("id"))] = ErrorVariables(code or None, message or None)
    return found
