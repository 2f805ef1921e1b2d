"""BPMN files as XML: the namespaces this server reads, and the one way a deployed file
is parsed (no entities, no DTD, nothing fetched: a model is data, not instructions)."""

from __future__ import annotations

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"

# Camunda attributes of a user task (camunda: namespace) whose values are expressions
# (or plain text).
USER_TASK_ATTRIBUTES = (
    "assignee",
    "candidateUsers",
    "candidateGroups",
    "formKey",
    "formRef",
    "formRefBinding",
    "formRefVersion",
    "dueDate",
    "followUpDate",
    "priority",
)


# Camunda's parser reads its extensions in this older namespace too (BpmnParse's
# CAMUNDA_BPMN_EXTENSIONS_NS has it as its alternative URI): models drawn for Activiti or
# early Camunda versions use it.
ACTIVITI = "http://activiti.org/bpmn"


def parse_bpmn(data: bytes) -> etree._Element:
    """The root element, Activiti's extension namespace read as Camunda's;
    ``etree.XMLSyntaxError`` for what is not well-formed."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    root = etree.fromstring(data, parser)
    if ACTIVITI.encode() in data:
        _as_camunda(root)
    return root


def _as_camunda(root: etree._Element) -> None:
    activiti = f"{{{ACTIVITI}}}"
    for element in root.iter(tag=etree.Element):
        if element.tag.startswith(activiti):
            element.tag = f"{{{CAMUNDA}}}{element.tag[len(activiti) :]}"
        for name in [name for name in element.attrib if name.startswith(activiti)]:
            element.set(f"{{{CAMUNDA}}}{name[len(activiti) :]}", element.attrib.pop(name))
