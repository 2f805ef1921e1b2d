"""Method calls in expressions: on strings, lists, maps, Json values, the built-in
functions, and the ``execution`` and ``task`` objects a caller supplies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from taskvars.engine import joda_dates
from taskvars.engine.expressions import (
    DateTime,
    ExecutionView,
    ExpressionError,
    JsonNode,
    TaskView,
    compile_expression,
)

NOW = datetime(2026, 1, 30, 15, 45, 12, 345000, tzinfo=UTC)

VARIABLES: dict[str, Any] = {
    "name": "  Ann Smith ",
    "customer": {"name": "ACME", "age": 42, "vip": True, "tags": ["a", "b"], "none": None},
    "text": '{"age": 19}',
    "items": ["x", "y"],
    "counts": [1, 2],
    "nothing": None,
}


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Now is NOW, and the server's zone (Joda's default) UTC."""
    monkeypatch.setattr(joda_dates, "now_millis", lambda: NOW)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def value(source: str, **context: Any) -> Any:
    return compile_expression(source).evaluate(VARIABLES.__getitem__, **context)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${name.trim()}", "Ann Smith"),
        ("${name.trim().length()}", 9),
        ("${name.trim().toUpperCase()}", "ANN SMITH"),
        ("${name.toLowerCase().contains('smith')}", True),
        ("${name.trim().startsWith('Ann') && name.endsWith(' ')}", True),
        ("${name.trim().substring(4)}", "Smith"),
        ("${name.trim().substring(0, 3).equals('Ann')}", True),
        ("${name.isEmpty()}", False),
        ("${'abc'.indexOf('c')}", 2),
        ("${'abc'.concat('d')}", "abcd"),
        ("${'1'.equals(1)}", False),  # String.equals: only another String
        ("${items.size()}", 2),
        ("${items.contains('y')}", True),
        ("${items.get(0)}", "x"),
        ("${counts.contains(2)}", True),
        ("${items.isEmpty()}", False),
        ("${customer.containsKey('age')}", True),
        ("${customer.get('name')}", "ACME"),
        ("${customer.size()}", 5),
        # Spin on a Json variable's value and on S(...)
        ('${customer.prop("age").numberValue() >= 21}', True),
        ("${customer.prop('name').stringValue()}", "ACME"),
        ("${customer.prop('vip').boolValue()}", True),
        ("${customer.hasProp('email')}", False),
        ("${customer.prop('none').isNull()}", True),
        ("${customer.prop('tags').isArray()}", True),
        ("${customer.prop('tags').elements().size()}", 2),
        ("${customer.prop('tags').elements().get(1).stringValue()}", "b"),
        ("${customer.fieldNames().contains('vip')}", True),
        ("${S(text).prop('age').numberValue() < 21}", True),
        ("${JSON(text).prop('age').value()}", 19),
        ("${S(customer).prop('age').numberValue() + 1}", 43),
        ("${S('[1, 2]').elements().size()}", 2),
        ("${customer.prop('name')}", JsonNode("ACME")),
        ("${customer.prop('name')} x", '"ACME" x'),  # a node's text is its JSON
        # Numbers
        ("${customer.prop('age').numberValue().doubleValue()}", 42.0),
        ("${(7 / 2).intValue()}", 3),
        ("${(0 / 0).intValue()}", 0),  # Java's (int) NaN
        ("${(1 / 0).intValue()}", 2147483647),
        ("${(2147483647 + 1).intValue()}", -2147483648),
    ],
)
def test_methods_of_values(source: str, expected: Any) -> None:
    assert value(source) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${now()}", NOW),
        ("${dateTime().toDate()}", NOW),
        ("${dateTime().plusDays(2).toDate()}", datetime(2026, 2, 1, 15, 45, 12, 345000, UTC)),
        ("${dateTime().plusMonths(1).toDate()}", datetime(2026, 2, 28, 15, 45, 12, 345000, UTC)),
        (
            "${dateTime().minusYears(1).plusWeeks(1).toDate()}",
            datetime(2025, 2, 6, 15, 45, 12, 345000, UTC),
        ),
        (
            "${dateTime().plusHours(9).withTimeAtStartOfDay().toDate()}",
            datetime(2026, 1, 31, tzinfo=UTC),
        ),
        (
            "${dateTime().plusMinutes(15).plusSeconds(48).minusMillis(345).toDate()}",
            datetime(2026, 1, 30, 16, 1, tzinfo=UTC),
        ),
        ("${dateTime().getDayOfWeek()}", 5),  # a Friday
        ("${dateTime().dayOfMonth}", 30),  # a bean property is its getter
        ("${dateTime().getMillis() == now().getTime()}", True),
        ("${dateTime().plusDays(1).isAfter(now())}", True),
        ("${now().before(dateTime().plusDays(1).toDate())}", True),
        ("${now() < dateTime().plusDays(1).toDate()}", True),  # Dates are Comparable
        ("${dateTime()}", DateTime(NOW)),
        ("${'due '}${dateTime()}", "due 2026-01-30T15:45:12.345Z"),
        ("${'due '}${now()}", "due Fri Jan 30 15:45:12 UTC 2026"),
    ],
)
def test_dates_from_the_built_in_functions(source: str, expected: Any) -> None:
    assert value(source) == expected


