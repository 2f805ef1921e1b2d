"""The places a model calls code this server cannot run: Java delegates (``camunda:class``,
``camunda:delegateExpression``), method expressions (``camunda:expression``), scripts,
DMN decisions (``camunda:decisionRef``), connectors, and the execution and task listeners
declaring any of them. Each needs a stand-in (:mod:`.stand_ins`) to run here.

:func:`code_sites` lists them; :func:`needs_stand_ins` says which a stand-ins file
covers (what ``taskvars check-model`` prints); :func:`code_site_problems` gives
Camunda's parse errors for the malformed ones (``BpmnParse``'s messages).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.message_throws import THROWING_EVENTS, code_of
from taskvars.engine.stand_ins import Action, StandIn, StandIns

# Elements Camunda parses as service tasks (BpmnParse.parseServiceTaskLike).
SERVICE_TASK_LIKE = ("serviceTask", "sendTask", "businessRuleTask")
# Camunda's task listener events (BpmnParse.parseTaskListeners; "timeout" needs timers).
TASK_LISTENER_EVENTS = ("create", "assignment", "complete", "update", "delete")
# ScriptingEngines.DEFAULT_SCRIPTING_LANGUAGE: a script without scriptFormat.
DEFAULT_SCRIPT_LANGUAGE = "juel"


class CodeKind(enum.StrEnum):
    CLASS = "class"
    DELEGATE_EXPRESSION = "delegateExpression"
    EXPRESSION = "expression"
    SCRIPT = "script"
    DECISION = "decision"
    CONNECTOR = "connector"


# Where a stand-in for each kind is looked up besides the element table.
_TABLES = {
    CodeKind.CLASS: "class",
    CodeKind.DELEGATE_EXPRESSION: "expression",
    CodeKind.EXPRESSION: "expression",
    CodeKind.SCRIPT: None,  # a script's text is no key: by element only
    CodeKind.DECISION: "decision",
    CodeKind.CONNECTOR: "connector",
}
# What a listener's stand-in may do (a listener is not a wait, nor a task to fail).
LISTENER_ACTIONS = frozenset({Action.SET, Action.FAIL})


@dataclass(frozen=True)
class CodeSite:
    """One call of code: on a task (``listener`` None), or a listener on an element."""

    process_id: str
    element_id: str  # the task's, or the element the listener is on (or the process)
    element_type: str  # serviceTask, scriptTask, sequenceFlow, process, ...
    line: int | None
    kind: CodeKind
    reference: str  # the class name, the expression, "groovy (inline)", the decision...
    listener: str | None = None  # "executionListener" or "taskListener"
    event: str | None = None  # start, end, take; create, assignment, complete, ...
    result_variable: str | None = None
    # A sequence flow's listener: the flow's (sourceRef, targetRef).
    flow: tuple[str, str] | None = None

    @property
    def key(self) -> str:
        """Its key in a stand-ins file's element table."""
        return self.element_id if self.listener is None else f"{self.element_id}:{self.event}"

    @property
    def table(self) -> str | None:
        return _TABLES[self.kind]

    def stand_in(self, stand_ins: StandIns) -> StandIn | None:
        """What stands in for this code in ``stand_ins``: one for its element first."""
        return stand_ins.find(self.key, self.table, self.reference)

    def describe(self) -> str:
        what = f"{self.kind.value} {self.reference}"
        if self.listener is not None:
            return f"{self.listener} ({self.event}): {what}"
        return what


@dataclass(frozen=True)
class Coverage:
    site: CodeSite
    stand_in: StandIn | None
    # None when covered; else why not (no stand-in, or one a listener cannot use).
    gap: str | None


def needs_stand_ins(root: etree._Element, stand_ins: StandIns) -> list[Coverage]:
    """Every code site of a model's executable processes, with the stand-in that covers
    it in ``stand_ins`` (or why none does), in the order of the file."""
    found = []
    for site in code_sites(root):
        stand_in = site.stand_in(stand_ins)
        gap = None
        if stand_in is None:
            gap = "no stand-in"
        elif site.listener is not None and stand_in.action not in LISTENER_ACTIONS:
            gap = f"{stand_in.key}: a listener's stand-in can only set or fail"
        found.append(Coverage(site, stand_in, gap))
    return found


