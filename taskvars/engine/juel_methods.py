"""What every method table of expressions is made of: the static types the compiler
knows, a method (parameter types per argument count, result type, call), JUEL's coercion
of arguments to parameter types, and the methods of every Java object."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from taskvars.engine.juel_values import as_string, coerce_to_boolean, coerce_to_long, java_equals

# Static types: what the compiler knows of a value ("any": only evaluation knows).
ANY = "any"
STRING, NUMBER, BOOLEAN = "String", "Number", "Boolean"
LIST, MAP = "List", "Map"
DATE, DATE_TIME, JSON = "Date", "DateTime", "Json"
EXECUTION, TASK = "Execution", "Task"


@dataclass(frozen=True)
class Method:
    """One method: parameter types per accepted argument count, the static type of its
    result, and the call (receiver, coerced arguments)."""

    parameters: tuple[tuple[str, ...], ...]
    returns: str
    call: Callable[..., Any]


def method(returns: str, call: Callable[..., Any], *parameters: tuple[str, ...]) -> Method:
    return Method(parameters or ((),), returns, call)


def coerce(value: Any, parameter: str) -> Any:
    if parameter == "int":
        return coerce_to_long(value)
    if parameter == STRING:
        return as_string(value)
    if parameter == BOOLEAN:
        return coerce_to_boolean(value, "argument")
    return value  # Object


def coerced(arguments: list[Any], parameters: tuple[str, ...]) -> list[Any]:
    return [coerce(a, p) for a, p in zip(arguments, parameters, strict=True)]


def object_methods() -> dict[str, Method]:
    return {
        "toString": method(STRING, lambda r: as_string(r)),
        "equals": method(BOOLEAN, lambda r, o: java_equals(r, o), ("Object",)),
    }
