"""Values Java's collections and Spin's parser meet in expressions: a key no Python
dict can hold is a key a HashMap does not have; JSON text Jackson refuses is no Json."""

from __future__ import annotations

from typing import Any

import pytest

from taskvars.engine.expressions import ExpressionError, compile_expression


def test_a_list_or_map_as_a_maps_key_finds_nothing_as_javas_hash_map_finds_nothing() -> None:
    variables: dict[str, Any] = {"m": {"a": 1}, "l": [1, 2]}
    for source, expected in (
        ("${m.get(l)}", None),
        ("${m[l]}", None),
        ("${m[m]}", None),
        ("${m.containsKey(l)}", False),
        ("${m.containsKey('a')}", True),
    ):
        assert compile_expression(source).evaluate(variables.__getitem__) == expected, source


def test_json_text_with_nan_is_no_json_to_spin() -> None:
    # Jackson refuses the non-standard tokens NaN and Infinity by default.
    for text in ("NaN", "[Infinity]", '{"a": -Infinity}'):
        with pytest.raises(ExpressionError, match="Unable to parse"):
            compile_expression("${S(x)}").evaluate(lambda name, text=text: text)
