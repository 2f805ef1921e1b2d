"""What Camunda draws and stores but does not run: data objects and stores, their
associations, BPMN properties, annotations, groups and categories.

Camunda's ``BpmnParse`` reads none of them into its process model (a data store reference
is a shape on the diagram to it); SpiffWorkflow would make some of them data it copies
into task data, or refuse a data store it has no implementation for. The engine is handed
a copy of the model without them, so they change nothing in a run.
"""

from __future__ import annotations

import copy

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN

# BPMN elements (local names) that change nothing in a run, wherever they are.
ARTIFACTS = frozenset(
    {
        "dataObject",
        "dataObjectReference",
        "dataStore",
        "dataStoreReference",
        "dataInputAssociation",
        "dataOutputAssociation",
        "property",
        "textAnnotation",
        "association",
        "group",
        "category",
    }
)
# What the artifacts above contain (the model check meets them inside a process).
ARTIFACT_CONTENT = frozenset(
    {"sourceRef", "targetRef", "dataState", "transformation", "assignment", "from", "to"}
)


def without_artifacts(root: etree._Element) -> etree._Element:
    """A copy of the model ``root`` without its artifacts; ``root`` itself unchanged."""
    stripped = copy.deepcopy(root)
    found = [
        element
        for element in stripped.iter(f"{{{BPMN}}}*")
        if etree.QName(element).localname in ARTIFACTS
    ]
    for element in found:
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    return stripped