def execution_view(reads: list[str]) -> ExecutionView:
    def read(name: str) -> Any:
        reads.append(name)
        return {"x": 5, "flag": True}[name]

    return ExecutionView(
        id="e1",
        process_instance_id="p1",
        process_definition_id="invoice:1:d1",
        activity_id="approve",
        tenant_id=None,
        business_key=lambda: "INV-7",
        read=read,
        read_local=lambda name: {"x": 6}[name],
    )


def test_execution_answers_what_the_runtime_knows() -> None:
    reads: list[str] = []
    execution = execution_view(reads)
    assert value("${execution.getVariable('x') + 1}", execution=execution) == 6
    assert value("${execution.getVariableLocal('x')}", execution=execution) == 6
    assert value("${execution.getVariable('missing')}", execution=execution) is None
    assert value("${execution.hasVariable('flag')}", execution=execution) is True
    assert value("${execution.hasVariableLocal('flag')}", execution=execution) is False
    assert value("${execution.processBusinessKey}", execution=execution) == "INV-7"
    assert value("${execution.getProcessBusinessKey()}", execution=execution) == "INV-7"
    assert value("${execution.processInstanceId}/${execution.id}", execution=execution) == ("p1/e1")
    assert value("${execution.currentActivityId}", execution=execution) == "approve"
    assert reads == ["x", "missing", "flag"]


def test_task_answers_its_attributes_and_its_execution() -> None:
    execution = execution_view([])
    task = TaskView(
        properties={"id": "t1", "name": "Approve", "assignee": "ann", "priority": 50},
        read=lambda name: {"x": 7}[name],
        read_local=lambda name: {}[name],
        execution=execution,
    )
    assert value("${task.id}:${task.name}:${task.assignee}", task=task) == "t1:Approve:ann"
    assert value("${task.priority + 1}", task=task) == 51
    assert value("${task.getVariable('x')}", task=task) == 7
    assert value("${task.owner}", task=task) is None
    # In a task's scope, execution is the task's execution (VariableScopeElResolver).
    assert value("${execution.processBusinessKey}", task=task) == "INV-7"


def test_without_a_context_execution_and_task_are_plain_names() -> None:
    with pytest.raises(ExpressionError, match="Cannot resolve identifier 'execution'"):
        value("${execution.id}")
    assert compile_expression("${task.done}").evaluate({"task": {"done": True}}.__getitem__)


def test_the_variables_named_through_execution_are_read() -> None:
    expression = compile_expression(
        "${execution.getVariable('amount') > limit && execution.hasVariableLocal(\"x\")}"
        "${execution.getVariable(computed)} ${task.getVariable('y')} ${other.getVariable('z')}"
    )
    assert expression.names == {"amount", "limit", "x", "computed", "y", "other"}
    assert expression.uses == {"execution", "task"}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("${customer.prop('email')}", "Unable to find property 'email'"),
        ("${customer.prop('name').numberValue()}", "Expected 'Number', got 'STRING'"),
        ("${customer.prop('age').elements()}", "Unable to get elements of a NUMBER node"),
        ("${S('{oops')}", "Unable to parse '{oops' as Json"),
        ("${S('<a/>')}", "XML is not supported"),
        ("${items.get(2)}", "Index 2 out of bounds for length 2"),
        ("${name.substring(20)}", "String index out of range"),
        ("${items.trim()}", "Cannot find method 'trim' in 'List'"),
        ("${counts.get(0).startsWith('1')}", "Cannot find method 'startsWith' in 'Long'"),
        ("${nothing.size()}", "Cannot call 'size' on null"),
        ("${dateTime().plusYears(9000)}", "plusYears failed: year 11026 is out of range"),
        ("${customer.prop('age') >= 21}", "Cannot coerce from SpinJsonNode to Long"),
    ],
)
def test_a_method_the_value_lacks_or_refuses_is_an_error_when_evaluated(
    source: str, reason: str
) -> None:
    with pytest.raises(ExpressionError) as raised:
        value(source)
    assert str(raised.value).startswith(f"Cannot evaluate {source}: {reason}")


def test_execution_methods_are_checked_when_compiled() -> None:
    with pytest.raises(ExpressionError, match=r"unknown method 'setVariable' at position 12"):
        compile_expression("${execution.setVariable('x', 1)}")


def test_days_keep_the_wall_time_across_a_daylight_saving_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As Joda in the server's zone: a day later is the same time of day, 23 hours on
    the night clocks go forward; hours are hours."""
    monkeypatch.setattr(joda_dates, "now_millis", lambda: datetime(2026, 3, 28, 11, tzinfo=UTC))
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    assert value("${dateTime().plusDays(1).toDate()}") == datetime(2026, 3, 29, 10, tzinfo=UTC)
    assert value("${dateTime().plusHours(24).toDate()}") == datetime(2026, 3, 29, 11, tzinfo=UTC)
    assert value("${dateTime().plusDays(1).withTimeAtStartOfDay().toDate()}") == datetime(
        2026, 3, 28, 23, tzinfo=UTC
    )
    assert value("${dateTime()}") == DateTime(datetime(2026, 3, 28, 11, tzinfo=UTC))
    assert value("${''}${dateTime()}") == "2026-03-28T12:00:00.000+01:00"
