"""The deployment check's part for loops (:mod:`.model_check` asks it): multi-instance
characteristics on the activities this server can repeat, read and compiled as Camunda's
``BpmnParse.parseMultiInstanceLoopCharacteristics`` reads them; standard loops refused.
"""

from __future__ import annotations

from lxml import etree

from taskvars.engine.bpmn_xml import BPMN, CAMUNDA
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.external_service_tasks import EXTERNAL_TASK_ELEMENTS

# The elements a multi-instance loop may wrap here.
LOOPED_ELEMENTS = frozenset({"userTask", "subProcess", "callActivity", *EXTERNAL_TASK_ELEMENTS})
LOOP_ELEMENTS = frozenset(
    {"multiInstanceLoopCharacteristics", "loopCardinality", "completionCondition"}
)


def loop_refusal(element: etree._Element, localname: str) -> str | None:
    """Why this server cannot run the loop element ``element``, or ``None`` (also for an
    element that is none of its business)."""
    if localname == "standardLoopCharacteristics":
        # BpmnParse reads no standard loop: Camunda runs the activity once, where
        # SpiffWorkflow would repeat it.
        return (
            "standardLoopCharacteristics is not supported: Camunda 7 does not run standard "
            "loops; use multiInstanceLoopCharacteristics"
        )
    if localname == "multiInstanceLoopCharacteristics":
        return _characteristics_refusal(element)
    if localname in ("loopCardinality", "completionCondition"):
        source = (element.text or "").strip()
        if localname == "loopCardinality" and not source:
            return (
                "loopCardinality must be defined for a multiInstanceLoopCharacteristics definition"
            )
        if source:
            try:
                compile_expression(source)
            except ExpressionError as error:
                return f"{localname}: {error}"
    return None


def _characteristics_refusal(element: etree._Element) -> str | None:
    parent = element.getparent()
    owner = etree.QName(parent).localname if parent is not None else ""
    if owner not in LOOPED_ELEMENTS or (
        owner == "subProcess" and parent is not None and parent.get("triggeredByEvent") == "true"
    ):
        return (
            "multi-instance is supported on user tasks, external tasks, sub-processes and "
            "call activities, "
            f"not on {owner}"
        )
    collection = element.get(f"{{{CAMUNDA}}}collection")
    has_cardinality = element.find(f"{{{BPMN}}}loopCardinality") is not None
    if not has_cardinality and collection is None:
        return "Either loopCardinality or loopDataInputRef/activiti:collection must be set"
    if collection is None and element.get(f"{{{CAMUNDA}}}elementVariable") is not None:
        return (
            "LoopDataInputRef/activiti:collection must be set when using inputDataItem or "
            "activiti:elementVariable"
        )
    if collection is not None and "{" in collection:  # else a variable's name
        try:
            compile_expression(collection)
        except ExpressionError as error:
            return f"camunda:collection: {error}"
    return None
