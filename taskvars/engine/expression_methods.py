"""The methods an expression may call, per receiver type (strings, numbers, lists,
maps; dates in :mod:`.joda_dates`, Json nodes in :mod:`.spin_json`), the built-in
functions, and the ``execution`` and ``task`` objects only expressions see.

Each type lists its methods with their parameter types (JUEL coerces each argument to
its parameter's type) and the type they return, so that a call on a receiver whose type
is known when the expression is compiled (a literal, a built-in function, a method of a
known type) is checked then, and a call on a variable is checked against every type's
methods then and against the value's own type when evaluated. A JavaBean property
(``execution.processBusinessKey``) is its getter (``getProcessBusinessKey()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from taskvars.engine.joda_dates import (
    DATE_METHODS,
    DATE_TIME_METHODS,
    DateTime,
    date_time,
    now,
)
from taskvars.engine.juel_methods import (
    ANY,
    BOOLEAN,
    DATE,
    DATE_TIME,
    EXECUTION,
    JSON,
    LIST,
    MAP,
    NUMBER,
    STRING,
    TASK,
    Method,
    coerced,
)
from taskvars.engine.juel_methods import method as _m
from taskvars.engine.juel_methods import object_methods as _object_methods
from taskvars.engine.juel_values import (
    EvaluationError,
    coerce_to_long,
    is_number,
    java_equals,
    java_type,
)
from taskvars.engine.spin_json import JSON_METHODS, JsonNode, spin

__all__ = [
    "ANY",
    "BOOLEAN",
    "DATE",
    "DATE_TIME",
    "EXECUTION",
    "JSON",
    "LIST",
    "MAP",
    "NUMBER",
    "STRING",
    "TASK",
    "DateTime",
    "JsonNode",
    "Method",
]

# ``name -> value`` of a variable; KeyError when there is none.
Resolver = Callable[[str], Any]


@dataclass(frozen=True)
class ExecutionView:
    """``execution`` as an expression sees it (Camunda's ``DelegateExecution``): what the
    runtime can answer, the business key looked up only if asked for."""

    id: str
    process_instance_id: str
    process_definition_id: str | None
    activity_id: str | None
    tenant_id: str | None
    business_key: Callable[[], str | None]
    read: Resolver
    read_local: Resolver
    java_type = "ExecutionEntity"


@dataclass(frozen=True)
class TaskView:
    """``task`` as an expression sees it (Camunda's ``DelegateTask``), where Camunda
    evaluates with the task as the variable scope (the form key)."""

    properties: Mapping[str, Any]  # bean property name -> value: id, name, assignee...
    read: Resolver
    read_local: Resolver
    execution: ExecutionView | None = field(default=None)
    java_type = "TaskEntity"


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _substring(text: str, begin: int, end: int | None = None) -> str:
    end = len(text) if end is None else end
    if begin < 0 or end > len(text) or begin > end:
        raise EvaluationError(f"String index out of range: begin {begin}, end {end}")
    return text[begin:end]


# Strings an expression builds are bounded: a chain of replace() calls doubles its
# receiver at each step, and would otherwise take the server's memory (Java's String
# would end in an OutOfMemoryError).
MAX_STRING_LENGTH = 10_000_000


def _bounded(length: int) -> None:
    if length > MAX_STRING_LENGTH:
        raise EvaluationError(
            f"the string would be too long ({length} characters; at most {MAX_STRING_LENGTH})"
        )


def _concat(text: str, other: str) -> str:
    _bounded(len(text) + len(other))
    return text + other


def _replace(text: str, old: str, new: str) -> str:
    _bounded(len(text) + text.count(old) * (len(new) - len(old)))
    return text.replace(old, new)


def _java_trim(text: str) -> str:
    return text.strip("".join(chr(c) for c in range(33)))


_STRING_METHODS = {
    **_object_methods(),
    "length": _m(NUMBER, _utf16_length),
    "isEmpty": _m(BOOLEAN, lambda r: r == ""),
    "equalsIgnoreCase": _m(
        BOOLEAN, lambda r, o: isinstance(o, str) and r.lower() == o.lower(), ("Object",)
    ),
    "contains": _m(BOOLEAN, lambda r, s: s in r, (STRING,)),
    "startsWith": _m(BOOLEAN, lambda r, s: r.startswith(s), (STRING,)),
    "endsWith": _m(BOOLEAN, lambda r, s: r.endswith(s), (STRING,)),
    "indexOf": _m(NUMBER, lambda r, s: r.find(s), (STRING,)),
    "toUpperCase": _m(STRING, lambda r: r.upper()),
    "toLowerCase": _m(STRING, lambda r: r.lower()),
    "trim": _m(STRING, _java_trim),
    "substring": _m(STRING, _substring, ("int",), ("int", "int")),
    "concat": _m(STRING, _concat, (STRING,)),
    "replace": _m(STRING, _replace, (STRING, STRING)),
}


def _int_value(number: int | float) -> int:
    """``Number.intValue()``: a Long wraps into 32 bits, a Double is cut off and clamped."""
    if isinstance(number, float):
        return max(-(2**31), min(2**31 - 1, coerce_to_long(number)))
    return ((number + 2**31) % 2**32) - 2**31


_NUMBER_METHODS = {
    **_object_methods(),
    "intValue": _m(NUMBER, lambda r: _int_value(r)),
    "longValue": _m(NUMBER, lambda r: coerce_to_long(r)),
    "doubleValue": _m(NUMBER, lambda r: float(r)),
}

_BOOLEAN_METHODS = {**_object_methods(), "booleanValue": _m(BOOLEAN, lambda r: r)}


def _list_get(items: list[Any], index: int) -> Any:
    if not 0 <= index < len(items):
        raise EvaluationError(f"Index {index} out of bounds for length {len(items)}")
    return items[index]


def _index_of(items: list[Any], wanted: Any) -> int:
    return next((i for i, item in enumerate(items) if java_equals(item, wanted)), -1)


_LIST_METHODS = {
    **_object_methods(),
    "size": _m(NUMBER, len),
    "isEmpty": _m(BOOLEAN, lambda r: not r),
    "contains": _m(BOOLEAN, lambda r, o: _index_of(r, o) >= 0, ("Object",)),
    "indexOf": _m(NUMBER, _index_of, ("Object",)),
    "get": _m(ANY, _list_get, ("int",)),
}


def map_get(mapping: dict[Any, Any], key: Any) -> Any:
    """``Map.get``: ``null`` for a key it lacks, also for a list or map as the key
    (which a Python dict cannot hash, and a HashMap of JSON keys never holds)."""
    try:
        return mapping.get(key)
    except TypeError:
        return None


def _contains_key(mapping: dict[Any, Any], key: Any) -> bool:
    try:
        return key in mapping
    except TypeError:
        return False


_MAP_METHODS = {
    **_object_methods(),
    "size": _m(NUMBER, len),
    "isEmpty": _m(BOOLEAN, lambda r: not r),
    "containsKey": _m(BOOLEAN, _contains_key, ("Object",)),
    "containsValue": _m(BOOLEAN, lambda r, v: _index_of(list(r.values()), v) >= 0, ("Object",)),
    "get": _m(ANY, map_get, ("Object",)),
}


# execution and task


def _has(read: Resolver, name: str) -> bool:
    try:
        read(name)
    except KeyError:
        return False
    return True


def _variable(read: Resolver) -> Callable[[Any, str], Any]:
    def get(_: Any, name: str) -> Any:
        try:
            return read(name)
        except KeyError:
            return None  # Camunda's getVariable: null for a variable nobody set

    return get


_EXECUTION_METHODS = {
    **_object_methods(),
    "getId": _m(STRING, lambda r: r.id),
    "getProcessInstanceId": _m(STRING, lambda r: r.process_instance_id),
    "getProcessBusinessKey": _m(STRING, lambda r: r.business_key()),
    "getBusinessKey": _m(STRING, lambda r: r.business_key()),
    "getProcessDefinitionId": _m(STRING, lambda r: r.process_definition_id),
    "getCurrentActivityId": _m(STRING, lambda r: r.activity_id),
    "getActivityId": _m(STRING, lambda r: r.activity_id),
    "getTenantId": _m(STRING, lambda r: r.tenant_id),
    "getVariable": _m(ANY, lambda r, n: _variable(r.read)(r, n), (STRING,)),
    "getVariableLocal": _m(ANY, lambda r, n: _variable(r.read_local)(r, n), (STRING,)),
    "hasVariable": _m(BOOLEAN, lambda r, n: _has(r.read, n), (STRING,)),
    "hasVariableLocal": _m(BOOLEAN, lambda r, n: _has(r.read_local, n), (STRING,)),
}

# DelegateTask's getters over TaskView.properties, by bean property name.
TASK_PROPERTIES = (
    "id",
    "name",
    "description",
    "assignee",
    "owner",
    "priority",
    "dueDate",
    "followUpDate",
    "createTime",
    "taskDefinitionKey",
    "processInstanceId",
    "processDefinitionId",
    "executionId",
    "tenantId",
)


def _task_getter(name: str) -> Method:
    kind = NUMBER if name == "priority" else DATE if name.endswith(("Date", "Time")) else STRING
    return _m(kind, lambda r: r.properties.get(name))


_TASK_METHODS = {
    **_object_methods(),
    **{f"get{name[0].upper()}{name[1:]}": _task_getter(name) for name in TASK_PROPERTIES},
    "getExecution": _m(EXECUTION, lambda r: r.execution),
    "getVariable": _m(ANY, lambda r, n: _variable(r.read)(r, n), (STRING,)),
    "getVariableLocal": _m(ANY, lambda r, n: _variable(r.read_local)(r, n), (STRING,)),
    "hasVariable": _m(BOOLEAN, lambda r, n: _has(r.read, n), (STRING,)),
    "hasVariableLocal": _m(BOOLEAN, lambda r, n: _has(r.read_local, n), (STRING,)),
}

METHODS: dict[str, dict[str, Method]] = {
    STRING: _STRING_METHODS,
    NUMBER: _NUMBER_METHODS,
    BOOLEAN: _BOOLEAN_METHODS,
    LIST: _LIST_METHODS,
    MAP: _MAP_METHODS,
    JSON: JSON_METHODS,
    DATE_TIME: DATE_TIME_METHODS,
    DATE: DATE_METHODS,
    EXECUTION: _EXECUTION_METHODS,
    TASK: _TASK_METHODS,
}
# Every method name any type has, with the argument counts it takes somewhere.
_ANY_ARITIES: dict[str, set[int]] = {}
for _methods in METHODS.values():
    for _name, _method in _methods.items():
        _ANY_ARITIES.setdefault(_name, set()).update(len(p) for p in _method.parameters)

# Built-in functions: Camunda's DateTimeFunctions and Spin's S / JSON.
FUNCTIONS: dict[str, Method] = {
    "now": _m(DATE, now),
    "dateTime": _m(DATE_TIME, date_time),
    "S": _m(JSON, spin, ("Object",), ("Object", STRING)),
    "JSON": _m(JSON, spin, ("Object",), ("Object", STRING)),
}


def static_method(kind: str, name: str, arity: int) -> str:
    """The static type a call returns; raises ``LookupError`` with the reason when no
    receiver of ``kind`` has such a method."""
    if kind == ANY:
        if arity not in _ANY_ARITIES.get(name, set()):
            raise LookupError(
                f"unknown method '{name}' with {arity} argument(s)"
                if name in _ANY_ARITIES
                else f"unknown method '{name}'"
            )
        return ANY
    method = METHODS[kind].get(name)
    if method is None:
        raise LookupError(f"{kind} has no method '{name}'")
    if not any(len(p) == arity for p in method.parameters):
        raise LookupError(f"{kind}.{name} does not take {arity} argument(s)")
    return method.returns


def getter_of(kind: str, prop: str) -> str | None:
    """The getter a bean property reads on a known type (``get``/``is`` + name)."""
    if kind not in METHODS or not prop:
        return None
    capitalised = prop[0].upper() + prop[1:]
    for name in (f"get{capitalised}", f"is{capitalised}"):
        method = METHODS[kind].get(name)
        if method is not None and method.parameters == ((),):
            return name
    return None


def kinds_of(value: Any) -> tuple[str, ...]:
    """The types whose methods a value answers to, in the order they are looked up: a
    plain JSON object or array (a ``Json`` variable) answers as Spin's node first, then
    as a Java map or list."""
    if isinstance(value, bool):
        return (BOOLEAN,)
    if is_number(value):
        return (NUMBER,)
    if isinstance(value, str):
        return (STRING,)
    if isinstance(value, dict):
        return (JSON, MAP)
    if isinstance(value, list):
        return (JSON, LIST)
    if isinstance(value, JsonNode):
        return (JSON,)
    if isinstance(value, DateTime):
        return (DATE_TIME,)
    if isinstance(value, datetime):
        return (DATE,)
    if isinstance(value, ExecutionView):
        return (EXECUTION,)
    if isinstance(value, TaskView):
        return (TASK,)
    return ()


def call_method(receiver: Any, name: str, arguments: list[Any]) -> Any:
    """``receiver.name(arguments)``, looked up by the receiver's own type."""
    if receiver is None:
        raise EvaluationError(f"Cannot call '{name}' on null")
    for kind in kinds_of(receiver):
        method = METHODS[kind].get(name)
        if method is None:
            continue
        for parameters in method.parameters:
            if len(parameters) == len(arguments):
                target = receiver
                if kind == JSON and isinstance(receiver, (dict, list)):
                    target = JsonNode(receiver)
                return _invoked(method, name, target, *coerced(arguments, parameters))
    raise EvaluationError(f"Cannot find method '{name}' in '{java_type(receiver)}'")


def call_function(name: str, arguments: list[Any]) -> Any:
    function = FUNCTIONS[name]
    for parameters in function.parameters:
        if len(parameters) == len(arguments):
            return _invoked(function, name, *coerced(arguments, parameters))
    raise EvaluationError(f"{name} does not take {len(arguments)} argument(s)")


def _invoked(method: Method, name: str, *arguments: Any) -> Any:
    try:
        return method.call(*arguments)
    except EvaluationError:
        raise
    except (ValueError, OverflowError, ArithmeticError) as error:
        # A date past year 9999, say: the method's failure, as Java's exception would be.
        raise EvaluationError(f"{name} failed: {error}") from None


def bean_property(receiver: Any, prop: str) -> tuple[bool, Any]:
    """``receiver.prop`` read through its getter, when the receiver is one of the typed
    objects (not a map); ``(False, None)`` when it has no such getter."""
    for kind in kinds_of(receiver):
        if kind in (MAP, JSON, LIST):
            continue
        getter = getter_of(kind, prop)
        if getter is not None:
            return True, _invoked(METHODS[kind][getter], getter, receiver)
    return False, None
