"""Spin's Json nodes (camunda-spin's ``JacksonJsonNode``) as expressions see them:
``S(...)`` / ``JSON(...)`` and a ``Json`` variable's value, with Spin's reading methods;
the messages say what Spin's exceptions say."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from taskvars.engine.juel_methods import ANY, BOOLEAN, JSON, LIST, NUMBER, STRING
from taskvars.engine.juel_methods import method as _m
from taskvars.engine.juel_values import EvaluationError, is_number, java_type


@dataclass(frozen=True)
class JsonNode:
    """Spin's ``SpinJsonNode``: a parsed JSON value (what ``S(...)`` and ``prop(...)``
    give; a ``Json`` variable reads as its plain value, with the same methods)."""

    value: Any
    java_type = "SpinJsonNode"

    def __str__(self) -> str:
        return json.dumps(self.value, separators=(",", ":"), ensure_ascii=False)


def _node_kind(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if is_number(value):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    return "ARRAY" if isinstance(value, list) else "OBJECT"


def _prop(node: JsonNode, name: str) -> JsonNode:
    if isinstance(node.value, dict) and name in node.value:
        return JsonNode(node.value[name])
    raise EvaluationError(f"Unable to find property '{name}' (Spin's prop)")


def _typed(expected: str, check: Callable[[Any], bool]) -> Callable[[JsonNode], Any]:
    def value(node: JsonNode) -> Any:
        if not check(node.value):
            raise EvaluationError(
                f"Expected '{expected}', got '{_node_kind(node.value)}' (Spin's "
                f"{expected.lower()}Value)"
            )
        return node.value

    return value


def _elements(node: JsonNode) -> list[JsonNode]:
    if not isinstance(node.value, list):
        raise EvaluationError(f"Unable to get elements of a {_node_kind(node.value)} node")
    return [JsonNode(item) for item in node.value]


def _field_names(node: JsonNode) -> list[str]:
    if not isinstance(node.value, dict):
        raise EvaluationError(f"Unable to get field names of a {_node_kind(node.value)} node")
    return list(node.value)


def _plain(node: JsonNode) -> Any:
    if isinstance(node.value, (dict, list)):
        raise EvaluationError(f"Unable to get the value of a {_node_kind(node.value)} node")
    return node.value


JSON_METHODS = {
    "toString": _m(STRING, str),
    "equals": _m(BOOLEAN, lambda r, o: isinstance(o, JsonNode) and r == o, ("Object",)),
    "prop": _m(JSON, _prop, (STRING,)),
    "hasProp": _m(BOOLEAN, lambda r, n: isinstance(r.value, dict) and n in r.value, (STRING,)),
    "isObject": _m(BOOLEAN, lambda r: isinstance(r.value, dict)),
    "isArray": _m(BOOLEAN, lambda r: isinstance(r.value, list)),
    "isValue": _m(BOOLEAN, lambda r: not isinstance(r.value, (dict, list))),
    "isString": _m(BOOLEAN, lambda r: isinstance(r.value, str)),
    "isNumber": _m(BOOLEAN, lambda r: is_number(r.value)),
    "isBoolean": _m(BOOLEAN, lambda r: isinstance(r.value, bool)),
    "isNull": _m(BOOLEAN, lambda r: r.value is None),
    "stringValue": _m(STRING, _typed("String", lambda v: isinstance(v, str))),
    "numberValue": _m(NUMBER, _typed("Number", is_number)),
    "boolValue": _m(BOOLEAN, _typed("Boolean", lambda v: isinstance(v, bool))),
    "value": _m(ANY, _plain),
    "elements": _m(LIST, _elements),
    "fieldNames": _m(LIST, _field_names),
}


def _no_constant(name: str) -> Any:
    # Jackson refuses NaN and Infinity unless told to allow them; so does Spin.
    raise ValueError(f"non-standard token '{name}'")


def spin(value: Any, data_format: str | None = None) -> JsonNode:
    """``S(value)`` and ``JSON(value)``: JSON text parsed, a Json value as it is."""
    if data_format not in (None, "application/json"):
        raise EvaluationError(f"the data format '{data_format}' is not supported (Json only)")
    if isinstance(value, JsonNode):
        return value
    if isinstance(value, str):
        if value.lstrip().startswith("<"):
            raise EvaluationError("XML is not supported by this server's S(...): Json only")
        try:
            return JsonNode(json.loads(value, parse_constant=_no_constant))
        except (ValueError, RecursionError):  # Jackson too has a nesting limit
            raise EvaluationError(f"Unable to parse '{value}' as Json") from None
    if value is None or isinstance(value, (dict, list)):
        return JsonNode(value)
    raise EvaluationError(f"Unable to read a {java_type(value)} as Json")
