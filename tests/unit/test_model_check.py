"""BPMN files checked before deployment: the project's models pass, and each kind of
content this server cannot run is refused naming the file, the element and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.engine.model_check import ModelRefusedError, ProcessModel, check_model, inspect_model
from taskvars.engine.starters import split_entries

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
                '<bpmn:compensateEventDefinition id="up" /></bpmn:boundaryEvent>'
            ),
            "late",
            "only error, escalation, timer, message, signal and conditional boundary events "
            "are supported",
        ),
        (
            in_process(
                '<bpmn:boundaryEvent id="late" attachedToRef="checkInvoice">'
                '<bpmn:conditionalEventDefinition id="up" /></bpmn:boundaryEvent>'
            ),
            "up",
            "a conditional event needs a condition",
        ),
        (
            in_process(
                '<bpmn:intermediateCatchEvent id="ready"><bpmn:conditionalEventDefinition id="up">'
                "<bpmn:condition>x</bpmn:condition></bpmn:conditionalEventDefinition>"
                "</bpmn:intermediateCatchEvent>"
            ),
            "up",
            "condition 'x' is not an expression: write ${...}",
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
                '<bpmn:intermediateThrowEvent id="fail"><bpmn:errorEventDefinition id="e" />'
                "</bpmn:intermediateThrowEvent>"
            ),
            "e",
            "error events are supported as boundary and end events and as start events "
            "of event sub-processes only",
        ),
        (
            INVOICE.replace(
                "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
                "<bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n"
                '      <bpmn:timerEventDefinition id="EveryMonday" />\n    </bpmn:startEvent>',
            ),
            "EveryMonday",
            "a timer needs one of timeDate, timeDuration and timeCycle",
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
            in_process(
                '<bpmn:endEvent id="notify"><bpmn:messageEventDefinition id="n" '
                'camunda:type="external" /></bpmn:endEvent>'
            ),
            "n",
            "External tasks must specify a 'topic' attribute in the camunda namespace",
        ),
        (
            in_process('<bpmn:subProcess id="OnCancel" triggeredByEvent="true" />'),
            "OnCancel",
            "event sub-processes are supported with one error, escalation, timer, message, "
            "signal or conditional start event only",
        ),
        (
            in_process(
                '<bpmn:subProcess id="OnPing" triggeredByEvent="true">'
                '<bpmn:startEvent id="ping"><bpmn:compensateEventDefinition id="c" />'
                "</bpmn:startEvent></bpmn:subProcess>"
            ),
            "OnPing",
            "event sub-processes are supported with one error, escalation, timer, message, "
            "signal or conditional start event only",
        ),
        (
            in_process(
                '<bpmn:intermediateThrowEvent id="shout"><bpmn:signalEventDefinition id="s" '
                'signalRef="x"><bpmn:extensionElements><camunda:in source="a" />'
                "</bpmn:extensionElements></bpmn:signalEventDefinition>"
                "</bpmn:intermediateThrowEvent>"
            ),
            "s",
            "Missing attribute 'target' when attribute 'source' or 'sourceExpression' is set",
        ),
        (
            in_process(
                '<bpmn:startEvent id="ping"><bpmn:conditionalEventDefinition id="c">'
                "<bpmn:condition>${go}</bpmn:condition></bpmn:conditionalEventDefinition>"
                "</bpmn:startEvent>"
            ),
            "c",
            "conditional start events are supported in event sub-processes only",
        ),
        (
            in_process(
                '<bpmn:subProcess id="OnFail" triggeredByEvent="true">'
                '<bpmn:startEvent id="failed" isInterrupting="false">'
                '<bpmn:errorEventDefinition id="e" /></bpmn:startEvent></bpmn:subProcess>'
            ),
            "OnFail",
            "an error start event of an event sub-process must be interrupting",
        ),
        (
            INVOICE.replace(
                '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
                "${amount &gt; 1000}</bpmn:conditionExpression>",
                "",
            ),
            "AmountDecision",
            "Exclusive Gateway 'AmountDecision' has outgoing sequence flow 'Flow_large' "
            "without condition which is not the default flow.",
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
    assert str(raised.value).startswith("x.bpmn: the file")


def test_a_process_without_a_start_event_is_refused_by_the_engines_check() -> None:
    model = INVOICE.replace(
        '<bpmn:startEvent id="InvoiceReceived" name="Invoice received">\n'
        "      <bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
        "",
    )
    with pytest.raises(ModelRefusedError) as raised:
        check_model("invoice.bpmn", model.encode())
    assert "No start event found" in raised.value.reason


def test_every_problem_of_a_file_is_reported_once_with_its_element_line_and_column() -> None:
    model = in_process(
        '<bpmn:transaction id="mail"><bpmn:script>x</bpmn:script></bpmn:transaction>\n'
        '    <bpmn:serviceTask id="charge"\n        camunda:type="soap" />\n'
        '    <bpmn:boundaryEvent id="late" attachedToRef="checkInvoice">\n'
        "      <bpmn:compensateEventDefinition><bpmn:documentation>x</bpmn:documentation>"
        "</bpmn:compensateEventDefinition>\n    </bpmn:boundaryEvent>"
    ).replace('camunda:historyTimeToLive="30"', 'camunda:historyTimeToLive="soon"')
    report = inspect_model("invoice.bpmn", model.encode())
    assert report.refused
    assert report.processes == []
    assert [(error.element_id, error.line, error.column) for error in report.errors] == [
        ("mail", 32, 33),
        ("charge", 34, 31),  # a start tag over two lines: where it ends, as SAX says
        ("late", 35, 64),
        ("invoice", 3, 130),
    ]
    assert report.errors[0].message.startswith("transaction is not supported")
    assert report.errors[1].message == "camunda:type 'soap' is not supported: only 'external'"
    assert report.errors[2].message == (
        "only error, escalation, timer, message, signal and conditional boundary events "
        "are supported"
    )
    assert report.errors[3].message == 'Cannot parse historyTimeToLive: For input string: "soon"'
    with pytest.raises(ModelRefusedError) as raised:
        check_model("invoice.bpmn", model.encode())
    assert raised.value.report == report
    assert str(raised.value).count("\n") == 3


def test_the_engines_check_runs_only_once_the_elements_pass() -> None:
    without_start = INVOICE.replace(
        '<bpmn:startEvent id="InvoiceReceived" name="Invoice received">\n'
        "      <bpmn:outgoing>Flow_toCheck</bpmn:outgoing>\n    </bpmn:startEvent>",
        "",
    )
    (error,) = inspect_model("a.bpmn", without_start.encode()).errors
    assert "No start event found" in error.message
    both = without_start.replace(
        "  </bpmn:process>", '    <bpmn:transaction id="mail" />\n  </bpmn:process>'
    )
    assert [e.element_id for e in inspect_model("a.bpmn", both.encode()).errors] == ["mail"]


def test_a_model_that_deploys_has_its_processes_and_no_problems() -> None:
    report = inspect_model("invoice.bpmn", INVOICE.encode())
    assert not report.refused
    assert [process.key for process in report.processes] == ["invoice"]
    assert report.errors == report.warnings == []
    assert report.notes == {}


@pytest.mark.parametrize(
    ("written", "entries"),
    [
        ("anna, bob ,carl", ("anna", "bob", "carl")),
        ("${users('a,b')}, dora", ("${users('a,b')}", "dora")),
        ("#{x, y},eve", ("#{x, y}", "eve")),
        ("anna,,", ("anna",)),
        ("", ()),
    ],
)
def test_candidate_starters_split_as_camundas_comma_separated_lists(
    written: str, entries: tuple[str, ...]
) -> None:
    assert split_entries(written) == entries


def test_a_process_model_has_its_candidate_starters() -> None:
    model = INVOICE.replace(
        'camunda:versionTag="1"',
        'camunda:versionTag="1" camunda:candidateStarterUsers="anna, bob" '
        'camunda:candidateStarterGroups="clerks"',
    )
    (process,) = check_model("invoice.bpmn", model.encode())
    assert process.candidate_starter_users == ("anna", "bob")
    assert process.candidate_starter_groups == ("clerks",)


def test_potential_starters_add_users_and_groups_before_the_attributes() -> None:
    model = INVOICE.replace(
        'camunda:versionTag="1"',
        'camunda:versionTag="1" camunda:candidateStarterUsers="bob"',
    ).replace(
        '    <bpmn:startEvent id="InvoiceReceived"',
        "    <bpmn:extensionElements><camunda:potentialStarter>"
        "<bpmn:resourceAssignmentExpression><bpmn:formalExpression>"
        "user(anna), group( clerks ), management"
        "</bpmn:formalExpression></bpmn:resourceAssignmentExpression>"
        "</camunda:potentialStarter></bpmn:extensionElements>\n"
        '    <bpmn:startEvent id="InvoiceReceived"',
        1,
    )
    (process,) = check_model("invoice.bpmn", model.encode())
    assert process.candidate_starter_users == ("anna", "bob")
    assert process.candidate_starter_groups == ("clerks", "management")


def test_a_formal_expression_outside_a_potential_starter_is_refused() -> None:
    model = in_process(
        '<bpmn:task id="t"><bpmn:extensionElements><camunda:potentialStarter>'
        "<bpmn:resourceAssignmentExpression><bpmn:formalExpression>x</bpmn:formalExpression>"
        "</bpmn:resourceAssignmentExpression></camunda:potentialStarter>"
        "</bpmn:extensionElements></bpmn:task>"
    )
    errors = inspect_model("invoice.bpmn", model.encode()).errors
    assert [(error.element_id, error.message) for error in errors] == [
        ("t", "camunda:potentialStarter is not supported")
    ]


def test_a_gateways_one_flow_without_condition_is_its_default_with_camundas_warning() -> None:
    report = inspect_model("invoice.bpmn", INVOICE.replace(' default="Flow_small"', "").encode())
    assert not report.refused
    (warning,) = report.warnings
    assert warning.message.startswith(
        "Exclusive Gateway 'AmountDecision' has outgoing sequence flow 'Flow_small' without "
        "condition which is not the default flow. We assume it to be the default flow"
    )
    assert (warning.element_id, warning.element_ids) == (
        "AmountDecision",
        ("AmountDecision", "Flow_small"),
    )


def test_a_default_flow_with_a_condition_is_refused_as_camunda_refuses_it() -> None:
    model = INVOICE.replace(' default="Flow_small"', ' default="Flow_large"')
    errors = inspect_model("invoice.bpmn", model.encode()).errors
    # Camunda's order: a default flow's condition while reading the flows, then the flows
    # without a condition.
    assert [error.message for error in errors] == [
        "Exclusive Gateway 'AmountDecision' has outgoing sequence flow 'Flow_large' which is "
        "the default flow but has a condition too.",
        "Exclusive Gateway 'AmountDecision' has outgoing sequence flow 'Flow_small' without "
        "condition which is not the default flow.",
    ]
    assert [error.element_ids for error in errors] == [
        ("AmountDecision", "Flow_large"),
        ("AmountDecision", "Flow_small"),
    ]


def test_activitis_extension_namespace_is_read_as_camundas() -> None:
    model = INVOICE.replace(
        'xmlns:camunda="http://camunda.org/schema/1.0/bpmn"',
        'xmlns:camunda="http://activiti.org/bpmn"',
    )
    assert model != INVOICE
    assert check_model("invoice.bpmn", model.encode()) == check_model(
        "invoice.bpmn", INVOICE.encode()
    )
    refused = model.replace(
        "  </bpmn:process>",
        '    <bpmn:serviceTask id="s" camunda:type="soap" />\n  </bpmn:process>',
    )
    (error,) = inspect_model("invoice.bpmn", refused.encode()).errors
    assert error.message == "camunda:type 'soap' is not supported: only 'external'"


def test_a_name_longer_than_its_column_is_refused_for_the_process_and_each_element() -> None:
    long_name = "n" * 256
    model = INVOICE.replace('name="Check invoice"', f'name="{long_name}"', 1).replace(
        'name="Invoice approval"', f'name="{long_name}"', 1
    )
    assert model.count(long_name) == 2
    report = inspect_model("invoice.bpmn", model.encode())
    assert [(error.element_id, error.message) for error in report.errors] == [
        ("invoice", "the name is longer than 255 characters"),
        ("checkInvoice", "the name is longer than 255 characters"),
    ]
    exactly = INVOICE.replace('name="Check invoice"', f'name="{"n" * 255}"', 1)
    assert not inspect_model("invoice.bpmn", exactly.encode()).refused


def test_a_code_attribute_where_camunda_never_reads_it_deploys_with_a_warning() -> None:
    # BpmnParse reads camunda:class on service-like tasks and listeners only; on a user
    # task it runs nothing, in Camunda as here.
    model = INVOICE.replace('id="checkInvoice"', 'id="checkInvoice" camunda:class="x.Y"', 1)
    report = inspect_model("invoice.bpmn", model.encode())
    assert not report.refused
    assert [(w.element_id, w.message) for w in report.warnings] == [
        ("checkInvoice", "camunda:class is ignored on userTask")
    ]


def test_an_id_longer_than_its_column_is_refused_for_the_process_and_each_element() -> None:
    model = INVOICE.replace('id="invoice"', f'id="{"k" * 256}"', 1).replace(
        '"checkInvoice"', f'"{"c" * 256}"'
    )
    report = inspect_model("invoice.bpmn", model.encode())
    assert [(error.element_id, error.message) for error in report.errors] == [
        ("k" * 256, "the id is longer than 255 characters"),
        ("c" * 256, "the id is longer than 255 characters"),
    ]
    exactly = INVOICE.replace('"checkInvoice"', f'"{"c" * 255}"')
    assert not inspect_model("invoice.bpmn", exactly.encode()).refused
