"""Stand-ins files (TOML and YAML) read and checked before a server starts, and the code
sites of a model listed with whether a stand-ins file covers each (what
``taskvars check-model`` prints)."""

from __future__ import annotations

from pathlib import Path

import pytest

from taskvars.cli import main
from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.code_sites import CodeKind, CodeSite, code_sites, needs_stand_ins
from taskvars.engine.model_check import ModelRefusedError, check_model
from taskvars.engine.stand_in_runs import missing_code
from taskvars.engine.stand_ins import NONE, Action, StandInsError, load, parse

MODELS = Path(__file__).parent.parent / "bpmn"
# Camunda's invoice example as Camunda ships it (tests/bpmn/camunda/SOURCES.md).
CAMUNDA_INVOICE = MODELS / "camunda" / "invoice.v1.bpmn"

TOML = """
[class."org.camunda.bpm.example.invoice.service.ArchiveInvoiceService"]
set = { archived = true, archivedAt = { value = "2026-01-01T00:00:00.000+0000", type = "Date" } }

[expression."${notifier}"]
external-topic = "notify-creditor"

[decision.invoice-assign-approver]
set = { approverGroups = { value = '["management"]', type = "Json" } }

[element.failing]
fail = { message = "down", type = "IllegalStateException" }

[element.declined]
bpmn-error = { code = "DECLINED", message = "no" }
"""

YAML = """
class:
  org.example.Archive:
    set: {archived: true, count: 3}
element:
  "approveInvoice:create":
    fail: listener broke
"""


def test_a_toml_file_gives_each_key_its_stand_in(tmp_path: Path) -> None:
    path = tmp_path / "stand-ins.toml"
    path.write_text(TOML)

    found = load(path)

    archive = found.find(
        "ServiceTask_1", "class", "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService"
    )
    assert archive is not None
    assert archive.action is Action.SET
    assert archive.variables["archived"] == {"value": True}
    assert archive.variables["archivedAt"]["type"] == "Date"
    topic = found.find("notify", "expression", "${notifier}")
    assert topic is not None
    assert topic.topic == "notify-creditor"
    failing = found.find("failing", None, None)
    assert failing is not None
    assert (failing.message, failing.failure_type) == (
        "down",
        "IllegalStateException",
    )
    declined = found.find("declined", "class", "x")
    assert declined is not None
    assert (declined.error_code, declined.message) == ("DECLINED", "no")


def test_a_yaml_file_reads_as_the_toml_one(tmp_path: Path) -> None:
    path = tmp_path / "stand-ins.yaml"
    path.write_text(YAML)

    found = load(path)

    archive = found.find("x", "class", "org.example.Archive")
    assert archive is not None
    assert archive.variables == {
        "archived": {"value": True},
        "count": {"value": 3},
    }
    listener = found.find("approveInvoice:create", None, None)
    assert listener is not None
    assert listener.action is Action.FAIL


def test_an_element_s_stand_in_wins_over_its_class_s() -> None:
    found = parse({"class": {"a.B": {"set": {"x": 1}}}, "element": {"task": {"fail": "element's"}}})

    chosen = found.find("task", "class", "a.B")
    assert chosen is not None
    assert chosen.action is Action.FAIL
    other = found.find("other", "class", "a.B")
    assert other is not None
    assert other.action is Action.SET


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"classes": {}}, "unknown table 'classes'"),
        ({"class": {"a.B": {"sett": {"x": 1}}}}, "class.\"a.B\": unknown key 'sett'"),
        ({"class": {"a.B": {}}}, "must say exactly one of: set, bpmn-error, fail, external-topic"),
        (
            {"class": {"a.B": {"set": {"x": 1}, "fail": "both"}}},
            "must say exactly one of",
        ),
        ({"class": {"a.B": {"set": {"x": {"value": "a", "type": "Integer"}}}}}, "set:"),
        ({"class": {"a.B": {"set": {"x": {"value": 1, "typ": "Integer"}}}}}, "unknown key 'typ'"),
        ({"class": {"a.B": {"bpmn-error": {"message": "no code"}}}}, "bpmn-error needs a code"),
        ({"class": {"a.B": {"fail": {"message": "m", "type": "not a name"}}}}, "fail's type"),
        ({"class": {"a.B": {"external-topic": ""}}}, "external-topic must be a topic name"),
        ({"class": {"a.B": {"external-topic": "${topic}"}}}, "not an expression"),
        ({"class": {"a.B": "set"}}, "must be a table"),
        (["class"], "must be a table of tables"),
    ],
)
def test_a_bad_entry_is_refused_naming_where_it_is(document: object, reason: str) -> None:
    with pytest.raises(StandInsError) as refused:
        parse(document)

    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("stand-ins.toml", "[class\n", "not valid TOML"),
        ("stand-ins.yaml", "class: [\n", "not valid YAML"),
        ("stand-ins.json", "{}", "must end in .toml, .yaml or .yml"),
        ("stand-ins.toml", '[clas."a.B"]\nset = { x = 1 }\n', "unknown table 'clas'"),
    ],
)
def test_serve_refuses_to_start_with_a_bad_stand_ins_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str, reason: str
) -> None:
    path = tmp_path / name
    path.write_text(content)
    database = f"sqlite:///{tmp_path / 'taskvars.db'}"

    assert main(["serve", "--database-url", database, "--stand-ins", str(path)]) == 2

    error = capsys.readouterr().err
    assert f"taskvars: --stand-ins {path}: " in error
    assert reason in error


