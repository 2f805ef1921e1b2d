"""Camunda's expressions (JUEL), the subset BPMN models use for conditions, task
attributes and topics, parsed and evaluated here, never by ``eval``: no user string runs
as Python.

The subset (docs/compatibility.md, "Expressions"):

- ``${...}`` or ``#{...}``, alone or inside text (``Review of ${name}``: a string);
- variable names, properties (``${invoice.amount}``: a ``Json`` value's property, a
  JavaBean getter of the objects below) and brackets (``${a['b']}``, ``${list[0]}``);
- literals: numbers, ``'strings'`` and ``"strings"``, ``true``, ``false``, ``null``;
- arithmetic ``+ - * / div % mod`` and unary ``-``; comparison ``== != < > <= >=`` and
  ``eq ne lt gt le ge``; ``&&`` / ``and``, ``||`` / ``or``, ``!`` / ``not``, ``empty``,
  the ternary ``a ? b : c`` and parentheses;
- method calls on strings, numbers, lists, maps, Json values, the built-in functions
  ``now()`` (a Date), ``dateTime()`` (Joda's DateTime), ``S(...)`` and ``JSON(...)``
  (Spin's Json node), and ``execution`` / ``task`` where the caller supplies them
  (:mod:`.expression_methods` lists every method).

Values follow JUEL's coercion rules where they differ from Python's
(:mod:`.juel_values`): ``null`` is less than nothing and equal only to ``null``; a
string compared with or added to a number is read as a number (``+`` never
concatenates); ``/`` is a Double division; ``'true'`` is a true condition. Anything
outside the subset, and a method no type has, is refused when the expression is
compiled, which a deployment does for every expression of a model; a method called on a
value of a type that lacks it is an error when evaluated, as in JUEL.

Written by hand: the JUEL libraries are Java's, and Python's expression evaluators either
run Python (``eval``, ``simpleeval``'s attribute access) or speak another language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

from taskvars.engine import expression_methods as methods
from taskvars.engine.expression_methods import (
    ANY,
    BOOLEAN,
    NUMBER,
    STRING,
    DateTime,
    ExecutionView,
    JsonNode,
    TaskView,
)
from taskvars.engine.juel_values import (
    EvaluationError,
    arithmetic,
    as_string,
    coerce_to_boolean,
    coerce_to_long,
    java_type,
    negate,
    shown,
)

__all__ = [
    "DateTime",
    "ExecutionView",
    "Expression",
    "ExpressionError",
    "JsonNode",
    "Resolver",
    "TaskView",
    "as_text",
    "compile_expression",
]

# The value of a name, or KeyError when the scope has no such variable.
Resolver = Callable[[str], Any]

# Names Camunda resolves to the objects of the evaluation, not to variables, when the
# scope has them (VariableScopeElResolver).
EXECUTION, TASK = "execution", "task"
# Methods whose one literal argument names a variable the expression reads.
_VARIABLE_METHODS = frozenset(
    {"getVariable", "getVariableLocal", "hasVariable", "hasVariableLocal"}
)


class ExpressionError(ValueError):
    """An expression outside the subset, or one that cannot be evaluated; the message
    says which and where."""


@dataclass(frozen=True)
class _Env:
    resolve: Resolver
    execution: ExecutionView | None
    task: TaskView | None


@dataclass(frozen=True)
class Expression:
    """A compiled expression: text, and ``${...}`` parts between, in order."""

    source: str
    parts: tuple[str | _Node, ...]

    @property
    def is_literal(self) -> bool:
        """Plain text, no ``${...}``: its value is the text itself."""
        return all(isinstance(part, str) for part in self.parts)

    @functools.cached_property
    def names(self) -> frozenset[str]:
        """The variables it reads, as far as known before it runs: names, and the
        literal names given to ``execution.getVariable(...)`` and its siblings
        (``execution`` and ``task`` themselves are the evaluation's objects)."""
        found: set[str] = set()
        for part in self.parts:
            if not isinstance(part, str):
                part.collect_names(found)
        return frozenset(found - {EXECUTION, TASK})

    @functools.cached_property
    def uses(self) -> frozenset[str]:
        """Which of ``execution`` and ``task`` it names (a caller builds only those)."""
        found: set[str] = set()
        for part in self.parts:
            if not isinstance(part, str):
                part.collect_names(found)
        return frozenset(found & {EXECUTION, TASK})

    def evaluate(
        self,
        resolve: Resolver,
        *,
        execution: ExecutionView | None = None,
        task: TaskView | None = None,
    ) -> Any:
        """The value: a lone ``${...}`` gives its value as it is; text with parts gives
        a string. ``execution`` and ``task``, when given, are what those names mean."""
        env = _Env(resolve, execution, task)
        if len(self.parts) == 1 and not isinstance(self.parts[0], str):
            return self._value(self.parts[0], env)
        return "".join(
            part if isinstance(part, str) else as_string(self._value(part, env))
            for part in self.parts
        )

    def evaluate_condition(
        self,
        resolve: Resolver,
        *,
        execution: ExecutionView | None = None,
        task: TaskView | None = None,
    ) -> bool:
        value = self.evaluate(resolve, execution=execution, task=task)
        try:
            return coerce_to_boolean(value, self.source)
        except EvaluationError as error:
            raise ExpressionError(str(error)) from None

    def _value(self, node: _Node, env: _Env) -> Any:
        try:
            return node.value(env)
        except KeyError as missing:
            raise ExpressionError(
                f"Unknown property used in expression: {self.source}. "
                f"Cause: Cannot resolve identifier '{missing.args[0]}'"
            ) from None
        except EvaluationError as error:
            raise ExpressionError(f"Cannot evaluate {self.source}: {error}") from None


@functools.lru_cache(maxsize=1024)
def compile_expression(source: str) -> Expression:
    """``source`` compiled; raises :class:`ExpressionError` naming what is outside the
    subset and where."""
    parts: list[str | _Node] = []
    position = 0
    for match in re.finditer(r"[$#]\{", source):
        if match.start() < position:
            continue  # inside the previous part
        if match.start() > position:
            parts.append(source[position : match.start()])
        parser = _Parser(source, match.end())
        node = parser.expression()
        parser.expect("}")
        parts.append(node)
        position = parser.position
    if position < len(source) or not parts:
        parts.append(source[position:])
    return Expression(source, tuple(parts))


# Nodes; ``kind`` is the static type (expression_methods' names), ANY when only the
# value will tell.


class _Node:
    kind: str = ANY

    def value(self, env: _Env) -> Any:
        raise NotImplementedError

    def collect_names(self, names: set[str]) -> None:
        pass


@dataclass(frozen=True)
class _Literal(_Node):
    constant: Any

    @property
    def kind(self) -> str:  # type: ignore[override]
        if isinstance(self.constant, bool):
            return BOOLEAN
        if isinstance(self.constant, str):
            return STRING
        return ANY if self.constant is None else NUMBER

    def value(self, env: _Env) -> Any:
        return self.constant


@dataclass(frozen=True)
class _Name(_Node):
    name: str

    def value(self, env: _Env) -> Any:
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
class _Property(_Node):
    """``owner.name`` and ``owner[key]``: a map's (a Json object's) entry, a list's
    element, a typed object's getter; ``null`` of ``null`` (JUEL's AstProperty)."""

    owner: _Node
    key: _Node
    kind: str = ANY

    def value(self, env: _Env) -> Any:
        owner = self.owner.value(env)
        if owner is None:
            return None
        key = self.key.value(env)
        if isinstance(owner, dict):
            return owner.get(key)  # MapELResolver: a missing key is null
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
class _Call(_Node):
    """``owner.name(arguments)``; the method looked up by the owner's type when
    evaluated (checked against the static type when compiled)."""

    owner: _Node
    name: str
    arguments: tuple[_Node, ...]
    kind: str = ANY

    def value(self, env: _Env) -> Any:
        owner = self.owner.value(env)
        if owner is None:
            raise EvaluationError(f"Cannot call '{self.name}' on null")
        return methods.call_method(owner, self.name, [a.value(env) for a in self.arguments])

    def collect_names(self, names: set[str]) -> None:
        self.owner.collect_names(names)
        for argument in self.arguments:
            argument.collect_names(names)
        if (
            self.name in _VARIABLE_METHODS
            and isinstance(self.owner, _Name)
            and self.owner.name in (EXECUTION, TASK)
            and len(self.arguments) == 1
            and isinstance(self.arguments[0], _Literal)
            and isinstance(self.arguments[0].constant, str)
        ):
            names.add(self.arguments[0].constant)


@dataclass(frozen=True)
class _Function(_Node):
    name: str
    arguments: tuple[_Node, ...]
    kind: str = ANY

    def value(self, env: _Env) -> Any:
        return methods.call_function(self.name, [a.value(env) for a in self.arguments])

    def collect_names(self, names: set[str]) -> None:
        for argument in self.arguments:
            argument.collect_names(names)


@dataclass(frozen=True)
class _Not(_Node):
    operand: _Node
    kind: str = BOOLEAN

    def value(self, env: _Env) -> Any:
        return not coerce_to_boolean(self.operand.value(env), "!")

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class _Negate(_Node):
    operand: _Node
    kind: str = NUMBER

    def value(self, env: _Env) -> Any:
        return negate(self.operand.value(env))

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class _Empty(_Node):
    operand: _Node
    kind: str = BOOLEAN

    def value(self, env: _Env) -> Any:
        operand = self.operand.value(env)
        return operand is None or (isinstance(operand, (str, list, dict)) and not operand)

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class _Arithmetic(_Node):
    operator: str  # + - * / %
    left: _Node
    right: _Node
    kind: str = NUMBER

    def value(self, env: _Env) -> Any:
        return arithmetic(self.operator, self.left.value(env), self.right.value(env))

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


@dataclass(frozen=True)
class _Choice(_Node):
    """``question ? yes : no``: only the branch chosen is evaluated (JUEL's AstChoice)."""

    question: _Node
    yes: _Node
    no: _Node
    kind: str = ANY

    def value(self, env: _Env) -> Any:
        if coerce_to_boolean(self.question.value(env), "?"):
            return self.yes.value(env)
        return self.no.value(env)

    def collect_names(self, names: set[str]) -> None:
        self.question.collect_names(names)
        self.yes.collect_names(names)
        self.no.collect_names(names)


@dataclass(frozen=True)
class _Logical(_Node):
    operator: str  # "and" or "or"
    left: _Node
    right: _Node
    kind: str = BOOLEAN

    def value(self, env: _Env) -> Any:
        left = coerce_to_boolean(self.left.value(env), self.operator)
        if left == (self.operator == "or"):
            return left  # decided: the right side is not evaluated, as in JUEL
        return coerce_to_boolean(self.right.value(env), self.operator)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


@dataclass(frozen=True)
class _Comparison(_Node):
    operator: str  # == != < > <= >=
    left: _Node
    right: _Node
    kind: str = BOOLEAN

    def value(self, env: _Env) -> Any:
        left, right = self.left.value(env), self.right.value(env)
        if self.operator in ("==", "!="):
            return _equal(left, right) == (self.operator == "==")
        return _ordered(self.operator, left, right)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


# JUEL's comparisons (JSR 245, sections 1.8 and 1.9)


def _as_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise EvaluationError(f"{shown(value)} is not a number")
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if value is None or value == "":
        return Decimal(0)
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise EvaluationError(f"{shown(value)} is not a number") from None
    # A Json node compared with a number wants its numberValue(), as in Camunda.
    raise EvaluationError(f"Cannot coerce from {java_type(value)} to a number")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if _is_number(left) or _is_number(right):
        return _as_number(left) == _as_number(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return coerce_to_boolean(left, "==") == coerce_to_boolean(right, "==")
    if isinstance(left, str) or isinstance(right, str):
        return as_string(left) == as_string(right)
    return bool(left == right)


def _ordered(operator: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if _is_number(left) or _is_number(right):
        a: Any = _as_number(left)
        b: Any = _as_number(right)
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


def as_text(value: Any) -> str | None:
    """An expression's value as the text of an attribute (a name, a form key): JUEL's
    coercion to String (Booleans ``true`` and ``false``); ``None`` stays absent."""
    return None if value is None else as_string(value)


# Parsing

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<operator>&&|\|\||==|!=|<=|>=|[<>!().}\[\],?:+*/%-])
    )""",
    re.VERBOSE,
)
_KEYWORD_OPERATORS = {
    "and": "&&",
    "or": "||",
    "not": "!",
    "eq": "==",
    "ne": "!=",
    "lt": "<",
    "gt": ">",
    "le": "<=",
    "ge": ">=",
    "div": "/",
    "mod": "%",
}
_LITERALS = {"true": True, "false": False, "null": None}
# Reserved by JUEL; outside the subset.
_UNSUPPORTED_KEYWORDS = {"instanceof"}


class _Parser:
    """Recursive descent over one ``${...}``, from ``position`` to its ``}``, in JUEL's
    precedence: ``?:``, ``||``, ``&&``, equality, relations, ``+ -``, ``* / %``,
    unary operators, then ``.``/``[]`` and calls."""

    def __init__(self, source: str, position: int) -> None:
        self.source = source
        self.position = position

    def expression(self) -> _Node:
        question = self._or()
        if not self._take("?"):
            return question
        yes = self.expression()
        self.expect(":")
        no = self.expression()
        return _Choice(question, yes, no, yes.kind if yes.kind == no.kind else ANY)

    def expect(self, token: str) -> None:
        found = self._next()
        if found != ("operator", token):
            self._refuse(f"expected '{token}'", found)

    def _or(self) -> _Node:
        node = self._and()
        while self._take("||"):
            node = _Logical("or", node, self._and())
        return node

    def _and(self) -> _Node:
        node = self._equality()
        while self._take("&&"):
            node = _Logical("and", node, self._equality())
        return node

    def _equality(self) -> _Node:
        node = self._relation()
        while operator := self._take("==", "!="):
            node = _Comparison(operator, node, self._relation())
        return node

    def _relation(self) -> _Node:
        node = self._additive()
        while operator := self._take("<", ">", "<=", ">="):
            node = _Comparison(operator, node, self._additive())
        return node

    def _additive(self) -> _Node:
        node = self._multiplicative()
        while operator := self._take("+", "-"):
            node = _Arithmetic(operator, node, self._multiplicative())
        return node

    def _multiplicative(self) -> _Node:
        node = self._unary()
        while operator := self._take("*", "/", "%"):
            node = _Arithmetic(operator, node, self._unary())
        return node

    def _unary(self) -> _Node:
        if self._take("!"):
            return _Not(self._unary())
        if self._take_name("empty"):
            return _Empty(self._unary())
        if self._take("-"):
            return _Negate(self._unary())
        return self._value()

    def _value(self) -> _Node:
        node = self._primary()
        while True:
            if self._take("."):
                at = self._token_start()
                kind, text = self._next()
                if kind != "name":
                    self._refuse("expected a property or method name after '.'", (kind, text))
                if self._take("("):
                    node = self._call(node, text, at)
                else:
                    node = self._property(node, _Literal(text))
            elif self._take("["):
                key = self.expression()
                self.expect("]")
                node = self._property(node, key)
            else:
                return node

    def _property(self, owner: _Node, key: _Node) -> _Node:
        kind = ANY
        if owner.kind not in (ANY, methods.MAP, methods.LIST, methods.JSON) and isinstance(
            key, _Literal
        ):
            getter = methods.getter_of(owner.kind, as_string(key.constant))
            if getter is None:
                self._refuse(f"{owner.kind} has no property '{as_string(key.constant)}'", None)
            kind = methods.METHODS[owner.kind][getter].returns
        return _Property(owner, key, kind)

    def _call(self, owner: _Node, name: str, at: int) -> _Node:
        """After ``owner.name(`` (``name`` at ``at``): the arguments and ``)``, checked
        against the owner's static type."""
        arguments = self._arguments()
        try:
            kind = methods.static_method(owner.kind, name, len(arguments))
        except LookupError as error:
            self._refuse(str(error), None, at)
        return _Call(owner, name, arguments, kind)

    def _arguments(self) -> tuple[_Node, ...]:
        arguments: list[_Node] = []
        if self._take(")"):
            return ()
        while True:
            arguments.append(self.expression())
            if self._take(")"):
                return tuple(arguments)
            self.expect(",")

    def _primary(self) -> _Node:
        at = self._token_start()
        kind, text = self._next()
        if kind == "number":
            return _Literal(_number(text))
        if kind == "string":
            return _Literal(re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "name" and text in _LITERALS:
            return _Literal(_LITERALS[text])
        if kind == "name" and text not in _UNSUPPORTED_KEYWORDS | set(_KEYWORD_OPERATORS):
            if (
                self._peek() == ("operator", ":")
                and self._peek(2)[0] == "name"
                and self._peek(3) == ("operator", "(")
            ):
                self._refuse("functions with a prefix are not supported", ("name", text))
            if not self._take("("):
                return _Name(text)
            arguments = self._arguments()
            function = methods.FUNCTIONS.get(text)
            if function is None:
                self._refuse(
                    f"unknown function '{text}' (there are {', '.join(methods.FUNCTIONS)})",
                    None,
                    at,
                )
            if not any(len(p) == len(arguments) for p in function.parameters):
                self._refuse(f"{text} does not take {len(arguments)} argument(s)", None, at)
            return _Function(text, arguments, function.returns)
        if (kind, text) == ("operator", "("):
            node = self.expression()
            self.expect(")")
            return node
        self._refuse("expected a name, a literal or '('", (kind, text))

    # Tokens

    def _token_start(self) -> int:
        return len(self.source) - len(self.source[self.position :].lstrip())

    def _peek(self, ahead: int = 1) -> tuple[str, str]:
        saved = self.position
        try:
            found = ("end", "")
            for _ in range(ahead):
                found = self._next()
            return found
        except ExpressionError:
            return ("error", "")
        finally:
            self.position = saved

    def _next(self) -> tuple[str, str]:
        if self.source[self.position :].strip() == "":
            return ("end", "")
        match = _TOKEN.match(self.source, self.position)
        if match is None or match.lastgroup is None:
            remaining = self.source[self.position :].lstrip()
            self.position = len(self.source) - len(remaining)
            self._refuse("unexpected character", ("character", remaining[:1]))
        self.position = match.end()
        kind, text = match.lastgroup, match.group(match.lastgroup)
        if kind == "name" and text in _KEYWORD_OPERATORS:
            return ("operator", _KEYWORD_OPERATORS[text])
        return (kind, text)

    def _take(self, *operators: str) -> str | None:
        kind, text = self._peek()
        if kind == "operator" and text in operators:
            self._next()
            return text
        return None

    def _take_name(self, name: str) -> bool:
        if self._peek() == ("name", name):
            self._next()
            return True
        return False

    def _refuse(
        self, reason: str, found: tuple[str, str] | None, position: int | None = None
    ) -> NoReturn:
        shown_found = ""
        if found is not None:
            shown_found = ", found " + ("the end" if found[0] == "end" else repr(found[1]))
        raise ExpressionError(
            f"{self.source}: {reason}{shown_found} at position "
            f"{self.position if position is None else position}; "
            "see docs/compatibility.md, Expressions, for what is supported"
        )


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)
