"""The deployment check's part for loops: multi-instance characteristics pass on the
activities this server repeats, with their expressions compiled; the rest is refused
with Camunda's reason (BpmnParse) or this server's."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.engine.model_check import ModelRefusedError, check_model

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = (MODELS / "invoice.bpmn").read_text()


def looped(characteristics: str, element: str = "checkInvoice") -> bytes:
    """The invoice model with ``characteristics`` on the element ``element``."""
    start = INVOICE.index(f'id="{element}"')
    end = INVOICE.index(">", start) + 1
    return (INVOICE[:end] + f"\n      {characteristics}" + INVOICE[end:]).encode()


@pytest.mark.parametrize(
    "characteristics",
    [
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="clerks" '
        'camunda:elementVariable="clerk" />',
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
        'camunda:collection="${order.lines}" />',
        "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3</bpmn:loopCardinality>"
        "<bpmn:completionCondition>${nrOfCompletedInstances &gt;= 2}</bpmn:completionCondition>"
        "</bpmn:multiInstanceLoopCharacteristics>",
        '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${order.lines}">'
        "<bpmn:completionCondition>${nrOfCompletedInstances / nrOfInstances &gt;= 0.6}"
        "</bpmn:completionCondition></bpmn:multiInstanceLoopCharacteristics>",
    ],
)
def test_multi_instance_user_tasks_deploy(characteristics: str) -> None:
    assert [m.key for m in check_model("invoice.bpmn", looped(characteristics))] == ["invoice"]


@pytest.mark.parametrize(
    ("characteristics", "element", "reason"),
    [
        (
            "<bpmn:standardLoopCharacteristics />",
            "checkInvoice",
            "standardLoopCharacteristics is not supported: Camunda 7 does not run standard loops",
        ),
        (
            '<bpmn:multiInstanceLoopCharacteristics camunda:elementVariable="clerk">'
            "<bpmn:loopCardinality>2</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>",
            "checkInvoice",
            "LoopDataInputRef/activiti:collection must be set when using inputDataItem or "
            "activiti:elementVariable",
        ),
        (
            "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality> </bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>",
            "checkInvoice",
            "loopCardinality must be defined",
        ),
        (
            "<bpmn:multiInstanceLoopCharacteristics>"
            "<bpmn:loopCardinality>${size = 1}</bpmn:loopCardinality>"
            "</bpmn:multiInstanceLoopCharacteristics>",
            "checkInvoice",
            "loopCardinality: ",
        ),
        (
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="${bean.call()}" />',
            "checkInvoice",
            "camunda:collection: ",
        ),
        (
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="clerks">'
            "<bpmn:completionCondition>${count(done)}</bpmn:completionCondition>"
            "</bpmn:multiInstanceLoopCharacteristics>",
            "checkInvoice",
            "completionCondition: ",
        ),
        (
            '<bpmn:multiInstanceLoopCharacteristics camunda:collection="clerks" />',
            "AmountDecision",
            "multi-instance is supported on user tasks, external tasks, sub-processes and "
            "call activities, not on exclusiveGateway",
        ),
    ],
)
def test_loops_this_server_cannot_run_are_refused(
    characteristics: str, element: str, reason: str
) -> None:
    with pytest.raises(ModelRefusedError) as raised:
        check_model("invoice.bpmn", looped(characteristics, element))
    assert raised.value.element_id == element
    assert raised.value.reason.startswith(reason), raised.value.reason