def code_sites(root: etree._Element) -> list[CodeSite]:
    """Every code site of the executable processes of a parsed BPMN file."""
    sites: list[CodeSite] = []
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        if process.get("isExecutable") != "true":
            continue
        process_id = process.get("id", "")
        sites.extend(_listeners(process_id, process))
        for element in process.iterdescendants():
            if not isinstance(element.tag, str) or etree.QName(element).namespace != BPMN:
                continue
            if element.get("id") is None:
                continue
            site = _task_site(process_id, element)
            if site is not None:
                sites.append(site)
            sites.extend(_listeners(process_id, element))
    return sites


def task_sites(root: etree._Element) -> dict[str, CodeSite]:
    """The code tasks of a file (not listeners), by element id."""
    return {site.element_id: site for site in code_sites(root) if site.listener is None}


def listener_sites(root: etree._Element) -> dict[str, list[CodeSite]]:
    """The listeners of a file by element id (a process's under its id), in model order."""
    found: dict[str, list[CodeSite]] = {}
    for site in code_sites(root):
        if site.listener is not None:
            found.setdefault(site.element_id, []).append(site)
    return found


def is_code_task(element: etree._Element) -> bool:
    """A service-like task that calls code (not an external task), or a script task."""
    name = etree.QName(element).localname
    if name == "scriptTask":
        return True
    return name in SERVICE_TASK_LIKE and element.get(f"{{{CAMUNDA}}}type") is None


def _task_site(process_id: str, element: etree._Element) -> CodeSite | None:
    name = etree.QName(element).localname
    if name in THROWING_EVENTS:
        code = code_of(element)
        if code is None:
            return None
        attribute, value = code
        definition = element.find(f"{{{BPMN}}}messageEventDefinition")
        result = None if definition is None else definition.get(f"{{{CAMUNDA}}}resultVariable")
        return _site(process_id, element, CodeKind(attribute), value, result_variable=result)
    if name == "scriptTask":
        reference = _script_reference(element, "scriptFormat")
        return _site(process_id, element, CodeKind.SCRIPT, reference)
    if name not in SERVICE_TASK_LIKE or element.get(f"{{{CAMUNDA}}}type") is not None:
        return None
    result = element.get(f"{{{CAMUNDA}}}resultVariable")
    decision = (CodeKind.DECISION, "decisionRef")
    # BpmnParse.parseBusinessRuleTask: a decisionRef wins over the service task's attributes.
    for kind, attribute in (
        *([decision] if name == "businessRuleTask" else []),
        (CodeKind.CLASS, "class"),
        (CodeKind.DELEGATE_EXPRESSION, "delegateExpression"),
        (CodeKind.EXPRESSION, "expression"),
    ):
        value = element.get(f"{{{CAMUNDA}}}{attribute}")
        if value is not None and value.strip():
            return _site(process_id, element, kind, value.strip(), result_variable=result)
    connector = _connector_id(element)
    if connector is not None:
        return _site(process_id, element, CodeKind.CONNECTOR, connector)
    return None


def _site(
    process_id: str,
    element: etree._Element,
    kind: CodeKind,
    reference: str,
    result_variable: str | None = None,
) -> CodeSite:
    return CodeSite(
        process_id,
        str(element.get("id")),
        etree.QName(element).localname,
        element.sourceline,
        kind,
        reference,
        result_variable=result_variable,
    )


