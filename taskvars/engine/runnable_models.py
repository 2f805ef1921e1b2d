"""Deployed processes ready to run, built once per definition in each server process:
the definition's record, SpiffWorkflow's specs and the user tasks' Camunda attributes,
from one read and one parse of the deployed file. What a run uses of them never changes
once deployed, so a step reads none of it from the database again."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from taskvars.engine.adapter import CompiledProcess
from taskvars.engine.bpmn_xml import BPMN, parse_bpmn
from taskvars.engine.call_activities import CallActivityModel, call_activity_models
from taskvars.engine.catch_events import CatchEventModel, catch_event_models
from taskvars.engine.code_sites import CodeSite, code_task_properties, listener_sites, task_sites
from taskvars.engine.error_events import ErrorVariables, error_variables, thrown_error_messages
from taskvars.engine.event_subprocess_waits import event_subprocess_start_models
from taskvars.engine.external_service_tasks import ExternalTaskModel, external_task_models
from taskvars.engine.forms import FormDeclaration, form_declaration, task_forms
from taskvars.engine.io_mappings import IoMapping, io_mappings
from taskvars.engine.signal_payloads import signal_payload_models
from taskvars.engine.user_tasks import UserTaskModel, user_task_models
from taskvars.persistence.deployments import ProcessDefinitionRecord

# Definitions kept; the least recently run goes first.
CACHE_SIZE = 64


@dataclass(frozen=True)
class RunnableModel:
    definition: ProcessDefinitionRecord
    compiled: CompiledProcess
    user_tasks: dict[str, UserTaskModel]
    external_tasks: dict[str, ExternalTaskModel]
    # By error boundary event id: where a caught error's code and message go.
    error_variables: dict[str, ErrorVariables]
    # The process's none start event, where every instance starts (Camunda's
    # startActivityId); None where it has several.
    start_activity_id: str | None
    # The form that start event declares (Camunda's start form); None without one.
    start_form: FormDeclaration | None
    # By user task id: the generated forms (camunda:formData) of the tasks that have one.
    task_forms: dict[str, FormDeclaration]
    # By element id: the activities' camunda:inputOutput.
    io_mappings: dict[str, IoMapping] = field(default_factory=dict)
    # By element id: the call activities and what they call.
    call_activities: dict[str, CallActivityModel] = field(default_factory=dict)
    # Code run by stand-ins: tasks by element id, their camunda:properties, listeners by
    # element id (the process's own under its id).
    code_tasks: dict[str, CodeSite] = field(default_factory=dict)
    code_task_properties: dict[str, dict[str, str]] = field(default_factory=dict)
    listeners: dict[str, list[CodeSite]] = field(default_factory=dict)
    # By element id: intermediate catch events and receive tasks, what each waits for.
    catch_events: dict[str, CatchEventModel] = field(default_factory=dict)
    # By start event id: the timer, message and signal starts of event sub-processes.
    event_subprocess_starts: dict[str, CatchEventModel] = field(default_factory=dict)
    # By error end event id: the camunda:errorMessage of the error it throws.
    error_messages: dict[str, str] = field(default_factory=dict)
    # By signal throw or end event id: the camunda:in payload of its signal.
    signal_payloads: dict[str, CallActivityModel] = field(default_factory=dict)


def runnable_model(
    definition_id: str, load: Callable[[], tuple[ProcessDefinitionRecord, bytes]]
) -> RunnableModel:
    """The model of ``definition_id``; ``load`` gives its record and deployed file when
    it is not built yet in this server process."""
    with _LOCK:
        cached = _CACHE.get(definition_id)
        if cached is not None:
            _CACHE.move_to_end(definition_id)
            return cached
    definition, xml = load()
    root = parse_bpmn(xml)
    start_event = _start_event(root, definition.key)
    model = RunnableModel(
        definition,
        CompiledProcess(definition.key, root, definition.resource_name),
        user_task_models(root),
        external_task_models(root),
        error_variables(root),
        None if start_event is None else start_event.get("id"),
        None if start_event is None else form_declaration(start_event, with_fields=True),
        code_tasks=task_sites(root),
        code_task_properties=code_task_properties(root),
        listeners=listener_sites(root),
        error_messages=thrown_error_messages(root),
        task_forms=task_forms(root),
        io_mappings=io_mappings(root),
        call_activities=call_activity_models(root),
        catch_events=catch_event_models(root),
        event_subprocess_starts=event_subprocess_start_models(root),
        signal_payloads=signal_payload_models(root),
    )
    with _LOCK:
        _CACHE[definition_id] = model
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return model


def _start_event(root: etree._Element, process_key: str) -> etree._Element | None:
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        if process.get("id") == process_key:
            starts = [
                event
                for event in process.iterchildren(f"{{{BPMN}}}startEvent")
                if not any("EventDefinition" in str(child.tag) for child in event)
            ]
            return starts[0] if len(starts) == 1 else None
    return None


_CACHE: OrderedDict[str, RunnableModel] = OrderedDict()
_LOCK = threading.Lock()
