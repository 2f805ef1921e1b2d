"""Camunda's expressions as BPMN models write them: the subset evaluates with JUEL's
rules, and everything outside it is refused when compiled, never run."""

from __future__ import annotations

from typing import Any

import pytest

from taskvars.engine.expressions import ExpressionError, compile_expression

VARIABLES: dict[str, Any] = {
    "amount": 1500,
    "limit": "1000",
    "approved": True,
    "rejected": False,
    "a": "x",
    "b": True,
    "name": "Ann",
    "nothing": None,
    "blank": "",
    "invoice": {"amount": 250.5, "customer": {"name": "ACME"}, "lines": []},
}


def resolve(name: str) -> Any:
    return VARIABLES[name]


def value(source: str) -> Any:
    return compile_expression(source).evaluate(resolve)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount > 1000}", True),
        ("${amount gt 2000}", False),
        ("${approved}", True),
        ("${!approved}", False),
        ("${not rejected}", True),
        ("${a == 'x' && b}", True),
        ('${a eq "y" or b}', True),
        ("#{amount >= 1500 and amount <= 1500}", True),
        ("${amount != 1500}", False),
        ("${amount > limit}", True),  # a string compared with a number is read as one
        ("${limit == 1000}", True),
        ("${invoice.amount < 300}", True),
        ("${invoice.customer.name == 'ACME'}", True),
        ("${invoice.missing == null}", True),  # a missing property is null
        ("${empty nothing}", True),
        ("${empty blank && !empty name}", True),
        ("${empty invoice.lines}", True),
        ("${nothing == null}", True),
        ("${nothing > 1}", False),  # null orders with nothing
        ("${(amount > 1000 || rejected) && approved}", True),
        ("${-5 < 0}", True),
        ("${1.5 == 1.50}", True),
        ("${'it\\'s' == \"it's\"}", True),
        ("${true}", True),
    ],
)
def test_the_subset_evaluates_as_juel_does(source: str, expected: Any) -> None:
    assert value(source) is expected


def test_a_lone_expression_keeps_its_type_and_text_around_parts_makes_a_string() -> None:
    assert value("${amount}") == 1500
    assert value("${invoice}") == VARIABLES["invoice"]
    assert value("Review of ${name} (${amount}, ${approved}, ${nothing})") == (
        "Review of Ann (1500, true, )"
    )
    assert value("demo") == "demo"
    assert compile_expression("demo").is_literal
    assert not compile_expression("${demo}").is_literal


def test_the_names_an_expression_reads_are_known_before_it_runs() -> None:
    expression = compile_expression("${a == 'x' && invoice.amount > limit} ${!b}")
    assert expression.names == {"a", "invoice", "limit", "b"}


def test_the_right_side_of_a_decided_condition_is_not_evaluated() -> None:
    assert value("${approved || undefinedName}") is True
    assert value("${rejected && undefinedName}") is False


def test_a_string_true_is_a_true_condition() -> None:
    assert compile_expression("${x}").evaluate_condition(lambda _: "TRUE") is True
    assert compile_expression("${x}").evaluate_condition(lambda _: None) is False


def test_an_unknown_variable_is_said_as_camunda_says_it() -> None:
    with pytest.raises(ExpressionError) as raised:
        value("${missing > 1}")
    assert str(raised.value) == (
        "Unknown property used in expression: ${missing > 1}. "
        "Cause: Cannot resolve identifier 'missing'"
    )


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("${amount ^ 2}", "unexpected character"),
        ("${fn:length(x)}", "functions with a prefix are not supported"),
        ("${amount instanceof x}", "expected '}'"),
        ("${amount > }", "expected a name, a literal or '('"),
        ("${approved", "expected '}'"),
        ("${}", "expected a name, a literal or '('"),
        ("${a ? b}", "expected ':'"),
        ("${x[0}", "expected ']'"),
        ("${__import__('os').system('id')}", "unknown function '__import__'"),
        ("${x.__class__()}", "unknown method '__class__'"),
        ("${'text'.plusDays(1)}", "String has no method 'plusDays'"),
        ("${dateTime().length()}", "DateTime has no method 'length'"),
        ("${dateTime().plusDays()}", "DateTime.plusDays does not take 0 argument(s)"),
        ("${x.substring(1, 2, 3)}", "unknown method 'substring' with 3 argument(s)"),
        ("${S(x).prop('a').stringValue().foo()}", "String has no method 'foo'"),
        ("${now().millis}", "Date has no property 'millis'"),
        ("${now(1)}", "now does not take 1 argument(s)"),
        ("${eval('1')}", "unknown function 'eval'"),
    ],
)
def test_anything_outside_the_subset_is_refused_when_compiled(source: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        compile_expression(source)
    assert reason in str(raised.value)
    assert str(raised.value).startswith(f"{source}: ")


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("${name.first}", "Cannot resolve property 'first' in 'String'"),
        ("${nothing.trim()}", "Cannot call 'trim' on null"),
        ("${amount && approved}", "1500 is not a boolean"),
        ("${name > invoice}", "cannot compare"),
        ("${name > 1}", "Cannot coerce 'Ann' to Long"),
    ],
)
def test_values_of_the_wrong_kind_are_an_error_not_a_guess(source: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        value(source)
    assert reason in str(raised.value)