def _listeners(process_id: str, owner: etree._Element) -> Iterator[CodeSite]:
    """The listeners in ``owner``'s own extension elements."""
    owner_type = etree.QName(owner).localname
    for extensions in owner.iterchildren(f"{{{BPMN}}}extensionElements"):
        for listener in extensions.iterchildren(
            f"{{{CAMUNDA}}}executionListener", f"{{{CAMUNDA}}}taskListener"
        ):
            listener_type = etree.QName(listener).localname
            # A sequence flow's listeners all fire when it is taken, whatever they say.
            event = "take" if owner_type == "sequenceFlow" else (listener.get("event") or "")
            found = _listener_code(listener)
            if found is None:
                continue
            kind, reference = found
            flow = (
                (owner.get("sourceRef", ""), owner.get("targetRef", ""))
                if owner_type == "sequenceFlow"
                else None
            )
            yield CodeSite(
                process_id,
                str(owner.get("id", process_id)),
                owner_type,
                listener.sourceline,
                kind,
                reference,
                listener=listener_type,
                event=event,
                flow=flow,
            )


def _listener_code(listener: etree._Element) -> tuple[CodeKind, str] | None:
    for kind, attribute in (
        (CodeKind.CLASS, "class"),
        (CodeKind.EXPRESSION, "expression"),
        (CodeKind.DELEGATE_EXPRESSION, "delegateExpression"),
    ):
        value = listener.get(attribute)
        if value is not None and value.strip():
            return kind, value.strip()
    script = listener.find(f"{{{CAMUNDA}}}script")
    if script is not None:
        return CodeKind.SCRIPT, _script_reference(script, "scriptFormat", resource_in_camunda=False)
    return None


def _script_reference(
    element: etree._Element, format_attribute: str, *, resource_in_camunda: bool = True
) -> str:
    language = element.get(format_attribute) or DEFAULT_SCRIPT_LANGUAGE
    resource_name = f"{{{CAMUNDA}}}resource" if resource_in_camunda else "resource"
    resource = element.get(resource_name)
    return f"{language} ({resource})" if resource else f"{language} (inline)"


def _connector_id(element: etree._Element) -> str | None:
    for extensions in element.iterchildren(f"{{{BPMN}}}extensionElements"):
        for connector in extensions.iterchildren(f"{{{CAMUNDA}}}connector"):
            found = connector.find(f"{{{CAMUNDA}}}connectorId")
            return (found.text or "").strip() if found is not None else ""
    return None


def code_site_problems(element: etree._Element) -> str | None:
    """Camunda's parse error for a malformed code site at ``element`` (a task, or a
    listener element), or ``None``."""
    name = etree.QName(element)
    if name.namespace == BPMN and name.localname in SERVICE_TASK_LIKE:
        return _service_task_problem(element, name.localname)
    if name.namespace == BPMN and name.localname == "scriptTask":
        source = element.find(f"{{{BPMN}}}script")
        if source is None and not element.get(f"{{{CAMUNDA}}}resource"):
            # ScriptUtil.getScript, through BpmnParse.parseScriptTaskElement.
            return "Unable to process ScriptTask: No script source or resource was given"
        return None
    if name.namespace == CAMUNDA and name.localname in ("executionListener", "taskListener"):
        return _listener_problem(element, name.localname)
    return None


def _service_task_problem(element: etree._Element, kind: str) -> str | None:
    if element.get(f"{{{CAMUNDA}}}type") is not None:
        return None  # an external task: the model check's
    if kind == "businessRuleTask" and element.get(f"{{{CAMUNDA}}}decisionRef") is not None:
        return None
    result = element.get(f"{{{CAMUNDA}}}resultVariable") is not None
    class_name = (element.get(f"{{{CAMUNDA}}}class") or "").strip()
    if class_name:
        if result:
            return f"'resultVariableName' not supported for {kind} elements using 'class'"
        return None
    if element.get(f"{{{CAMUNDA}}}delegateExpression") is not None:
        if result:
            return (
                f"'resultVariableName' not supported for {kind} elements using 'delegateExpression'"
            )
        return None
    if (element.get(f"{{{CAMUNDA}}}expression") or "").strip():
        return None
    if _connector_id(element) is not None:
        return None
    if kind == "sendTask":
        return (
            "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' "
            "is mandatory on sendTask."
        )
    return (
        "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is "
        f"mandatory on {kind}. If you are using a connector, make sure the connect process "
        "engine plugin is registered with the process engine."
    )


