"""Call activities in the deployment check (Camunda's parse errors for what it refuses)
and as the runtime reads them."""

from __future__ import annotations

import pytest

from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.call_activities import Parameter, call_activity_models
from taskvars.engine.model_check import ModelRefusedError, check_model

MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="d" targetNamespace="t">
  <bpmn:process id="caller" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="call" />
    <bpmn:callActivity id="call" CALL>
      <bpmn:extensionElements>MAPPINGS</bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:callActivity>
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="e" />
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def model(call: str = 'calledElement="review"', mappings: str = "") -> bytes:
    return MODEL.replace("CALL", call).replace("MAPPINGS", mappings).encode()


def test_a_call_activity_with_its_mappings_deploys() -> None:
    mappings = (
        '<camunda:in businessKey="${orderId}" /><camunda:in source="a" target="b" />'
        '<camunda:in sourceExpression="${a}" target="c" local="true" />'
        '<camunda:in variables="all" /><camunda:out variables="all" />'
        '<camunda:out source="x" target="y" local="true" />'
    )
    call = (
        'calledElement="${which}" camunda:calledElementBinding="versionTag" '
        'camunda:calledElementVersionTag="v1" camunda:calledElementTenantId="acme"'
    )
    assert [p.key for p in check_model("call.bpmn", model(call, mappings))] == ["caller"]
    (found,) = call_activity_models(parse_bpmn(model(call, mappings))).values()
    assert found.called_element == "${which}"
    assert (found.binding, found.version_tag, found.tenant_id) == ("versionTag", "v1", "acme")
    assert found.business_key == "${orderId}"
    assert found.inputs == (
        Parameter(False, "a", None, "b", False),
        Parameter(False, None, "${a}", "c", True),
        Parameter(True, None, None, None, False),
    )
    assert found.outputs == (
        Parameter(True, None, None, None, False),
        Parameter(False, "x", None, "y", True),
    )


@pytest.mark.parametrize(
    ("call", "mappings", "reason"),
    [
        ("", "", "Missing attribute 'calledElement' or 'caseRef'"),
        ('camunda:caseRef="c"', "", "camunda:caseRef is not supported"),
        (
            'calledElement="r" camunda:calledElementBinding="version"',
            "",
            "Missing attribute 'calledElementVersion' when 'calledElementBinding' has value "
            "'version'",
        ),
        (
            'calledElement="r" camunda:calledElementBinding="versionTag"',
            "",
            "Missing attribute 'calledElementVersionTag' when 'calledElementBinding' has value "
            "'versionTag'",
        ),
        (
            'calledElement="r" camunda:variableMappingClass="org.example.M"',
            "",
            "camunda:variableMappingClass would run code",
        ),
        (
            'calledElement="r"',
            '<camunda:in source="" target="b" />',
            "Empty attribute 'source' when passing variables",
        ),
        (
            'calledElement="r"',
            '<camunda:out target="b" />',
            "Missing parameter 'source' or 'sourceExpression' when passing variables",
        ),
        (
            'calledElement="r"',
            '<camunda:in source="a" />',
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ),
        (
            'calledElement="r"',
            '<camunda:in sourceExpression="${a.pick()}" target="b" />',
            "unknown method 'pick'",
        ),
        ('calledElement="${x.pick()}"', "", "unknown method 'pick'"),
    ],
)
def test_what_camunda_refuses_in_a_call_activity_is_refused(
    call: str, mappings: str, reason: str
) -> None:
    with pytest.raises(ModelRefusedError) as raised:
        check_model("call.bpmn", model(call, mappings))
    assert raised.value.element_id == "call"
    assert reason in raised.value.reason


def test_camunda_in_outside_a_call_activity_is_refused() -> None:
    misplaced = MODEL.replace("CALL", 'calledElement="r"').replace("MAPPINGS", "")
    misplaced = misplaced.replace(
        '<bpmn:startEvent id="s">',
        '<bpmn:startEvent id="s"><bpmn:extensionElements><camunda:in variables="all" />'
        "</bpmn:extensionElements>",
    )
    with pytest.raises(ModelRefusedError) as raised:
        check_model("call.bpmn", misplaced.encode())
    assert raised.value.reason == "camunda:in is not supported"
