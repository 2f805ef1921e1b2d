"""BPMN files as Camunda Modeler writes them, checked before anything is deployed: this
server runs a model only if it can run every element of it, as Camunda would.

A model passes three checks, in order; a refused model's report
(:class:`~taskvars.engine.model_report.ModelReport`) names every problem: the file, the
element (its id, line and column) and the reason:

1. it is well-formed XML without a DOCTYPE (no entities, nothing fetched) whose root is
   BPMN's ``definitions``, with at least one executable process;
2. every element and Camunda extension inside its processes is one this server runs
   (:data:`RUNNABLE_ELEMENTS`): a script task, a service task, a timer or a listener would
   be skipped silently or fail later, so it is refused now; every expression (gateway
   conditions, task attributes) compiles in the supported subset
   (:mod:`taskvars.engine.expressions`);
3. SpiffWorkflow's Camunda parser, the engine that will run it, builds every process
   (a process without a start event, an exclusive flow without a condition, ...), once
   the first two passed.

Elements outside any process (the diagram, collaborations) are not looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from taskvars.engine import call_activities, code_events, message_throws, signal_payloads
from taskvars.engine.adapter import SpecBuildError, check_builds
from taskvars.engine.artifacts import ARTIFACT_CONTENT, ARTIFACTS
from taskvars.engine.bpmn_xml import BPMN, CAMUNDA, USER_TASK_ATTRIBUTES, parse_bpmn
from taskvars.engine.catch_event_check import (
    CATCH_DEFINITIONS,
    CATCH_ELEMENTS,
    TIMER_KINDS,
    catch_event_refusal,
)
from taskvars.engine.code_sites import code_site_problems, code_task_attribute, stand_in_extension
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.external_service_tasks import EXTERNAL_TASK_ELEMENTS
from taskvars.engine.forms import FormDeclarationError, form_declaration, form_field
from taskvars.engine.gateway_defaults import gateway_findings
from taskvars.engine.io_mappings import in_io_mapping, io_refusal
from taskvars.engine.model_notes import notes_of
from taskvars.engine.model_report import ModelReport, Problem
from taskvars.engine.multi_instance_check import LOOP_ELEMENTS, loop_refusal
from taskvars.engine.source_positions import element_positions
from taskvars.engine.starters import POTENTIAL_STARTER_CONTENT, candidate_starters
from taskvars.persistence.models import ID_LENGTH

# BPMN elements (local names) that may appear inside a process.
RUNNABLE_ELEMENTS = frozenset(
    {
        "startEvent",
        "endEvent",
        "userTask",
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "subProcess",
        # Calls another deployed process (taskvars.engine.call_activities).
        "callActivity",
        # External tasks, or code run by stand-ins (taskvars.engine.code_sites).
        "serviceTask",
        "sendTask",
        "businessRuleTask",
        "scriptTask",
        "script",
        # Error and escalation events (checked by code_events).
        "boundaryEvent",
        "errorEventDefinition",
        "escalationEventDefinition",
        "sequenceFlow",
        "conditionExpression",
        "incoming",
        "outgoing",
        "documentation",
        "extensionElements",
        # Lanes and annotations say who and why; they change nothing in a run.
        "laneSet",
        "lane",
        "flowNodeRef",
        "childLaneSet",
        "textAnnotation",
        "text",
        "association",
        # Camunda passes these through at once (TaskActivityBehavior, a none throw event).
        "task",
        "manualTask",
        # A none or an escalation throw event (the definitions are checked).
        "intermediateThrowEvent",
        # Only in an end event (checked below).
        "terminateEventDefinition",
        # Timers, messages and signals waited for (taskvars.engine.catch_waits); their
        # definitions only in an intermediate catch event for now (checked below).
        "intermediateCatchEvent",
        "receiveTask",
        "eventBasedGateway",
        *CATCH_DEFINITIONS,
        *TIMER_KINDS,
        "condition",
        # Data objects and stores, groups: drawn, not run (taskvars.engine.artifacts).
        *ARTIFACTS,
        *ARTIFACT_CONTENT,
        # Only in a process's camunda:potentialStarter (checked below).
        *POTENTIAL_STARTER_CONTENT,
        # Checked by multi_instance_check.
        *LOOP_ELEMENTS,
    }
)
# Camunda extension elements that need no check: properties change nothing in a run;
# failedJobRetryTimeCycle is the retry cycle of the element's jobs (asynchronous
# continuations, taskvars.engine.async_points; timers), kept on each job as written.
INERT_EXTENSIONS = frozenset({"properties", "property", "failedJobRetryTimeCycle"})
# A generated form (camunda:formData) of a start event or a user task.
FORM_EXTENSIONS = frozenset({"formData", "formField", "validation", "constraint", "value"})
FORM_ELEMENTS = frozenset({f"{{{BPMN}}}startEvent", f"{{{BPMN}}}userTask"})
# Definitions, tasks and history keep ids and names in 255-character columns, as
# Camunda's (ACT_RE_PROCDEF.KEY_ and NAME_, ACT_HI_ACTINST.ACT_ID_ and ACT_NAME_): a
# longer process id would fail the deployment, a longer element id or name every run.
# Java's Integer.parseInt, as ParseUtil.parseHistoryTimeToLive applies it.
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_ISO_DAYS = re.compile(r"^P(\d+)D$")
# The position lxml appends to a syntax error's message (a problem has its own).
_AT = re.compile(r", line \d+, column \d+$")
# Camunda attributes that would run code or call out; ``type`` and ``topic`` are an
# external task's (checked with the element).
CODE_ATTRIBUTES = frozenset({"class", "expression", "delegateExpression", "resultVariable"})
_EXTERNAL_TASK_ATTRIBUTES = frozenset({"type", "topic"})
# Elements whose content is checked even when they are refused themselves.
_CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess"})
_Positions = dict[etree._Element, tuple[int, int]]


class ModelRefusedError(ValueError):
    """The model cannot be deployed: :attr:`report` has every problem; the first one's
    file, element, line and reason are attributes too."""

    def __init__(self, report: ModelReport) -> None:
        super().__init__("\n".join(_said(report.resource, error) for error in report.errors))
        self.report = report
        first = report.errors[0]
        self.file_name = report.resource
        self.element_id = first.element_id
        self.line = first.line or None
        self.reason = first.message


def _said(file_name: str, problem: Problem) -> str:
    where = f"element '{problem.element_id}'" if problem.element_id else "the file"
    at_line = f" (line {problem.line})" if problem.line else ""
    return f"{file_name}: {where}{at_line}: {problem.message}"


@dataclass(frozen=True)
class ProcessModel:
    """One executable process of a checked file."""

    key: str  # the process id: Camunda's process definition key
    name: str | None
    category: str | None  # the file's targetNamespace, as Camunda reports it
    version_tag: str | None
    history_time_to_live: int | None  # days
    startable_in_tasklist: bool
    # camunda:candidateStarterUsers / candidateStarterGroups, as written.
    candidate_starter_users: tuple[str, ...] = ()
    candidate_starter_groups: tuple[str, ...] = ()


def check_model(file_name: str, data: bytes) -> list[ProcessModel]:
    """The executable processes of the BPMN file ``data``; raises
    :class:`ModelRefusedError` with every problem if this server cannot run it."""
    report = inspect_model(file_name, data)
    if report.refused:
        raise ModelRefusedError(report)
    return report.processes


def inspect_model(file_name: str, data: bytes) -> ModelReport:
    """Every problem of the BPMN file ``data`` (Camunda's parse goes on after an error
    and reports them all), its processes if it has none, and the notes on it."""
    try:
        root = _parse(data)
    except _FileProblemError as refused:
        return ModelReport(file_name, errors=[refused.problem])
    processes = [
        process
        for process in root.iterchildren(f"{{{BPMN}}}process")
        # BpmnParse.parseProcessDefinitions: Boolean.parseBoolean, any case.
        if (process.get("isExecutable") or "").lower() == "true"
    ]
    if not processes:
        no_process = Problem('no executable process (a process with isExecutable="true")')
        return ModelReport(file_name, errors=[no_process])
    positions = element_positions(root, data)
    errors: list[Problem] = []
    for process in processes:
        errors.extend(_element_problems(process, positions))
    warnings: list[Problem] = [
        _problem(
            element,
            f"camunda:{attribute} is ignored on {etree.QName(element).localname}",
            positions,
        )
        for process in processes
        for element, attribute in _ignored_code_attributes(process)
    ]
    for process in processes:
        for finding in gateway_findings(process):
            line, column = positions.get(finding.flow, (finding.flow.sourceline or 0, 0))
            ids = (finding.gateway_id, str(finding.flow.get("id", "")))
            found = Problem(finding.message, line, column, finding.gateway_id, ids)
            (errors if finding.is_error else warnings).append(found)
    errors.extend(
        _problem(named, f"the {attribute} is longer than {ID_LENGTH} characters", positions)
        for process in processes
        for named in (process, *process.iterdescendants(f"{{{BPMN}}}*"))
        for attribute in ("id", "name")
        if len(named.get(attribute) or "") > ID_LENGTH
    )
    ttl = {process: _history_time_to_live(process) for process in processes}
    errors.extend(
        _problem(process, reason, positions)
        for process, (_, reason) in ttl.items()
        if reason is not None
    )
    if not errors:
        # SpiffWorkflow's build errors, once the elements are known to be runnable (an
        # element it does not know would only repeat what the element check says).
        errors.extend(
            problem
            for process in processes
            if (problem := _engine_problem(root, file_name, process, positions)) is not None
        )
    if errors:
        return ModelReport(file_name, errors=errors, warnings=warnings)
    models = [
        ProcessModel(
            key=process.get("id", ""),
            name=process.get("name"),
            category=root.get("targetNamespace"),
            version_tag=process.get(f"{{{CAMUNDA}}}versionTag"),
            history_time_to_live=ttl[process][0],
            # BpmnParse.isStartable: true unless the attribute says otherwise.
            startable_in_tasklist=process.get(f"{{{CAMUNDA}}}isStartableInTasklist", "true").lower()
            == "true",
            candidate_starter_users=candidate_starters(process)[0],
            candidate_starter_groups=candidate_starters(process)[1],
        )
        for process in processes
    ]
    return ModelReport(file_name, processes=models, warnings=warnings, notes=notes_of(root))


def _history_time_to_live(process: etree._Element) -> tuple[int | None, str | None]:
    """``camunda:historyTimeToLive`` in days: a number or ``P<days>D``, refused otherwise
    as Camunda's ``ParseUtil.parseHistoryTimeToLive`` refuses it (absent: none, as an
    engine without a configured default has). The days, or why they are refused."""
    text = process.get(f"{{{CAMUNDA}}}historyTimeToLive")
    if not text:
        return None, None
    days = iso.group(1) if (iso := _ISO_DAYS.match(text)) else text
    value = int(days) if _JAVA_INT.fullmatch(days) else None
    if value is None or not -(2**31) <= value < 2**31:
        return None, f'Cannot parse historyTimeToLive: For input string: "{days}"'
    if value < 0:
        return None, "Cannot parse historyTimeToLive: negative value is not allowed"
    return value, None


class _FileProblemError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def _parse(data: bytes) -> etree._Element:
    try:
        tree = parse_bpmn(data).getroottree()
    except etree.XMLSyntaxError as error:
        line, column = error.position
        raise _FileProblemError(
            Problem(f"not well-formed XML: {_AT.sub('', error.msg)}", line or 0, column or 0)
        ) from None
    if tree.docinfo.doctype:
        raise _FileProblemError(Problem("a DOCTYPE declaration is not accepted"))
    root = tree.getroot()
    if root.tag != f"{{{BPMN}}}definitions":
        raise _FileProblemError(
            Problem(f"the root element is {etree.QName(root).localname}, not BPMN's definitions")
        )
    return root


def _element_problems(process: etree._Element, positions: _Positions) -> list[Problem]:
    """A problem per refused element; inside a refused element only a container's
    content is looked at further (a refused timer's definition would say it twice)."""
    problems: list[Problem] = []
    skipped: set[etree._Element] = set()
    for element in process.iterdescendants():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        if element.getparent() in skipped:
            skipped.add(element)
            continue
        name = etree.QName(element)
        refusal = _refusal(element, name)
        if refusal is not None:
            problems.append(_problem(element, refusal, positions))
            if name.localname not in _CONTAINERS:
                skipped.add(element)
    return problems


def _problem(element: etree._Element, reason: str, positions: _Positions) -> Problem:
    line, column = positions.get(element, (element.sourceline or 0, 0))
    return Problem(reason, line, column, _element_id(element))


def _ignored_code_attributes(process: etree._Element) -> Iterator[tuple[etree._Element, str]]:
    """Code attributes where Camunda's BpmnParse never reads them (``camunda:class`` on a
    call activity, say): they run nothing there, so they deploy, with a warning."""
    for element in process.iterdescendants(f"{{{BPMN}}}*"):
        for attribute in element.attrib:
            qualified = etree.QName(attribute)
            if (
                qualified.namespace == CAMUNDA
                and qualified.localname in CODE_ATTRIBUTES
                and not code_task_attribute(element, qualified.localname)
            ):
                yield element, qualified.localname


def _refusal(element: etree._Element, name: etree.QName) -> str | None:
    """Why this server cannot run ``element``, or ``None``."""
    if name.namespace == CAMUNDA and stand_in_extension(element, name.localname):
        # Declares code run by a stand-in (a connector's own mapping too).
        return code_site_problems(element)
    if name.namespace == CAMUNDA and in_io_mapping(element):
        # A mapping is checked whole, at its camunda:inputOutput (.io_mappings).
        return io_refusal(element) if name.localname == "inputOutput" else None
    if name.namespace == BPMN:
        if (looped := loop_refusal(element, name.localname)) is not None:
            return looped
        if name.localname not in RUNNABLE_ELEMENTS:
            return f"{name.localname} is not supported (supported: {_supported()})"
        if name.localname == "subProcess" and element.get("triggeredByEvent") == "true":
            return code_events.event_subprocess_refusal(element)
    elif name.namespace == CAMUNDA and not _inert_extension(element, name.localname):
        return f"camunda:{name.localname} is not supported"
    for attribute in element.attrib:
        qualified = etree.QName(attribute)
        if (
            qualified.namespace == CAMUNDA
            and qualified.localname in _EXTERNAL_TASK_ATTRIBUTES
            and name.localname not in EXTERNAL_TASK_ELEMENTS
            and not _message_throw(element, name.localname)
        ):
            return f"camunda:{qualified.localname} is not supported on {name.localname}"
    if (problem := code_site_problems(element)) is not None:
        return problem
    if name.namespace == BPMN and name.localname in EXTERNAL_TASK_ELEMENTS:
        return _external_task_refusal(element, name.localname)
    if name.namespace == BPMN and name.localname == "boundaryEvent":
        return _boundary_event_refusal(element)
    if name.namespace == BPMN and name.localname == "callActivity":
        return call_activities.refusal(element)
    if name.namespace == BPMN and name.localname in code_events.DEFINITIONS:
        return code_events.definition_refusal(element, name.localname)
    if name.namespace == BPMN and name.localname == "conditionExpression":
        return _condition_refusal(element)
    if (
        name.namespace == BPMN
        and name.localname in POTENTIAL_STARTER_CONTENT
        and not any(a.tag == f"{{{CAMUNDA}}}potentialStarter" for a in element.iterancestors())
    ):
        return f"{name.localname} is supported in camunda:potentialStarter only"
    if name.namespace == BPMN and name.localname in CATCH_ELEMENTS:
        return catch_event_refusal(element, name.localname)
    if name.namespace == BPMN and name.localname == "terminateEventDefinition":
        parent = element.getparent()
        if parent is None or etree.QName(parent).localname != "endEvent":
            return "terminate events are end events only"
    if name.namespace == BPMN and name.localname in ("startEvent", "userTask"):
        try:
            form_declaration(element, with_fields=False)
        except FormDeclarationError as error:
            return str(error)
    if name.namespace == CAMUNDA and name.localname == "formField":
        # Checked here, not with its task, so that a refusal names the field as Camunda's does.
        try:
            form_field(element)
        except FormDeclarationError as error:
            return str(error)
    if name.namespace == BPMN and name.localname == "userTask":
        # BpmnParse.parseTaskDefinition compiles the name as an expression too.
        task_name = element.get("name")
        if task_name is not None:
            try:
                compile_expression(task_name)
            except ExpressionError as error:
                return f"name: {error}"
        for attribute in USER_TASK_ATTRIBUTES:
            source = element.get(f"{{{CAMUNDA}}}{attribute}")
            if source is not None:
                try:
                    compile_expression(source)
                except ExpressionError as error:
                    return f"camunda:{attribute}: {error}"
    return None


def _message_throw(element: etree._Element, kind: str) -> bool:
    """A message throw or end event's definition (taskvars.engine.message_throws)."""
    parent = element.getparent()
    return (
        kind == "messageEventDefinition"
        and parent is not None
        and etree.QName(parent).localname in message_throws.THROWING_EVENTS
    )


def _external_task_refusal(element: etree._Element, kind: str) -> str | None:
    """Camunda's BpmnParse: a task of these kinds runs Java or DMN unless it is external;
    an external task names its topic; a constant priority is a whole number."""
    task_type = element.get(f"{{{CAMUNDA}}}type")
    if task_type is None:
        return None  # code, run by a stand-in (code_site_problems checked it)
    if task_type != "external":
        if task_type is not None:
            return f"camunda:type '{task_type}' is not supported: only 'external'"
        return f'a {kind} runs only as an external task here: camunda:type="external"'
    topic = element.get(f"{{{CAMUNDA}}}topic")
    if topic is None:
        return "External tasks must specify a 'topic' attribute in the camunda namespace"
    for attribute, source in (("topic", topic), ("taskPriority", _priority(element))):
        if source is None:
            continue
        try:
            expression = compile_expression(source)
        except ExpressionError as error:
            return f"camunda:{attribute}: {error}"
        if attribute == "taskPriority" and expression.is_literal and not _java_int(source):
            return f"Value '{source}' for attribute 'taskPriority' is not a valid number"
    return None


def _priority(element: etree._Element) -> str | None:
    found = element.get(f"{{{CAMUNDA}}}taskPriority")
    return None if found is None else str(found)


def _java_int(text: str) -> bool:
    """Java's ``Integer.parseInt`` accepts it."""
    return bool(_JAVA_INT.fullmatch(text)) and -(2**31) <= int(text) < 2**31


def _boundary_event_refusal(event: etree._Element) -> str | None:
    """Timer, message and signal boundary events, interrupting or not
    (taskvars.engine.event_waits); error and escalation ones as code_events admits them."""
    definitions = [
        etree.QName(child).localname
        for child in event.iterchildren()
        if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
    ]
    if len(definitions) == 1 and definitions[0] in CATCH_DEFINITIONS:
        return None
    refused = code_events.boundary_refusal(event)
    if refused is not None and refused.startswith("only error and escalation"):
        return (
            "only error, escalation, timer, message, signal and conditional boundary "
            "events are supported"
        )
    return refused


def _condition_refusal(condition: etree._Element) -> str | None:
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


def _engine_problem(
    root: etree._Element, file_name: str, process: etree._Element, positions: _Positions
) -> Problem | None:
    """The parser that runs the model builds ``process`` (:mod:`.adapter`), or says why
    not (SpiffWorkflow stops at its first problem in a process)."""
    try:
        check_builds(root, file_name, [process.get("id", "")])
    except SpecBuildError as error:
        element = _by_id(root, error.element_id)
        line, column = (
            positions.get(element, (error.line or 0, 0))
            if element is not None
            else (
                error.line or 0,
                0,
            )
        )
        return Problem(error.reason, line, column, error.element_id)
    return None


def _by_id(root: etree._Element, element_id: str | None) -> etree._Element | None:
    if not element_id:
        return None
    return next((element for element in root.iter() if element.get("id") == element_id), None)


def _inert_extension(element: etree._Element, name: str) -> bool:
    """Properties anywhere; a start event's or a user task's generated form; what
    declares code run by stand-ins (taskvars.engine.code_sites)."""
    if name in INERT_EXTENSIONS or stand_in_extension(element, name):
        return True
    if name == "potentialStarter":
        # The process's own (taskvars.engine.starters); Camunda reads no other.
        extensions = element.getparent()
        owner = extensions.getparent() if extensions is not None else None
        return owner is not None and owner.tag == f"{{{BPMN}}}process"
    if name in call_activities.MAPPING_EXTENSIONS:
        extensions = element.getparent()
        owner = extensions.getparent() if extensions is not None else None
        if name == "in" and owner is not None and signal_payloads.signal_throw_payload(owner):
            return True  # checked with the definition (signal_payloads.refusal)
        return owner is not None and owner.tag == f"{{{BPMN}}}callActivity"
    return name in FORM_EXTENSIONS and any(
        ancestor.tag in FORM_ELEMENTS for ancestor in element.iterancestors()
    )


def _element_id(element: etree._Element) -> str | None:
    """The id of ``element``, or of the nearest element around it that has one."""
    current: etree._Element | None = element
    while current is not None:
        if identifier := current.get("id"):
            return str(identifier)
        current = current.getparent()
    return None


def _supported() -> str:
    return (
        "start and end events, terminate end events, none intermediate throw events, "
        "user tasks, tasks, manual tasks, external service, send and business rule tasks, "
        "error boundary events, exclusive, parallel and inclusive gateways, sub-processes, "
        "call activities, data objects and stores, annotations and groups"
    )