def test_serve_refuses_a_missing_stand_ins_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "absent.toml"
    database = f"sqlite:///{tmp_path / 'taskvars.db'}"

    assert main(["serve", "--database-url", database, "--stand-ins", str(path)]) == 2
    assert "cannot read it" in capsys.readouterr().err


def test_the_code_sites_of_camunda_s_invoice_example_are_listed_with_their_lines() -> None:
    root = parse_bpmn(CAMUNDA_INVOICE.read_bytes())

    found = [(s.key, s.kind, s.reference, s.line) for s in code_sites(root)]

    assert found == [
        ("approveInvoice:create", CodeKind.SCRIPT, "javascript (inline)", 34),
        ("approveInvoice:assignment", CodeKind.SCRIPT, "javascript (inline)", 39),
        ("assignApprover", CodeKind.DECISION, "invoice-assign-approver", 52),
        (
            "ServiceTask_1",
            CodeKind.CLASS,
            "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService",
            77,
        ),
        (
            "ServiceTask_06mdb3v",
            CodeKind.CLASS,
            "org.camunda.bpm.example.invoice.service.NotifyCreditorService",
            84,
        ),
    ]


def test_coverage_says_which_sites_a_stand_ins_file_covers_and_why_not() -> None:
    root = parse_bpmn(CAMUNDA_INVOICE.read_bytes())
    config = parse(
        {
            "decision": {"invoice-assign-approver": {"set": {"approverGroups": "x"}}},
            "element": {"approveInvoice:create": {"external-topic": "no"}},
        }
    )

    gaps = {c.site.key: c.gap for c in needs_stand_ins(root, config)}

    assert gaps == {
        "approveInvoice:create": (
            'element."approveInvoice:create": a listener\'s stand-in can only set or fail'
        ),
        "approveInvoice:assignment": "no stand-in",
        "assignApprover": None,
        "ServiceTask_1": "no stand-in",
        "ServiceTask_06mdb3v": "no stand-in",
    }
    assert all(c.gap == "no stand-in" for c in needs_stand_ins(root, NONE))


def model_with(element: str) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="urn:t">
  <process id="p" isExecutable="true">
    <startEvent id="s" /><sequenceFlow id="f1" sourceRef="s" targetRef="code" />
    {element}
    <sequenceFlow id="f2" sourceRef="code" targetRef="e" /><endEvent id="e" />
  </process>
