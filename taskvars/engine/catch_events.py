"""Catch events as a model declares them: what each waits for (a timer's definition, a
message's or a signal's name, as written: an expression is evaluated when the event is
armed, as Camunda's ``TimerDeclarationImpl`` and ``EventSubscriptionDeclaration`` do).

Intermediate catch events and receive tasks (by element id); pure reading of the XML."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.timer_definitions import TimerKind


class WaitKind(enum.StrEnum):
    TIMER = "timer"
    MESSAGE = "message"
    SIGNAL = "signal"
    # Camunda's EventType.CONDITONAL: waits until its condition holds (.conditional_events).
    CONDITIONAL = "conditional"


@dataclass(frozen=True)
class CatchEventModel:
    """What the element ``element_id`` waits for: a timer (``timer_kind`` and its text)
    or a message or a signal (``event_name``, maybe an expression)."""

    element_id: str
    kind: WaitKind
    # Camunda's activityType of the element.
    activity_type: str
    event_name: str | None = None
    timer_kind: TimerKind | None = None
    timer_text: str | None = None
    # A boundary event: whether it interrupts its activity (cancelActivity).
    interrupting: bool = True
    # Armed beside a token (a boundary event, a branch of an event-based gateway) rather
    # than as one (taskvars.engine.event_waits).
    beside: bool = False
    # A conditional event's condition and camunda:variableName / camunda:variableEvents.
    condition: str | None = None
    variable_name: str | None = None
    variable_events: frozenset[str] = frozenset()


# Camunda's ActivityTypes for intermediate catch events, by the definition's kind.
INTERMEDIATE_TYPES = {
    WaitKind.TIMER: "intermediateTimer",
    WaitKind.MESSAGE: "intermediateMessageCatch",
    WaitKind.SIGNAL: "intermediateSignalCatch",
    WaitKind.CONDITIONAL: "intermediateConditional",
}
RECEIVE_TASK = "receiveTask"
BOUNDARY_TYPES = {
    WaitKind.TIMER: "boundaryTimer",
    WaitKind.MESSAGE: "boundaryMessage",
    WaitKind.SIGNAL: "boundarySignal",
    WaitKind.CONDITIONAL: "boundaryConditional",
}


def catch_event_models(root: etree._Element) -> dict[str, CatchEventModel]:
    """By element id: the intermediate timer, message and signal catch events, the
    boundary events of those kinds and the receive tasks of every process in ``root``."""
    names = _referenced_names(root)
    branches = _gateway_branches(root)
    found: dict[str, CatchEventModel] = {}
    for event in root.iter(f"{{{BPMN}}}intermediateCatchEvent"):
        model = _event_model(event, names, INTERMEDIATE_TYPES)
        if model is not None:
            found[model.element_id] = replace(model, beside=model.element_id in branches)
    for event in root.iter(f"{{{BPMN}}}boundaryEvent"):
        model = _event_model(event, names, BOUNDARY_TYPES)
        if model is not None:
            interrupting = event.get("cancelActivity", "true").lower() == "true"
            found[model.element_id] = replace(model, interrupting=interrupting, beside=True)
    for task in root.iter(f"{{{BPMN}}}receiveTask"):
        element_id = str(task.get("id"))
        ref = task.get("messageRef")
        found[element_id] = CatchEventModel(
            element_id,
            WaitKind.MESSAGE,
            RECEIVE_TASK,
            event_name=names.get(ref or "", ref),
            beside=element_id in branches,
        )
    return found


def _event_model(
    event: etree._Element, names: dict[str, str], types: dict[WaitKind, str]
) -> CatchEventModel | None:
    element_id = str(event.get("id"))
    for definition in event.iterchildren():
        if not isinstance(definition.tag, str):
            continue
        kind = etree.QName(definition).localname
        if kind == "timerEventDefinition":
            timer = timer_of(definition)
            if timer is None:
                return None
            return CatchEventModel(
                element_id,
                WaitKind.TIMER,
                types[WaitKind.TIMER],
                timer_kind=timer[0],
                timer_text=timer[1],
            )
        if kind == "conditionalEventDefinition":
            return conditional_model(element_id, definition, types[WaitKind.CONDITIONAL])
        for wait_kind, ref_attribute in (
            (WaitKind.MESSAGE, "messageRef"),
            (WaitKind.SIGNAL, "signalRef"),
        ):
            if kind == f"{wait_kind.value}EventDefinition":
                ref = definition.get(ref_attribute)
                return CatchEventModel(
                    element_id,
                    wait_kind,
                    types[wait_kind],
                    event_name=names.get(ref or "", ref),
                )
    return None


def conditional_model(
    element_id: str, definition: etree._Element, activity_type: str
) -> CatchEventModel:
    """Camunda's ``BpmnParse.parseConditionalEventDefinition``: the condition's text,
    ``camunda:variableName`` and the comma-separated ``camunda:variableEvents``."""
    condition = definition.find(f"{{{BPMN}}}condition")
    events = definition.get(f"{{{CAMUNDA}}}variableEvents") or ""
    return CatchEventModel(
        element_id,
        WaitKind.CONDITIONAL,
        activity_type,
        condition=None if condition is None else (condition.text or "").strip(),
        variable_name=definition.get(f"{{{CAMUNDA}}}variableName") or None,
        variable_events=frozenset(e.strip() for e in events.split(",") if e.strip()),
    )


def timer_of(definition: etree._Element) -> tuple[TimerKind, str] | None:
    """A ``timerEventDefinition``'s one timer (``timeDate``, ``timeDuration`` or
    ``timeCycle``) and its text; ``None`` when it has none."""
    for timer_kind in TimerKind:
        element = definition.find(f"{{{BPMN}}}{timer_kind.value}")
        if element is not None:
            return timer_kind, (element.text or "").strip()
    return None


def _gateway_branches(root: etree._Element) -> set[str]:
    """The elements an event-based gateway's flows lead to."""
    found: set[str] = set()
    for process in root.iter(f"{{{BPMN}}}process", f"{{{BPMN}}}subProcess"):
        gateways = {g.get("id") for g in process.iterchildren(f"{{{BPMN}}}eventBasedGateway")}
        for flow in process.iterchildren(f"{{{BPMN}}}sequenceFlow"):
            if flow.get("sourceRef") in gateways:
                found.add(str(flow.get("targetRef")))
    return found


def _referenced_names(root: etree._Element) -> dict[str, str]:
    """``bpmn:message`` and ``bpmn:signal`` ids to their names (``messageRef`` and
    ``signalRef`` name the element; Camunda subscribes by its ``name``)."""
    found: dict[str, str] = {}
    for tag in ("message", "signal"):
        for element in root.iterchildren(f"{{{BPMN}}}{tag}"):
            element_id, name = element.get("id"), element.get("name")
            if element_id is not None:
                found[element_id] = name if name is not None else element_id
    return found


def catch_activity_type(element: etree._Element) -> str:
    """Camunda's activityType of an intermediate catch event or a receive task."""
    if etree.QName(element).localname == "receiveTask":
        return RECEIVE_TASK
    for child in element.iterchildren():
        if isinstance(child.tag, str):
            name = etree.QName(child).localname
            for kind, activity_type in INTERMEDIATE_TYPES.items():
                if name == f"{kind.value}EventDefinition":
                    return activity_type
    raise ValueError(f"{element.get('id')} catches no timer, message, signal or condition")
