"""What each catch event of a model waits for, read from its XML (pure): message and
signal names through their refs, timers as written, boundary events' interruption,
the branches of event-based gateways, and the start events of a process."""

from __future__ import annotations

from lxml import etree

from taskvars.engine.catch_events import WaitKind, catch_event_models
from taskvars.engine.start_events import start_event_models
from taskvars.engine.timer_definitions import TimerKind

MODEL = b"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:message id="M1" name="paid-${orderId}" />
  <bpmn:signal id="S1" />
  <bpmn:process id="p" isExecutable="true">
    <bpmn:startEvent id="ByMessage">
      <bpmn:messageEventDefinition messageRef="M1" />
    </bpmn:startEvent>
    <bpmn:startEvent id="ByHand" />
    <bpmn:eventBasedGateway id="G" />
    <bpmn:sequenceFlow id="f1" sourceRef="G" targetRef="Paid" />
    <bpmn:sequenceFlow id="f2" sourceRef="G" targetRef="Mail" />
    <bpmn:intermediateCatchEvent id="Paid">
      <bpmn:messageEventDefinition messageRef="M1" />
    </bpmn:intermediateCatchEvent>
    <bpmn:receiveTask id="Mail" messageRef="M1" />
    <bpmn:intermediateCatchEvent id="Wait">
      <bpmn:timerEventDefinition><bpmn:timeCycle>R3/PT1M</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="T" />
    <bpmn:boundaryEvent id="Nudge" attachedToRef="T" cancelActivity="false">
      <bpmn:signalEventDefinition signalRef="S1" />
    </bpmn:boundaryEvent>
    <bpmn:boundaryEvent id="Failed" attachedToRef="T">
      <bpmn:errorEventDefinition />
    </bpmn:boundaryEvent>
  </bpmn:process>
</bpmn:definitions>"""


def test_each_catch_event_is_read_with_what_it_waits_for() -> None:
    models = catch_event_models(etree.fromstring(MODEL))
    assert set(models) == {"Paid", "Mail", "Wait", "Nudge"}
    paid, mail, wait, nudge = (models[k] for k in ("Paid", "Mail", "Wait", "Nudge"))
    assert (paid.kind, paid.event_name, paid.activity_type) == (
        WaitKind.MESSAGE,
        "paid-${orderId}",
        "intermediateMessageCatch",
    )
    assert (mail.activity_type, mail.event_name) == ("receiveTask", "paid-${orderId}")
    assert (wait.timer_kind, wait.timer_text) == (TimerKind.CYCLE, "R3/PT1M")
    # A signal without a name is subscribed by its id, as Camunda's parser falls back.
    assert (nudge.kind, nudge.event_name, nudge.activity_type) == (
        WaitKind.SIGNAL,
        "S1",
        "boundarySignal",
    )
    assert nudge.interrupting is False


def test_boundary_events_and_gateway_branches_are_armed_beside_a_token() -> None:
    models = catch_event_models(etree.fromstring(MODEL))
    beside = {key for key, model in models.items() if model.beside}
    assert beside == {"Paid", "Mail", "Nudge"}


def test_a_process_start_events_with_a_definition_are_read_in_order() -> None:
    (start,) = start_event_models(etree.fromstring(MODEL), "p")
    assert (start.element_id, start.kind, start.activity_type) == (
        "ByMessage",
        WaitKind.MESSAGE,
        "messageStartEvent",
    )