def _listener_problem(listener: etree._Element, kind: str) -> str | None:
    owner = listener.getparent()
    owner = owner.getparent() if owner is not None else None
    owner_type = etree.QName(owner).localname if owner is not None else ""
    event = (listener.get("event") or "").strip()
    if kind == "taskListener":
        if not event:
            return "Attribute 'event' is mandatory on taskListener"
        if event == "timeout":
            return "task listeners of event 'timeout' are not supported (they need timers)"
        if event not in TASK_LISTENER_EVENTS:
            return (
                "Attribute 'event' must be one of "
                "{create|assignment|complete|update|delete|timeout}"
            )
    elif owner_type != "sequenceFlow":
        if not event:
            return "Attribute 'event' is mandatory on listener"
        if event not in ("start", "end"):
            return "Attribute 'event' must be one of {start|end}"
    for attribute in ("class", "delegateExpression"):
        value = listener.get(attribute)
        if value is not None and not value.strip():
            return f"Attribute '{attribute}' cannot be empty"
    if _listener_code(listener) is None:
        return (
            "Element 'class', 'expression', 'delegateExpression' or 'script' is mandatory on "
            f"{kind}"
        )
    return None


# camunda:* attributes that declare code, on the elements that may carry them.
_CODE_ATTRIBUTES: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        SERVICE_TASK_LIKE,
        frozenset({"class", "delegateExpression", "expression", "resultVariable"}),
    ),
    "scriptTask": frozenset({"resultVariable"}),
}
_LISTENERS = (f"{{{CAMUNDA}}}executionListener", f"{{{CAMUNDA}}}taskListener")


def code_task_attribute(element: etree._Element, attribute: str) -> bool:
    """``camunda:<attribute>`` declares code where it is (run by a stand-in)."""
    if etree.QName(element).namespace != BPMN:
        return False
    parent = element.getparent()
    if (
        etree.QName(element).localname == "messageEventDefinition"
        and parent is not None
        and etree.QName(parent).localname in THROWING_EVENTS
    ):
        return attribute in _CODE_ATTRIBUTES["serviceTask"]
    return attribute in _CODE_ATTRIBUTES.get(etree.QName(element).localname, frozenset())


def stand_in_extension(element: etree._Element, name: str) -> bool:
    """A Camunda extension element that declares code (a listener, a field injection, a
    connector and what is inside it): deployed, and stood in for when it runs."""
    parent = element.getparent()
    parent_tag = parent.tag if parent is not None else None
    if any(ancestor.tag == f"{{{CAMUNDA}}}connector" for ancestor in element.iterancestors()):
        return True  # the connector's own parameters: a stand-in replaces all of it
    if name == "executionListener":
        return parent_tag == f"{{{BPMN}}}extensionElements"
    if name == "taskListener":
        owner = parent.getparent() if parent is not None else None
        return owner is not None and owner.tag == f"{{{BPMN}}}userTask"
    if name == "connector":
        owner = parent.getparent() if parent is not None else None
        return owner is not None and is_code_task(owner)
    if name == "field":
        owner = parent.getparent() if parent is not None else None
        return parent_tag in _LISTENERS or (owner is not None and is_code_task(owner))
    if name in ("string", "expression"):
        return parent_tag == f"{{{CAMUNDA}}}field"
    if name == "script":
        return parent_tag in _LISTENERS
    return False


def code_task_properties(root: etree._Element) -> dict[str, dict[str, str]]:
    """The ``camunda:properties`` of each code task, for the external task an
    ``external-topic`` stand-in makes of it (as Camunda's of an external task)."""
    from taskvars.engine.external_service_tasks import _properties

    found: dict[str, dict[str, str]] = {}
    for process in root.iterchildren(f"{{{BPMN}}}process"):
        for element in process.iterdescendants():
            if not isinstance(element.tag, str) or not element.get("id"):
                continue
            if is_code_task(element) and (properties := _properties(element)):
                found[str(element.get("id"))] = properties
    return found
