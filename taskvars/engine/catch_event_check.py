"""The deployment check of catch events (:mod:`.model_check`): timer, message and signal
definitions run in intermediate catch, boundary and process start events (and messages
in receive tasks), conditional ones in intermediate catch and boundary events; throw
events with them are refused until they run."""

from __future__ import annotations

from lxml import etree

from taskvars.engine import message_throws, signal_payloads
from taskvars.engine.bpmn_xml import BPMN
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.message_throws import THROWING_EVENTS
from taskvars.engine.timer_definitions import TimerKind, check

CATCH_DEFINITIONS = frozenset(
    {
        "timerEventDefinition",
        "messageEventDefinition",
        "signalEventDefinition",
        # In intermediate catch and boundary events (taskvars.engine.conditional_events).
        "conditionalEventDefinition",
    }
)
TIMER_KINDS = frozenset(kind.value for kind in TimerKind)
CATCH_ELEMENTS = CATCH_DEFINITIONS | TIMER_KINDS | {"intermediateCatchEvent", "condition"}


def catch_event_refusal(element: etree._Element, kind: str) -> str | None:
    parent = element.getparent()
    parent_kind = None if parent is None else etree.QName(parent).localname
    if kind == "intermediateCatchEvent":
        definitions = [
            etree.QName(child).localname
            for child in element.iterchildren()
            if isinstance(child.tag, str)
            and etree.QName(child).localname.endswith("EventDefinition")
        ]
        if len(definitions) != 1 or definitions[0] not in CATCH_DEFINITIONS:
            return (
                "intermediate catch events are supported with one timer, message, "
                "signal or conditional definition"
            )
        return None
    if kind == "condition":
        return _condition_refusal(element, parent_kind)
    if kind == "conditionalEventDefinition":
        scope = None if parent is None else parent.getparent()
        in_event_subprocess = scope is not None and scope.get("triggeredByEvent") == "true"
        if parent_kind == "startEvent" and not in_event_subprocess:
            return "conditional start events are supported in event sub-processes only"
        if parent_kind not in ("intermediateCatchEvent", "boundaryEvent", "startEvent"):
            return f"conditional events are not supported in a {parent_kind} yet"
        if element.find(f"{{{BPMN}}}condition") is None:
            return "a conditional event needs a condition"  # as BpmnParse refuses it
        return None
    if kind in CATCH_DEFINITIONS:
        if parent_kind == "startEvent":
            if (refused := _start_event_refusal(element, kind)) is not None:
                return refused
        elif kind == "signalEventDefinition" and parent_kind in (
            "intermediateThrowEvent",
            "endEvent",
        ):
            return signal_payloads.refusal(element)  # broadcast (taskvars.engine.signals)
        elif kind == "messageEventDefinition" and parent_kind in THROWING_EVENTS:
            return message_throws.refusal(element)
        elif parent_kind not in ("intermediateCatchEvent", "boundaryEvent"):
            return (
                f"{kind} is not supported in a {parent_kind} "
                "(only in intermediate catch, boundary and start events so far)"
            )
        if kind == "timerEventDefinition":
            timers = [c for c in element.iterchildren() if isinstance(c.tag, str)]
            if len(timers) != 1:
                return "a timer needs one of timeDate, timeDuration and timeCycle"
        return None
    # timeDate, timeDuration, timeCycle: checked when literal (an expression is
    # evaluated when the timer is armed, as Camunda's TimerDeclarationImpl does).
    text = (element.text or "").strip()
    try:
        literal = compile_expression(text).is_literal
    except ExpressionError as error:
        return f"{kind}: {error}"
    return check(TimerKind(kind), text) if literal else None


def _condition_refusal(condition: etree._Element, parent_kind: str | None) -> str | None:
    """A conditional event's condition: an expression (no script)."""
    if parent_kind != "conditionalEventDefinition":
        return f"condition is not supported in a {parent_kind}"
    if condition.get("language"):
        return f"script conditions ({condition.get('language')}) are not supported"
    source = (condition.text or "").strip()
    try:
        expression = compile_expression(source)
    except ExpressionError as error:
        return f"condition: {error}"
    if expression.is_literal:
        return f"condition {source!r} is not an expression: write ${{...}}"
    return None


def _start_event_refusal(definition: etree._Element, kind: str) -> str | None:
    """A process's own start events and an event sub-process's (its other refusals
    are code_events.event_subprocess_refusal's)."""
    event = definition.getparent()
    scope = None if event is None else event.getparent()
    if scope is not None and scope.get("triggeredByEvent") == "true":
        return None
    if scope is None or etree.QName(scope).localname != "process":
        return f"{kind} is not supported in a sub-process's start event"
    return None
