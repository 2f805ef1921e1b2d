"""camunda:inputOutput as a deployment reads it (Camunda's errors for malformed
parameters and placements it refuses, ours for scripts and what this server does not
run) and the typed values its parameters give."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from taskvars.engine.expressions import ExpressionError
from taskvars.engine.io_mappings import IoMapping, evaluate, io_mapping, typed_value
from taskvars.engine.model_check import ModelRefusedError, check_model
from taskvars.persistence.values import NewValue

INVOICE = (Path(__file__).parent.parent / "bpmn" / "invoice.bpmn").read_text()
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"


def with_mapping(mapping: str, element: str = "bpmn:userTask", extra: str = "") -> str:
    activity = (
        f'<{element} id="mapped"{extra}><bpmn:extensionElements>'
        f"<camunda:inputOutput>{mapping}</camunda:inputOutput>"
        f"</bpmn:extensionElements></{element}>"
    )
    return INVOICE.replace("  </bpmn:process>", f"    {activity}\n  </bpmn:process>")


def refusal(model: str) -> str:
    with pytest.raises(ModelRefusedError) as refused:
        check_model("mapped.bpmn", model.encode())
    assert refused.value.element_id == "mapped"
    return refused.value.reason


def test_every_kind_of_parameter_deploys_on_user_external_code_tasks_and_sub_processes() -> None:
    mapping = (
        '<camunda:inputParameter name="text">Dear ${name}</camunda:inputParameter>'
        '<camunda:inputParameter name="empty" />'
        '<camunda:inputParameter name="list"><camunda:list><camunda:value>a</camunda:value>'
        '<camunda:map><camunda:entry key="k">${v}</camunda:entry></camunda:map>'
        "</camunda:list></camunda:inputParameter>"
        '<camunda:outputParameter name="out">${text}</camunda:outputParameter>'
    )
    for element, extra in (
        ("bpmn:userTask", ""),
        ("bpmn:serviceTask", ' camunda:type="external" camunda:topic="t"'),
        ("bpmn:subProcess", ""),
        # Tasks that call code, run by their stand-ins.
        ("bpmn:serviceTask", ' camunda:class="org.example.Delegate"'),
        ("bpmn:sendTask", ' camunda:delegateExpression="${mailer}"'),
        ("bpmn:businessRuleTask", ' camunda:decisionRef="approvers"'),
        ("bpmn:scriptTask", ' scriptFormat="groovy"'),
        ("bpmn:serviceTask", ""),  # a connector's (its own mapping aside)
    ):
        model = with_mapping(mapping, element, extra)
        if element == "bpmn:scriptTask":
            model = model.replace(
                "</bpmn:extensionElements></bpmn:scriptTask>",
                "</bpmn:extensionElements><bpmn:script>1</bpmn:script></bpmn:scriptTask>",
            )
        if element == "bpmn:serviceTask" and not extra:
            model = model.replace(
                "</camunda:inputOutput></bpmn:extensionElements>",
                "</camunda:inputOutput><camunda:connector><camunda:inputOutput>"
                '<camunda:inputParameter name="url">https://example.org</camunda:inputParameter>'
                "</camunda:inputOutput><camunda:connectorId>http-connector</camunda:connectorId>"
                "</camunda:connector></bpmn:extensionElements>",
            )
        if element == "bpmn:subProcess":
            model = model.replace(
                "</camunda:inputOutput></bpmn:extensionElements>",
                '</camunda:inputOutput></bpmn:extensionElements><bpmn:startEvent id="s" />',
            )
        assert [p.key for p in check_model("mapped.bpmn", model.encode())] == ["invoice"]


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (
            with_mapping('<camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">'
                         "1 + 1</camunda:script></camunda:inputParameter>"),
            "camunda:inputParameter 'x': camunda:script (groovy) would run a script, "
            "which this server does not",
        ),
        (
            with_mapping("<camunda:inputParameter>a</camunda:inputParameter>"),
            "Missing attribute 'name' for inputParameter",
        ),
        (
            with_mapping('<camunda:outputParameter name="x"><camunda:list /><camunda:map />'
                         "</camunda:outputParameter>"),
            "camunda:outputParameter 'x': Nested parameter can at most have one child element",
        ),
        (
            with_mapping('<camunda:inputParameter name="x"><camunda:map><camunda:entry>a'
                         "</camunda:entry></camunda:map></camunda:inputParameter>"),
            "camunda:inputParameter 'x': Missing attribute 'key' for 'entry' element",
        ),
        (
            with_mapping('<camunda:inputParameter name="x">${a.b()}</camunda:inputParameter>'),
            "camunda:inputParameter 'x': ${a.b()}: unknown method 'b'",
        ),
        (
            with_mapping('<camunda:inputParameter name="x">a</camunda:inputParameter>',
                         "bpmn:exclusiveGateway"),
            "camunda:inputOutput mapping unsupported for element type 'exclusiveGateway'.",
        ),
        (
            with_mapping('<camunda:outputParameter name="x">a</camunda:outputParameter>',
                         "bpmn:endEvent"),
            "camunda:outputParameter not allowed for element type 'endEvent'.",
        ),
        (
            with_mapping('<camunda:inputParameter name="x">a</camunda:inputParameter>',
                         "bpmn:endEvent"),
            "camunda:inputOutput on endEvent elements is not run by this server "
            "(only on user tasks, external tasks, tasks that call code and sub-processes)",
        ),
        (
            with_mapping('<camunda:inputParameter name="x">a</camunda:inputParameter>',
                         extra=""
                         ).replace("</bpmn:extensionElements>",
                                   "</bpmn:extensionElements>"
                                   "<bpmn:multiInstanceLoopCharacteristics />"),
            "camunda:inputOutput on a multi-instance activity is not run by this server",
        ),
    ],
)  # fmt: skip
def test_a_mapping_that_cannot_run_is_refused_with_its_reason(model: str, reason: str) -> None:
    assert reason in refusal(model)


def mapping_of(parameters: str) -> IoMapping:
    activity = etree.fromstring(
        f'<userTask xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        f'xmlns:camunda="{CAMUNDA}" id="t"><extensionElements><camunda:inputOutput>'
        f"{parameters}</camunda:inputOutput></extensionElements></userTask>"
    )
    found = io_mapping(activity)
    assert found is not None
    return found


VARIABLES = {
    "count": NewValue(type="Integer", text_value="7", long_value=7),
    "due": NewValue(type="Date", text_value="2026-01-02T03:04:05.000+0000", long_value=0),
    "order": NewValue(type="Json", text_value='{"total": 12.5, "lines": [1, 2]}'),
    "name": NewValue(type="String", text_value="anna"),
}


def value_of(parameter: str) -> NewValue:
    (input_parameter,) = mapping_of(parameter).inputs
    return evaluate(input_parameter.source, VARIABLES.__getitem__)


@pytest.mark.parametrize(
    ("parameter", "value_type", "text"),
    [
        ("<camunda:inputParameter name='p'>${count}</camunda:inputParameter>", "Integer", "7"),
        ("<camunda:inputParameter name='p'>${due}</camunda:inputParameter>", "Date",
         "2026-01-02T03:04:05.000+0000"),
        ("<camunda:inputParameter name='p'>${order}</camunda:inputParameter>", "Json",
         '{"total": 12.5, "lines": [1, 2]}'),
        ("<camunda:inputParameter name='p'>${order.total}</camunda:inputParameter>", "Double",
         "12.5"),
        ("<camunda:inputParameter name='p'>${order.lines}</camunda:inputParameter>", "Json",
         "[1, 2]"),
        ("<camunda:inputParameter name='p'>${5}</camunda:inputParameter>", "Long", "5"),
        ("<camunda:inputParameter name='p'>${count > 5}</camunda:inputParameter>", "Boolean",
         "true"),
        ("<camunda:inputParameter name='p'>  plain text  </camunda:inputParameter>", "String",
         "plain text"),
        ("<camunda:inputParameter name='p'>${count} items</camunda:inputParameter>", "String",
         "7 items"),
        ("<camunda:inputParameter name='p'>${null}</camunda:inputParameter>", "Null", None),
        ("<camunda:inputParameter name='p'> </camunda:inputParameter>", "Null", None),
    ],
)  # fmt: skip
def test_a_parameter_s_value_is_typed_as_camunda_types_it(
    parameter: str, value_type: str, text: str | None
) -> None:
    value = value_of(parameter)
    assert (value.type, value.text_value) == (value_type, text)


def test_lists_and_maps_are_java_collections_serialized_as_json() -> None:
    listed = value_of(
        "<camunda:inputParameter name='p'><camunda:list>"
        "<camunda:value>${count}</camunda:value><camunda:value />"
        "<camunda:map><camunda:entry key='b'>${name}</camunda:entry>"
        "<camunda:entry key='${name}'>x</camunda:entry>"
        "<camunda:entry key='a'><camunda:list /></camunda:entry></camunda:map>"
        "</camunda:list></camunda:inputParameter>"
    )
    assert (listed.type, listed.object_type_name, listed.serialization_data_format) == (
        "Object",
        "java.util.ArrayList",
        "application/json",
    )
    assert listed.text_value == json.dumps([7, None, {"a": [], "anna": "x", "b": "anna"}])


def test_an_unknown_variable_is_camunda_s_unknown_property_error() -> None:
    with pytest.raises(ExpressionError, match="Cannot resolve identifier 'missing'"):
        value_of("<camunda:inputParameter name='p'>${missing}</camunda:inputParameter>")
    with pytest.raises(ExpressionError, match="Cannot resolve identifier 'missing'"):
        value_of("<camunda:inputParameter name='p'>${missing == 1}</camunda:inputParameter>")


def test_a_mapping_on_the_process_itself_is_ignored_as_camunda_ignores_it() -> None:
    model = INVOICE.replace(
        '<bpmn:startEvent id="InvoiceReceived"',
        "<bpmn:extensionElements><camunda:inputOutput>"
        '<camunda:inputParameter name="x"><camunda:script scriptFormat="groovy">1'
        "</camunda:script></camunda:inputParameter></camunda:inputOutput>"
        '</bpmn:extensionElements><bpmn:startEvent id="InvoiceReceived"',
    )
    assert model != INVOICE
    assert [p.key for p in check_model("mapped.bpmn", model.encode())] == ["invoice"]


def test_numbers_and_dates_from_richer_expressions_keep_camunda_s_types() -> None:
    """What arithmetic and date functions give (Decimal, datetime) is typed as their Java
    results would be: Long or Double, Date."""
    assert (typed_value(Decimal("4")).type, typed_value(Decimal("4")).text_value) == ("Long", "4")
    assert (typed_value(Decimal("2.5")).type, typed_value(Decimal("2.5")).text_value) == (
        "Double",
        "2.5",
    )
    moment = typed_value(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    assert (moment.type, moment.text_value) == ("Date", "2026-01-02T03:04:05.000+0000")
