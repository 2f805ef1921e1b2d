"""JUEL's arithmetic and ternary as Camunda's JUEL computes them (NumberOperations,
TypeConverterImpl, AstChoice): Long or Double, strings read as numbers, null as 0."""

from __future__ import annotations

import math
from typing import Any

import pytest

from taskvars.engine.expressions import ExpressionError, compile_expression

VARIABLES: dict[str, Any] = {
    "amount": 1500,
    "rate": 0.5,
    "text": "12",
    "decimal": "1.5",
    "word": "abc",
    "nothing": None,
    "yes": True,
    "invoice": {"lines": [{"amount": 10}, {"amount": 32}], "by": {"clerk": "ann"}},
    "key": "clerk",
}


def value(source: str) -> Any:
    return compile_expression(source).evaluate(VARIABLES.__getitem__)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("${1 + 2 * 3}", 7),
        ("${(1 + 2) * 3}", 9),
        ("${10 - 4 - 3}", 3),  # left to right
        ("${amount * 2}", 3000),
        ("${amount * rate}", 750.0),
        ("${text + 1}", 13),  # + reads a string as a number: never concatenation
        ("${text + text}", 24),
        ("${decimal + 1}", 2.5),  # a '.' in a string makes it a Double
        ("${nothing + 1}", 1),  # null is 0
        ("${nothing + nothing}", 0),
        ("${7 / 2}", 3.5),  # division is always a Double
        ("${6 div 3}", 2.0),
        ("${7 % 3}", 1),
        ("${-7 % 3}", -1),  # Java's remainder keeps the dividend's sign
        ("${7 mod -3}", 1),
        ("${7.5 % 2}", 1.5),
        ("${-amount}", -1500),
        ("${-text}", -12),
        ("${- -3}", 3),
        ("${-nothing}", 0),
        ("${9223372036854775807 + 1}", -9223372036854775808),  # a Long wraps around
        ("${amount > 1000 ? 'large' : 'small'}", "large"),
        ("${nothing ? 1 : 2}", 2),  # null is false
        ("${'TRUE' ? 1 : 2}", 1),
        ("${yes ? amount > 1 ? 'a' : 'b' : 'c'}", "a"),
        ("${amount + 1 > 1500 && !(amount * 2 < 3000)}", True),
        ("${invoice.lines[1].amount + invoice.lines[0]['amount']}", 42),
        ("${invoice['by'][key]}", "ann"),
        ("${invoice.lines[5]}", None),  # out of range: null, as ListELResolver
        ("${invoice.lines['1'].amount}", 32),
        ("${nothing.anything}", None),  # a property of null is null (AstProperty)
        ("${nothing[0]}", None),
    ],
)
def test_arithmetic_and_the_ternary_follow_juel(source: str, expected: Any) -> None:
    result = value(source)
    assert result == expected
    assert type(result) is type(expected)


def test_a_double_division_by_zero_is_infinity_or_nan_not_an_error() -> None:
    assert value("${1 / 0}") == math.inf
    assert value("${-1 / 0}") == -math.inf
    assert math.isnan(value("${0 / 0}"))
    assert math.isnan(value("${1.5 % 0}"))


def test_doubles_read_as_java_writes_them() -> None:
    assert value("${'total: '}${amount * 1.0}") == "total: 1500.0"
    assert value("${1e20 * 1}") == 1e20
    assert value("${'x'}${1e20 * 1}") == "x1.0E20"


def test_only_the_branch_chosen_is_evaluated() -> None:
    assert value("${yes ? 1 : undefinedName}") == 1
    assert compile_expression("${yes ? a : b}").names == {"yes", "a", "b"}


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("${word + 1}", "Cannot coerce 'abc' to Long"),
        ("${yes + 1}", "Cannot coerce from Boolean to Long"),
        ("${7 % 0}", "/ by zero"),
        ("${-yes}", "Cannot negate 'true'"),
        ("${invoice + 1}", "Cannot coerce from Map to Long"),
        ("${amount ? 1 : 2}", "1500 is not a boolean (?)"),
        ("${word.size}", "Cannot resolve property 'size' in 'String'"),
    ],
)
def test_values_that_do_not_coerce_are_an_error(source: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as raised:
        value(source)
    assert str(raised.value) == f"Cannot evaluate {source}: {reason}"
