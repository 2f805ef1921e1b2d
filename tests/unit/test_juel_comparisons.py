"""JUEL's comparisons as Camunda's BooleanOperations make them: a Double on either side
compares both as Doubles, else a Long on either side compares both as Longs, read by
Long.valueOf (so a Long never meets a decimal string); TypeConverterImpl.coerceToLong
refuses text beyond a Long instead of wrapping it."""

from __future__ import annotations

from typing import Any

import pytest

from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.juel_values import EvaluationError, coerce_to_double, coerce_to_long

VARIABLES: dict[str, Any] = {"amount": 1500, "price": 1500.0, "text": "1500.5", "whole": "1500"}


def value(source: str) -> Any:
    return compile_expression(source).evaluate(VARIABLES.__getitem__)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${amount == whole}", True),
        ("${amount < '01501'}", True),
        ("${price < text}", True),  # a Double reads the text as a Double
        ("${price == '1500'}", True),
        ("${text > 1500.0}", True),
        ("${'1e3' < 1001.0}", True),
    ],
)
def test_numbers_and_text_compare_as_camunda_compares_them(source: str, expected: bool) -> None:
    assert value(source) is expected


@pytest.mark.parametrize(
    "source",
    ["${amount < text}", "${amount == '1500.0'}", "${amount >= ' 1500'}", "${1 == '1e0'}"],
)
def test_a_long_compared_with_text_that_is_no_long_is_an_error(source: str) -> None:
    # BooleanOperations: Long branch, TypeConverterImpl.coerceToLong: Long.valueOf fails.
    with pytest.raises(ExpressionError, match="Long"):
        value(source)


def test_text_beyond_a_long_does_not_coerce_to_one() -> None:
    with pytest.raises(EvaluationError):
        coerce_to_long("9223372036854775808")
    assert coerce_to_long("-9223372036854775808") == -(2**63)
    with pytest.raises(ExpressionError):
        value("${'99999999999999999999' + 1}")


@pytest.mark.parametrize("text", ["1_000", "inf", "nan", "1.5dd", "infinity", "0x10"])
def test_text_double_value_of_refuses_is_no_double(text: str) -> None:
    # TypeConverterImpl.coerceToDouble: Double.valueOf, Java's grammar, not Python's.
    with pytest.raises(EvaluationError, match="Double"):
        coerce_to_double(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [(" 1.5 ", 1.5), ("1e3", 1000.0), ("2d", 2.0), ("-.5F", -0.5), ("Infinity", float("inf"))],
)
def test_text_double_value_of_reads_is_a_double(text: str, expected: float) -> None:
    assert coerce_to_double(text) == expected
