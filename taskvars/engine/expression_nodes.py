"""The nodes of a compiled expression and how each evaluates, with JUEL's rules
(:mod:`.juel_values`); each knows the variables it names and its static type."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from taskvars.engine import expression_methods as methods
from taskvars.engine.expression_methods import (
    ANY,
    BOOLEAN,
    NUMBER,
    STRING,
    ExecutionView,
    TaskView,
)
from taskvars.engine.juel_values import (
    EvaluationError,
    arithmetic,
    as_string,
    coerce_to_boolean,
    coerce_to_double,
    coerce_to_long,
    java_type,
    negate,
    shown,
)

# The value of a name, or KeyError when the scope has no such variable.
Resolver = Callable[[str], Any]

# Names Camunda resolves to the objects of the evaluation, not to variables, when the
# scope has them (VariableScopeElResolver).
EXECUTION, TASK = "execution", "task"
# Methods whose one literal argument names a variable the expression reads.
VARIABLE_METHODS = frozenset({"getVariable", "getVariableLocal", "hasVariable", "hasVariableLocal"})


@dataclass(frozen=True)
class Env:
    """What one evaluation reads: variables by name, and the objects the caller gives."""

    resolve: Resolver
    execution: ExecutionView | None
    task: TaskView | None


# Nodes; ``kind`` is the static type (expression_methods' names), ANY when only the
# value will tell.


class Node:
    kind: str = ANY

    def value(self, env: Env) -> Any:
        raise NotImplementedError

    def collect_names(self, names: set[str]) -> None:
        pass


@dataclass(frozen=True)
class Literal(Node):
    constant: Any

    @property
    def kind(self) -> str:  # type: ignore[override]
        if isinstance(self.constant, bool):
            return BOOLEAN
        if isinstance(self.constant, str):
            return STRING
        return ANY if self.constant is None else NUMBER

    def value(self, env: Env) -> Any:
        return self.constant


@dataclass(frozen=True)
class Name(Node):
    name: str

    def value(self, env: Env) -> Any:
        if self.name == EXECUTION and env.execution is not None:
            return env.execution
        if self.name == TASK and env.task is not None:
            return env.task
        if self.name == EXECUTION and env.task is not None and env.task.execution is not None:
            return env.task.execution
        return env.resolve(self.name)

    def collect_names(self, names: set[str]) -> None:
        names.add(self.name)


@dataclass(frozen=True)
class Property(Node):
    """``owner.name`` and ``owner[key]``: a map's (a Json object's) entry, a list's
    element, a typed object's getter; ``null`` of ``null`` (JUEL's AstProperty)."""

    owner: Node
    key: Node
    kind: str = ANY

    def value(self, env: Env) -> Any:
        owner = self.owner.value(env)
        if owner is None:
            return None
        key = self.key.value(env)
        if isinstance(owner, dict):
            return methods.map_get(owner, key)  # MapELResolver: a missing key is null
        if isinstance(owner, list):
            index = coerce_to_long(key)
            return owner[index] if 0 <= index < len(owner) else None  # ListELResolver
        found, result = methods.bean_property(owner, as_string(key))
        if not found:
            raise EvaluationError(
                f"Cannot resolve property '{as_string(key)}' in '{java_type(owner)}'"
            )
        return result

    def collect_names(self, names: set[str]) -> None:
        self.owner.collect_names(names)
        self.key.collect_names(names)


@dataclass(frozen=True)
class Call(Node):
    """``owner.name(arguments)``; the method looked up by the owner's type when
    evaluated (checked against the static type when compiled)."""

    owner: Node
    name: str
    arguments: tuple[Node, ...]
    kind: str = ANY

    def value(self, env: Env) -> Any:
        owner = self.owner.value(env)
        if owner is None:
            raise EvaluationError(f"Cannot call '{self.name}' on null")
        return methods.call_method(owner, self.name, [a.value(env) for a in self.arguments])

    def collect_names(self, names: set[str]) -> None:
        self.owner.collect_names(names)
        for argument in self.arguments:
            argument.collect_names(names)
        if (
            self.name in VARIABLE_METHODS
            and isinstance(self.owner, Name)
            and self.owner.name in (EXECUTION, TASK)
            and len(self.arguments) == 1
            and isinstance(self.arguments[0], Literal)
            and isinstance(self.arguments[0].constant, str)
        ):
            names.add(self.arguments[0].constant)


@dataclass(frozen=True)
class Function(Node):
    name: str
    arguments: tuple[Node, ...]
    kind: str = ANY

    def value(self, env: Env) -> Any:
        return methods.call_function(self.name, [a.value(env) for a in self.arguments])

    def collect_names(self, names: set[str]) -> None:
        for argument in self.arguments:
            argument.collect_names(names)


@dataclass(frozen=True)
class Not(Node):
    operand: Node
    kind: str = BOOLEAN

    def value(self, env: Env) -> Any:
        return not coerce_to_boolean(self.operand.value(env), "!")

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class Negate(Node):
    operand: Node
    kind: str = NUMBER

    def value(self, env: Env) -> Any:
        return negate(self.operand.value(env))

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class Empty(Node):
    operand: Node
    kind: str = BOOLEAN

    def value(self, env: Env) -> Any:
        operand = self.operand.value(env)
        return operand is None or (isinstance(operand, (str, list, dict)) and not operand)

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class Arithmetic(Node):
    operator: str  # + - * / %
    left: Node
    right: Node
    kind: str = NUMBER

    def value(self, env: Env) -> Any:
        return arithmetic(self.operator, self.left.value(env), self.right.value(env))

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


@dataclass(frozen=True)
class Choice(Node):
    """``question ? yes : no``: only the branch chosen is evaluated (JUEL's AstChoice)."""

    question: Node
    yes: Node
    no: Node
    kind: str = ANY

    def value(self, env: Env) -> Any:
        if coerce_to_boolean(self.question.value(env), "?"):
            return self.yes.value(env)
        return self.no.value(env)

    def collect_names(self, names: set[str]) -> None:
        self.question.collect_names(names)
        self.yes.collect_names(names)
        self.no.collect_names(names)


@dataclass(frozen=True)
class Logical(Node):
    operator: str  # "and" or "or"
    left: Node
    right: Node
    kind: str = BOOLEAN

    def value(self, env: Env) -> Any:
        left = coerce_to_boolean(self.left.value(env), self.operator)
        if left == (self.operator == "or"):
            return left  # decided: the right side is not evaluated, as in JUEL
        return coerce_to_boolean(self.right.value(env), self.operator)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


@dataclass(frozen=True)
class Comparison(Node):
    operator: str  # == != < > <= >=
    left: Node
    right: Node
    kind: str = BOOLEAN

    def value(self, env: Env) -> Any:
        left, right = self.left.value(env), self.right.value(env)
        if self.operator in ("==", "!="):
            return _equal(left, right) == (self.operator == "==")
        return _ordered(self.operator, left, right)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


# JUEL's comparisons (JSR 245, sections 1.8 and 1.9)


def _as_numbers(left: Any, right: Any) -> tuple[Any, Any]:
    """BooleanOperations' numeric branches: a Double on either side makes both Doubles,
    else both are Longs (text read by Long.valueOf: ``'1.5'`` is no Long)."""
    if isinstance(left, float) or isinstance(right, float):
        return coerce_to_double(left), coerce_to_double(right)
    return coerce_to_long(left), coerce_to_long(right)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if _is_number(left) or _is_number(right):
        a, b = _as_numbers(left, right)
        return bool(a == b)
    if isinstance(left, bool) or isinstance(right, bool):
        return coerce_to_boolean(left, "==") == coerce_to_boolean(right, "==")
    if isinstance(left, str) or isinstance(right, str):
        return as_string(left) == as_string(right)
    return bool(left == right)


def _ordered(operator: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if _is_number(left) or _is_number(right):
        a, b = _as_numbers(left, right)
    elif isinstance(left, str) and isinstance(right, str):
        a, b = left, right
    elif isinstance(left, datetime) and isinstance(right, datetime):
        a, b = left, right  # Comparable: two Dates
    else:
        raise EvaluationError(f"cannot compare {shown(left)} with {shown(right)}")
    try:
        return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator])
    except TypeError:
        raise EvaluationError(f"cannot compare {shown(left)} with {shown(right)}") from None
