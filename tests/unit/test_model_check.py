"""BPMN files checked before deployment: the project's models pass, and each kind of
content this server cannot run is refused naming the file, the element and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.engine.model_check import ModelRefusedError, ProcessModel, check_model

MODELS = Path(__file__).parent.parent / "bpmn"
INVOICE = (MODELS / "invoice.bpmn").read_text()


def test_the_projects_models_pass_with_their_process_keys() -> None:
    found = {
        path.name: [model.key for model in check_model(path.name, path.read_bytes())]
        for path in sorted(MODELS.glob("*.bpmn"))
    }
    assert all(keys for keys in found.values())  # every fixture model deploys
    assert {name: found[name] for name in ("inclusive-checks.bpmn", "invoice.bpmn")} == {
        "inclusive-checks.bpmn": ["inclusiveChecks"],
        "invoice.bpmn": ["invoice"],
    }
    assert found["onboarding.bpmn"] == ["onboarding"]
    assert found["parallel-review.bpmn"] == ["parallelReview"]
    assert check_model("invoice.bpmn", INVOICE.encode()) == [
        ProcessModel("invoice", "Invoice approval", "http://bpmn.io/schema/bpmn", "1", 30, True)
    ]


def in_process(element: str) -> str:
    return INVOICE.replace("  </bpmn:process>", f"    {element}\n  </bpmn:process>")


@pytest.mark.parametrize(
    ("model", "element", "reason"),
    [
        (
            in_process('<bpmn:scriptTask id="computeTax" scriptFormat="groovy" />'),
            "computeTax",
            "Unable to process ScriptTask: No script source or resource was given",
        ),
        (
            in_process(
                '<bpmn:serviceTask id="sendMail" camunda:class="org.example.Mail" '
                'camunda:resultVariable="sent" />'
            ),
            "sendMail",
            "'resultVariableName' not supported for serviceTask elements using 'class'",
        ),
        (
            in_process('<bpmn:serviceTask id="sendMail" />'),
            "sendMail",
            "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is "
            "mandatory on serviceTask.",
        ),
        (
            in_process('<bpmn:sendTask id="sendMail" camunda:type="mail" />'),
            "sendMail",
            "camunda:type 'mail' is not supported: only 'external'",
        ),
        (
            in_process('<bpmn:serviceTask id="charge" camunda:type="external" />'),
            "charge",
            "External tasks must specify a 'topic' attribute in the camunda namespace",
        ),
        (
            in_process(
                '<bpmn:businessRuleTask id="score" camunda:type="external" camunda:topic="s" '
                'camunda:taskPriority="high" />'
            ),
            "score",
            "Value 'high' for attribute 'taskPriority' is not a valid number",
        ),
        (
            in_process(
                '<bpmn:serviceTask id="charge" camunda:type="external" '
                'camunda:topic="${topics.pick()}" />'
            ),
            "charge",
            "camunda:topic: ${topics.pick()}: unknown method 'pick'",
        ),
        (
            INVOICE.replace('camunda:assignee="${clerk}"', 'camunda:topic="mail"'),
            "checkInvoice",
            "camunda:topic is not supported on userTask",
        ),
        (
            in_process(
                '<bpmn:boundaryEvent id="late" attachedToRef="checkInvoice">'
                '<bpmn:timerEventDefinition id="in1h" /></bpmn:boundaryEvent>'
            ),
            "late",
            "only error boundary events are supported",
        ),
        (
            in_process(
                '<bpmn:boundaryEvent id="failed" attachedToRef="checkInvoice" '
                'cancelActivity="false"><bpmn:errorEventDefinition id="e" /></bpmn:boundaryEvent>'
            ),
            "failed",
            "non-interrupting error boundary events are not supported",
        ),
        (
            in_process(
                '<bpmn:endEvent id="fail"><bpmn:errorEventDefinition id="e" /></bpmn:endEvent>'
            ),
            "e",
            "error events are supported as boundary events only",
        ),
        (
            INVOICE.replace(
                "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
                "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n"
                '      <bpmn:timerEventDefinition id="EveryMonday" />\n    </bpmn:startEvent>',
            ),
            "EveryMonday",
            "timerEventDefinition is not supported",
        ),
        (
            INVOICE.replace("${amount &gt; 1000}", "${amount ^ 2 &gt; 1000}"),
            "Flow_large",
            "condition: ${amount ^ 2 > 1000}: unexpected character",
        ),
        (
            INVOICE.replace(
                'xsi:type="bpmn:tFormalExpression">',
                'xsi:type="bpmn:tFormalExpression" language="groovy">',
            ),
            "Flow_large",
            "script conditions (groovy) are not supported",
        ),
        (
            INVOICE.replace("${amount &gt; 1000}", "true"),
            "Flow_large",
            "condition 'true' is not an expression",
        ),
        (
            INVOICE.replace('camunda:assignee="${clerk}"', 'camunda:assignee="${users.pick()}"'),
            "checkInvoice",
            "camunda:assignee: ${users.pick()}: unknown method 'pick'",
        ),
        (
            INVOICE.replace(
                "<bpmn:documentation>",
                '<bpmn:extensionElements><camunda:taskListener class="org.example.L" />'
                "</bpmn:extensionElements>\n      <bpmn:documentation>",
            ),
            "checkInvoice",
            "Attribute 'event' is mandatory on taskListener",
        ),
        (
            INVOICE.replace(
                "<bpmn:documentation>",
                "<bpmn:standardLoopCharacteristics />\n      <bpmn:documentation>",
            ),
            "checkInvoice",
            "standardLoopCharacteristics is not supported: Camunda 7 does not run standard loops",
        ),
        (
            INVOICE.replace(
                "<bpmn:documentation>",
                "<bpmn:multiInstanceLoopCharacteristics />\n      <bpmn:documentation>",
            ),
            "checkInvoice",
            "Either loopCardinality or loopDataInputRef/activiti:collection must be set",
        ),
        (
            in_process('<bpmn:subProcess id="OnCancel" triggeredByEvent="true" />'),
            "OnCancel",
            "event sub-processes are not supported",
        ),
        (
            INVOICE.replace(' default="Flow_small"', ""),
            "Flow_small",
            "Non-default exclusive outgoing sequence flow without condition",
        ),
    ],
)
def test_content_this_server_cannot_run_is_refused_naming_the_element(
    model: str, element: str, reason: str
) -> None:
    with pytest.raises(ModelRefusedError) as raised:
        check_model("invoice.bpmn", model.encode())
    assert raised.value.file_name == "invoice.bpmn"
    assert raised.value.element_id == element
    assert reason in raised.value.reason
    assert str(raised.value).startswith(f"invoice.bpmn: element '{element}'")


@pytest.mark.parametrize(
    ("model", "reason"),
    [
        (INVOICE.replace('isExecutable="true"', 'isExecutable="false"'), "no executable process"),
        (INVOICE[:500], "not well-formed XML"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
            + INVOICE.split("\n", 1)[1].replace("Attach the scanned", "&x;"),
            "a DOCTYPE declaration is not accepted",
        ),
        ('<svg xmlns="http://www.w3.org/2000/svg" />', "the root element is svg"),
    ],
)
def test_a_file_that_is_no_runnable_model_is_refused(model: str, reason: str) -> None:
    with pytest.raises(ModelRefusedError) as raised:
        check_model("x.bpmn", model.encode())
    assert reason in str(raised.value)
    assert str(raised.value).startswith("x.bpmn: the file: ")


def test_a_process_without_a_start_event_is_refused_by_the_engines_check() -> None:
    model = INVOICE.replace(
        '<bpmn:startEvent id="InvoiceReceived" name="Invoice received">\n'
        "      <bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
        "",
    )
    with pytest.raises(ModelRefusedError) as raised:
        check_model("invoice.bpmn", model.encode())
    assert "No start event found" in raised.value.reason