</definitions>
""".encode()


@pytest.mark.parametrize(
    ("element", "reason"),
    [
        (
            '<sendTask id="code" />',
            "One of the attributes 'class', 'delegateExpression', 'type', or 'expression' is "
            "mandatory on sendTask.",
        ),
        (
            '<businessRuleTask id="code" />',
            "is mandatory on businessRuleTask. If you are using a connector, make sure the "
            "connect process engine plugin is registered with the process engine.",
        ),
        (
            '<serviceTask id="code" camunda:delegateExpression="${b}" '
            'camunda:resultVariable="r" />',
            "'resultVariableName' not supported for serviceTask elements using "
            "'delegateExpression'",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:executionListener class="a.L" /></extensionElements></serviceTask>',
            "Attribute 'event' is mandatory on listener",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:executionListener class="a.L" event="take" /></extensionElements>'
            "</serviceTask>",
            "Attribute 'event' must be one of {start|end}",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:executionListener event="start" /></extensionElements></serviceTask>',
            "Element 'class', 'expression', 'delegateExpression' or 'script' is mandatory on "
            "executionListener",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:executionListener class=" " event="start" /></extensionElements>'
            "</serviceTask>",
            "Attribute 'class' cannot be empty",
        ),
        (
            '<userTask id="code"><extensionElements><camunda:taskListener class="a.L" '
            'event="created" /></extensionElements></userTask>',
            "Attribute 'event' must be one of {create|assignment|complete|update|delete|timeout}",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:inputOutput><camunda:inputParameter name="x"><camunda:script '
            'scriptFormat="groovy">1</camunda:script></camunda:inputParameter>'
            "</camunda:inputOutput></extensionElements></serviceTask>",
            "camunda:inputParameter 'x': camunda:script (groovy) would run a script",
        ),
    ],
)
def test_malformed_code_is_refused_with_camunda_s_parse_error(element: str, reason: str) -> None:
    with pytest.raises(ModelRefusedError) as refused:
        check_model("code.bpmn", model_with(element))

    assert reason in refused.value.reason


@pytest.mark.parametrize(
    ("element", "kind", "reference"),
    [
        ('<serviceTask id="code" camunda:class="a.B" />', CodeKind.CLASS, "a.B"),
        (
            '<businessRuleTask id="code" camunda:class="a.B" camunda:decisionRef="approvers" '
            'camunda:resultVariable="groups" />',
            CodeKind.DECISION,
            "approvers",
        ),
        (
            '<sendTask id="code" camunda:expression="${mailer.send(execution)}" '
            'camunda:resultVariable="sent" />',
            CodeKind.EXPRESSION,
            "${mailer.send(execution)}",
        ),
        (
            '<serviceTask id="code"><extensionElements><camunda:connector>'
            "<camunda:connectorId>http-connector</camunda:connectorId><camunda:inputOutput>"
            '<camunda:inputParameter name="url">https://example.org</camunda:inputParameter>'
            "</camunda:inputOutput></camunda:connector></extensionElements></serviceTask>",
            CodeKind.CONNECTOR,
            "http-connector",
        ),
        (
            '<scriptTask id="code" scriptFormat="groovy" '
            'camunda:resource="deployment://a.groovy" />',
            CodeKind.SCRIPT,
            "groovy (deployment://a.groovy)",
        ),
        (
            '<serviceTask id="code" camunda:class="a.B"><extensionElements>'
            '<camunda:field name="to"><camunda:expression>${mail}</camunda:expression>'
            "</camunda:field></extensionElements></serviceTask>",
            CodeKind.CLASS,
            "a.B",
        ),
    ],
)
def test_code_of_every_kind_deploys_and_is_listed(
    element: str, kind: CodeKind, reference: str
) -> None:
    data = model_with(element)

    assert [model.key for model in check_model("code.bpmn", data)] == ["p"]
    (site,) = code_sites(parse_bpmn(data))
    assert (site.element_id, site.kind, site.reference) == ("code", kind, reference)


@pytest.mark.parametrize(
    ("kind", "reference", "type_name", "message", "code"),
    [
        (
            CodeKind.CLASS,
            "a.B",
            "ClassLoadingException",
            "ENGINE-09017 Cannot load class 'a.B': a.B",
            0,
        ),
        (
            CodeKind.DELEGATE_EXPRESSION,
            "${ mailer }",
            "ProcessEngineException",
            "Unknown property used in expression: ${ mailer }. Cause: Cannot resolve "
            "identifier 'mailer'",
            0,
        ),
        (
            CodeKind.SCRIPT,
            "javascript (inline)",
            "NullValueException",
            "Can't find scripting engine for 'javascript': scriptEngine is null",
            0,
        ),
        (
            CodeKind.DECISION,
            "approvers",
            "DecisionDefinitionNotFoundException",
            "no decision definition deployed with key 'approvers': decisionDefinition is null",
            0,
        ),
        (
            CodeKind.CONNECTOR,
            "http-connector",
            "ConnectorException",
            "No connector found for connector id 'http-connector'",
            None,
        ),
    ],
)
def test_code_without_a_stand_in_fails_with_camunda_s_error_for_its_kind(
    kind: CodeKind, reference: str, type_name: str, message: str, code: int | None
) -> None:
    error = missing_code(CodeSite("p", "code", "serviceTask", 3, kind, reference))

    assert (error.status, error.type, error.message, error.code) == (500, type_name, message, code)
