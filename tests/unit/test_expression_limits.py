"""Hostile expressions: whatever a model's author writes is refused when compiled or
fails its evaluation with an ExpressionError (Camunda's error for the request), and
neither hangs nor breaks the evaluator."""

from __future__ import annotations

import time
from typing import Any

import pytest

from taskvars.engine.expressions import ExpressionError, compile_expression


def no_variables(name: str) -> Any:
    raise KeyError(name)


@pytest.mark.parametrize(
    "source",
    [
        "${" + "(" * 300 + "1" + ")" * 300 + "}",
        "${" + "!" * 2000 + "true}",
        "${" + "-" * 2000 + "1}",
        "${" + "true ? 1 : " * 400 + "0}",
        "${" + "+".join(["1"] * 3000) + "}",
        "${'a'" + ".toString()" * 2000 + "}",
        "${x" + "[0]" * 2000 + "}",
    ],
    ids=["parentheses", "negations", "minus-signs", "choices", "sum", "calls", "brackets"],
)
def test_an_expression_nested_too_deeply_is_refused_when_compiled(source: str) -> None:
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression(source)


def test_nesting_as_deep_as_models_write_it_compiles_and_evaluates() -> None:
    source = "${" + "(" * 20 + "+".join(["1"] * 50) + ")" * 20 + "}"
    assert compile_expression(source).evaluate(no_variables) == 50


def test_an_integer_literal_beyond_a_long_is_refused_as_juel_refuses_it() -> None:
    # JUEL's Parser.parseInteger: Long.valueOf, else a parse error.
    for digits in ("9223372036854775808", "9" * 5000):
        with pytest.raises(ExpressionError, match="integer"):
            compile_expression("${" + digits + " + 1}")
    assert compile_expression("${9223372036854775807}").evaluate(no_variables) == 2**63 - 1


class CountedText(str):
    """Text that counts the characters its slices copy."""

    copied = 0

    def __getitem__(self, key: Any) -> str:
        part = str.__getitem__(self, key)
        if isinstance(key, slice):
            CountedText.copied += len(part)
        return part


def test_a_long_expression_is_read_without_copying_its_rest_at_each_token() -> None:
    # Each token once copied the rest of the text: a model's long expression took time
    # growing with the square of its length.
    source = CountedText("${" + " && ".join(["a == 'x'"] * 2000) + "}")
    CountedText.copied = 0
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_expression.__wrapped__(source)
    assert CountedText.copied < 2 * len(source)
    long_text = "${'" + "a" * 200_000 + "'}"
    assert len(compile_expression(long_text).evaluate(no_variables)) == 200_000


def test_a_string_grown_past_the_limit_fails_instead_of_eating_the_memory() -> None:
    doubling = "${'aa'" + ".replace('a', 'aa')" * 40 + "}"
    started = time.monotonic()
    with pytest.raises(ExpressionError, match="too long"):
        compile_expression(doubling).evaluate(no_variables)
    assert time.monotonic() - started < 5
    assert compile_expression("${'ab'.replace('a', 'xy')}").evaluate(no_variables) == "xyb"


def test_json_nested_past_the_parser_depth_fails_as_spin_fails_to_read_it() -> None:
    deep = "[" * 50_000 + "]" * 50_000

    def resolve(name: str) -> Any:
        return deep

    with pytest.raises(ExpressionError, match="Unable to parse"):
        compile_expression("${S(x).isArray()}").evaluate(resolve)


def test_a_value_nested_too_deeply_to_show_fails_the_evaluation() -> None:
    deep: list[Any] = []
    for _ in range(5000):
        deep = [deep]

    def resolve(name: str) -> Any:
        return deep

    for source in ("Items: ${x}", "${x.toString()}"):
        with pytest.raises(ExpressionError, match="nested too deeply"):
            compile_expression(source).evaluate(resolve)
