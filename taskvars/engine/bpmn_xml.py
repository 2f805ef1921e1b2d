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


def parse_bpmn(data: bytes) -> etree._Element:
    """The root element; ``etree.XMLSyntaxError`` for what is not well-formed."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    return etree.fromstring(data, parser)
