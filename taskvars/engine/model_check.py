"""BPMN files as Camunda Modeler writes them, checked before anything is deployed: this
server runs a model only if it can run every element of it, as Camunda would.

A model passes three checks, in order, and the first refusal names the file, the element
(its id and line) and the reason:

1. it is well-formed XML without a DOCTYPE (no entities, nothing fetched) whose root is
   BPMN's ``definitions``, with at least one executable process;
2. every element and Camunda extension inside its processes is one this server runs
   (:data:`RUNNABLE_ELEMENTS`): a script task, a service task, a timer or a listener would
   be skipped silently or fail later, so it is refused now; every expression (gateway
   conditions, task attributes) compiles in the supported subset
   (:mod:`taskvars.engine.expressions`);
3. SpiffWorkflow's Camunda parser, the engine that will run it, builds every process
   (a process without a start event, an exclusive flow without a condition, ...).

Elements outside any process (the diagram, collaborations) are not looked at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree

from taskvars.engine import call_activities
from taskvars.engine.adapter import SpecBuildError, check_builds
from taskvars.engine.bpmn_xml import BPMN, CAMUNDA, USER_TASK_ATTRIBUTES, parse_bpmn
from taskvars.engine.code_sites import code_site_problems, code_task_attribute, stand_in_extension
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.external_service_tasks import EXTERNAL_TASK_ELEMENTS
from taskvars.engine.forms import FormDeclarationError, form_declaration, form_field
from taskvars.engine.io_mappings import in_io_mapping, io_refusal
from taskvars.engine.multi_instance_check import LOOP_ELEMENTS, loop_refusal

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
        # Only interrupting error boundary events (checked below).
        "boundaryEvent",
        "errorEventDefinition",
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
        # Checked by multi_instance_check.
        *LOOP_ELEMENTS,
    }
)
# Camunda extension elements that change nothing in a run.
INERT_EXTENSIONS = frozenset({"properties", "property"})
# A generated form (camunda:formData) of a start event or a user task.
FORM_EXTENSIONS = frozenset({"formData", "formField", "validation", "constraint", "value"})
FORM_ELEMENTS = frozenset({f"{{{BPMN}}}startEvent", f"{{{BPMN}}}userTask"})
# Java's Integer.parseInt, as ParseUtil.parseHistoryTimeToLive applies it.
_JAVA_INT = re.compile(r"[+-]?[0-9]+")
_ISO_DAYS = re.compile(r"^P(\d+)D$")
# Camunda attributes that would run code or call out; ``type`` and ``topic`` are an
# external task's (checked with the element).
CODE_ATTRIBUTES = frozenset({"class", "expression", "delegateExpression", "resultVariable"})
_EXTERNAL_TASK_ATTRIBUTES = frozenset({"type", "topic"})


class ModelRefusedError(ValueError):
    """The model cannot be deployed; says where and why."""

    def __init__(
        self, file_name: str, reason: str, element_id: str | None = None, line: int | None = None
    ) -> None:
        where = f"element '{element_id}'" if element_id else "the file"
        at_line = f" (line {line})" if line else ""
        super().__init__(f"{file_name}: {where}{at_line}: {reason}")
        self.file_name = file_name
        self.element_id = element_id
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class ProcessModel:
    """One executable process of a checked file."""

    key: str  # the process id: Camunda's process definition key
    name: str | None
    category: str | None  # the file's targetNamespace, as Camunda reports it
    version_tag: str | None
    history_time_to_live: int | None  # days
    startable_in_tasklist: bool


def check_model(file_name: str, data: bytes) -> list[ProcessModel]:
    """The executable processes of the BPMN file ``data``; raises
    :class:`ModelRefusedError` for the first thing this server cannot run."""
    root = _parse(file_name, data)
    processes = [
        process
        for process in root.iterchildren(f"{{{BPMN}}}process")
        if process.get("isExecutable") == "true"
    ]
    if not processes:
        raise ModelRefusedError(
            file_name, 'no executable process (a process with isExecutable="true")'
        )
    for process in processes:
        _check_elements(file_name, process)
    _check_with_engine(file_name, root, [process.get("id", "") for process in processes])
    return [
        ProcessModel(
            key=process.get("id", ""),
            name=process.get("name"),
            category=root.get("targetNamespace"),
            version_tag=process.get(f"{{{CAMUNDA}}}versionTag"),
            history_time_to_live=_history_time_to_live(file_name, process),
            # BpmnParse.isStartable: true unless the attribute says otherwise.
            startable_in_tasklist=process.get(f"{{{CAMUNDA}}}isStartableInTasklist", "true").lower()
            == "true",
        )
        for process in processes
    ]


def _history_time_to_live(file_name: str, process: etree._Element) -> int | None:
    """``camunda:historyTimeToLive`` in days: a number or ``P<days>D``, refused otherwise
    as Camunda's ``ParseUtil.parseHistoryTimeToLive`` refuses it (absent: none, as an
    engine without a configured default has)."""
    text = process.get(f"{{{CAMUNDA}}}historyTimeToLive")
    if not text:
        return None
    days = iso.group(1) if (iso := _ISO_DAYS.match(text)) else text
    value = int(days) if _JAVA_INT.fullmatch(days) else None
    if value is None or not -(2**31) <= value < 2**31:
        reason = f'Cannot parse historyTimeToLive: For input string: "{days}"'
    elif value < 0:
        reason = "Cannot parse historyTimeToLive: negative value is not allowed"
    else:
        return value
    raise ModelRefusedError(file_name, reason, process.get("id"), process.sourceline)


def _parse(file_name: str, data: bytes) -> etree._Element:
    try:
        tree = parse_bpmn(data).getroottree()
    except etree.XMLSyntaxError as error:
        raise ModelRefusedError(file_name, f"not well-formed XML: {error.msg}") from None
    if tree.docinfo.doctype:
        raise ModelRefusedError(file_name, "a DOCTYPE declaration is not accepted")
    root = tree.getroot()
    if root.tag != f"{{{BPMN}}}definitions":
        raise ModelRefusedError(
            file_name, f"the root element is {etree.QName(root).localname}, not BPMN's definitions"
        )
    return root


def _check_elements(file_name: str, process: etree._Element) -> None:
    for element in process.iterdescendants():
        if not isinstance(element.tag, str):
            continue  # comments, processing instructions
        name = etree.QName(element)
        refusal = _refusal(element, name)
        if refusal is not None:
            raise ModelRefusedError(file_name, refusal, _element_id(element), element.sourceline)


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
            return "event sub-processes are not supported"
    elif name.namespace == CAMUNDA and not _inert_extension(element, name.localname):
        return f"camunda:{name.localname} is not supported"
    for attribute in element.attrib:
        qualified = etree.QName(attribute)
        if (
            qualified.namespace == CAMUNDA
            and qualified.localname in CODE_ATTRIBUTES
            and not code_task_attribute(element, qualified.localname)
        ):
            return f"camunda:{qualified.localname} would run code, which this server does not"
        if (
            qualified.namespace == CAMUNDA
            and qualified.localname in _EXTERNAL_TASK_ATTRIBUTES
            and name.localname not in EXTERNAL_TASK_ELEMENTS
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
    if name.namespace == BPMN and name.localname == "errorEventDefinition":
        parent = element.getparent()
        if parent is None or etree.QName(parent).localname != "boundaryEvent":
            return "error events are supported as boundary events only"
    if name.namespace == BPMN and name.localname == "conditionExpression":
        return _condition_refusal(element)
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
    """Error boundary events, interrupting (timers and messages come later)."""
    definitions = [
        etree.QName(child).localname
        for child in event.iterchildren()
        if isinstance(child.tag, str) and etree.QName(child).localname.endswith("EventDefinition")
    ]
    if definitions != ["errorEventDefinition"]:
        return "only error boundary events are supported"
    if event.get("cancelActivity", "true") == "false":
        return "non-interrupting error boundary events are not supported"
    return None


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


def _check_with_engine(file_name: str, root: etree._Element, keys: list[str]) -> None:
    """The parser that runs the model builds it (:mod:`.adapter`)."""
    try:
        check_builds(root, file_name, keys)
    except SpecBuildError as error:
        raise ModelRefusedError(file_name, error.reason, error.element_id, error.line) from None


def _inert_extension(element: etree._Element, name: str) -> bool:
    """Properties anywhere; a start event's or a user task's generated form; what
    declares code run by stand-ins (taskvars.engine.code_sites)."""
    if name in INERT_EXTENSIONS or stand_in_extension(element, name):
        return True
    if name in call_activities.MAPPING_EXTENSIONS:
        extensions = element.getparent()
        owner = extensions.getparent() if extensions is not None else None
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
        "start and end events, user tasks, external service, send and business rule tasks, "
        "error boundary events, exclusive, parallel and inclusive gateways, sub-processes, "
        "call activities"
    )
