"""Timer, message and signal start events of a deployed definition (Camunda's
``BpmnDeployer.adjustStartEventSubscriptions``): the latest version of a key holds them,
a ``timer-start-event`` job per timer start event and an ``event_subscription`` per
message or signal start event, on the definition (no instance); deploying a new version
replaces the previous version's. Firing one starts an instance there
(:func:`.events.start_by_event`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, parse_bpmn
from taskvars.engine.catch_events import CatchEventModel, WaitKind, timer_of
from taskvars.engine.expressions import ExpressionError, as_text, compile_expression
from taskvars.engine.timer_definitions import DueTimer, TimerDefinitionError, TimerKind, arm
from taskvars.errors import InvalidRequestError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.event_subscriptions import NewSubscription, definition_pk
from taskvars.persistence.jobs import START_TIMER_HANDLER, NewJob
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.task_defaults import new_id

START_TYPES = {
    WaitKind.TIMER: "startTimerEvent",
    WaitKind.MESSAGE: "messageStartEvent",
    WaitKind.SIGNAL: "signalStartEvent",
}


def start_event_models(root: etree._Element, process_key: str) -> list[CatchEventModel]:
    """The timer, message and signal start events of the process ``process_key`` (not
    of its sub-processes), in the model's order."""
    names = {
        str(element.get("id")): element.get("name") or str(element.get("id"))
        for tag in ("message", "signal")
        for element in root.iterchildren(f"{{{BPMN}}}{tag}")
    }
    found: list[CatchEventModel] = []
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        if process.get("id") != process_key:
            continue
        for event in process.iterchildren(f"{{{BPMN}}}startEvent"):
            model = _start_model(event, names)
            if model is not None:
                found.append(model)
    return found


def _start_model(event: etree._Element, names: dict[str, str]) -> CatchEventModel | None:
    element_id = str(event.get("id"))
    for definition in event.iterchildren():
        if not isinstance(definition.tag, str):
            continue
        kind = etree.QName(definition).localname
        if kind == "timerEventDefinition":
            timer = timer_of(definition)
            if timer is not None:
                return CatchEventModel(
                    element_id,
                    WaitKind.TIMER,
                    START_TYPES[WaitKind.TIMER],
                    timer_kind=timer[0],
                    timer_text=timer[1],
                )
        for wait_kind, attribute in (
            (WaitKind.MESSAGE, "messageRef"),
            (WaitKind.SIGNAL, "signalRef"),
        ):
            if kind == f"{wait_kind.value}EventDefinition":
                ref = definition.get(attribute) or ""
                return CatchEventModel(
                    element_id, wait_kind, START_TYPES[wait_kind], event_name=names.get(ref, ref)
                )
    return None


def arm_start_events(uow: UnitOfWork, definition: ProcessDefinitionRecord, xml: bytes) -> None:
    """``definition``, just deployed as its key's latest version: the previous version's
    start event rows removed, its own made."""
    store = uow.store
    store.jobs.delete_start_timers(definition.key, definition.tenant_id)
    store.event_subscriptions.delete_start_events(definition.key, definition.tenant_id)
    models = start_event_models(parse_bpmn(xml), definition.key)
    if not models:
        return
    pk = definition_pk(store.session, definition.id)
    now = now_millis()
    for model in models:
        if model.kind is WaitKind.TIMER:
            timer = _start_timer(model, now)
            store.jobs.add(
                NewJob(
                    id=new_id(),
                    type="timer",
                    handler_type=START_TIMER_HANDLER,
                    handler_configuration=model.element_id,
                    create_time=epoch_millis(now),
                    due_date=epoch_millis(timer.due),
                    definition_pk=pk,
                    process_definition_id=definition.id,
                    process_definition_key=definition.key,
                    deployment_id=definition.deployment_id,
                    activity_id=model.element_id,
                    repeat=timer.repeat,
                    tenant_id=definition.tenant_id,
                )
            )
            continue
        name = model.event_name or ""
        if model.kind is WaitKind.MESSAGE:
            _refuse_same_message(uow, definition, name)
        store.event_subscriptions.add(
            NewSubscription(
                id=new_id(),
                event_type=model.kind.value,
                event_name=name,
                activity_id=model.element_id,
                created=epoch_millis(now),
                definition_pk=pk,
                process_definition_id=definition.id,
                configuration=definition.id,
                tenant_id=definition.tenant_id,
            )
        )


def _refuse_same_message(uow: UnitOfWork, definition: ProcessDefinitionRecord, name: str) -> None:
    """Camunda's ``BpmnDeployer.addMessageStartEventSubscription``: one message starts
    one definition key per tenant."""
    taken = uow.store.event_subscriptions.start_events_named("message", name, definition.tenant_id)
    if taken:
        raise InvalidRequestError(
            f"Cannot deploy process definition '{definition.resource_name}': there already "
            f"is a message event subscription for the message with name '{name}'."
        )


def _start_timer(model: CatchEventModel, now: datetime) -> DueTimer:
    """A start timer's definition; an expression sees no variables (there is no
    instance yet: Camunda evaluates it without an execution)."""
    text = model.timer_text or ""
    try:
        expression = compile_expression(text)
        if not expression.is_literal:

            def nothing(name: str) -> Any:
                raise KeyError(name)

            text = as_text(expression.evaluate(nothing)) or ""
        return arm(model.timer_kind or TimerKind.DATE, text, now)
    except (ExpressionError, KeyError, TimerDefinitionError) as error:
        raise InvalidRequestError(f"{model.element_id}: {error}") from None
