"""Camunda's expressions (JUEL), the subset BPMN models use for conditions and task
attributes, parsed and evaluated here, never by ``eval``: no user string runs as Python.

The subset (docs/compatibility.md, "Expressions"):

- ``${...}`` or ``#{...}``, alone or inside text (``Review of ${name}``: a string);
- variable names and property access on ``Json`` values (``${invoice.amount}``);
- literals: numbers, ``'strings'`` and ``"strings"``, ``true``, ``false``, ``null``, and a
  leading ``-`` on a number;
- comparison: ``==`` ``!=`` ``<`` ``>`` ``<=`` ``>=`` and ``eq`` ``ne`` ``lt`` ``gt`` ``le`` ``ge``;
- ``&&`` / ``and``, ``||`` / ``or``, ``!`` / ``not``, ``empty``, parentheses.

Values follow JUEL's coercion rules where they differ from Python's: ``null`` is less
than nothing and equal only to ``null``; a string compared with a number is read as a
number; ``'true'`` is a true condition. Anything outside the subset (arithmetic, method
calls, brackets, functions) is refused when the expression is compiled, which a
deployment does for every expression of a model.

Written by hand: the JUEL libraries are Java's, and Python's expression evaluators either
run Python (``eval``, ``simpleeval``'s attribute access) or speak another language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn

# The value of a name, or KeyError when the scope has no such variable.
Resolver = Callable[[str], Any]


class ExpressionError(ValueError):
    """An expression outside the subset, or one that cannot be evaluated; the message
    says which and where."""


@dataclass(frozen=True)
class Expression:
    """A compiled expression: text, and ``${...}`` parts between, in order."""

    source: str
    parts: tuple[str | _Node, ...]

    @property
    def is_literal(self) -> bool:
        """Plain text, no ``${...}``: its value is the text itself."""
        return all(isinstance(part, str) for part in self.parts)

    @property
    def names(self) -> frozenset[str]:
        """The variables it reads."""
        found: set[str] = set()
        for part in self.parts:
            if not isinstance(part, str):
                part.collect_names(found)
        return frozenset(found)

    def evaluate(self, resolve: Resolver) -> Any:
        """The value: a lone ``${...}`` gives its value as it is; text with parts gives
        a string."""
        if len(self.parts) == 1 and not isinstance(self.parts[0], str):
            return self._value(self.parts[0], resolve)
        return "".join(
            part if isinstance(part, str) else _as_string(self._value(part, resolve))
            for part in self.parts
        )

    def evaluate_condition(self, resolve: Resolver) -> bool:
        return _as_boolean(self.evaluate(resolve), self.source)

    def _value(self, node: _Node, resolve: Resolver) -> Any:
        try:
            return node.value(resolve)
        except KeyError as missing:
            raise ExpressionError(
                f"Unknown property used in expression: {self.source}. "
                f"Cause: Cannot resolve identifier '{missing.args[0]}'"
            ) from None
        except _EvaluationError as error:
            raise ExpressionError(f"Cannot evaluate {self.source}: {error}") from None


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


class _EvaluationError(Exception):
    pass


# Nodes


class _Node:
    def value(self, resolve: Resolver) -> Any:
        raise NotImplementedError

    def collect_names(self, names: set[str]) -> None:
        pass


@dataclass(frozen=True)
class _Literal(_Node):
    constant: Any

    def value(self, resolve: Resolver) -> Any:
        return self.constant


@dataclass(frozen=True)
class _Name(_Node):
    name: str

    def value(self, resolve: Resolver) -> Any:
        return resolve(self.name)

    def collect_names(self, names: set[str]) -> None:
        names.add(self.name)


@dataclass(frozen=True)
class _Property(_Node):
    owner: _Node
    name: str

    def value(self, resolve: Resolver) -> Any:
        owner = self.owner.value(resolve)
        if owner is None:
            raise _EvaluationError(f"property '{self.name}' of null")
        if not isinstance(owner, dict):
            raise _EvaluationError(
                f"property '{self.name}' of a {type(owner).__name__}: only Json objects have "
                "properties"
            )
        return owner.get(self.name)

    def collect_names(self, names: set[str]) -> None:
        self.owner.collect_names(names)


@dataclass(frozen=True)
class _Not(_Node):
    operand: _Node

    def value(self, resolve: Resolver) -> Any:
        return not _as_boolean(self.operand.value(resolve), "!")

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class _Empty(_Node):
    operand: _Node

    def value(self, resolve: Resolver) -> Any:
        operand = self.operand.value(resolve)
        return operand is None or (isinstance(operand, (str, list, dict)) and not operand)

    def collect_names(self, names: set[str]) -> None:
        self.operand.collect_names(names)


@dataclass(frozen=True)
class _Logical(_Node):
    operator: str  # "and" or "or"
    left: _Node
    right: _Node

    def value(self, resolve: Resolver) -> Any:
        left = _as_boolean(self.left.value(resolve), self.operator)
        if left == (self.operator == "or"):
            return left  # decided: the right side is not evaluated, as in JUEL
        return _as_boolean(self.right.value(resolve), self.operator)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


@dataclass(frozen=True)
class _Comparison(_Node):
    operator: str  # == != < > <= >=
    left: _Node
    right: _Node

    def value(self, resolve: Resolver) -> Any:
        left, right = self.left.value(resolve), self.right.value(resolve)
        if self.operator in ("==", "!="):
            return _equal(left, right) == (self.operator == "==")
        return _ordered(self.operator, left, right)

    def collect_names(self, names: set[str]) -> None:
        self.left.collect_names(names)
        self.right.collect_names(names)


# JUEL's coercions (JSR 245, section 1.18)


def _as_boolean(value: Any, where: str) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.lower() == "true"
    raise _EvaluationError(f"{_shown(value)} is not a boolean ({where})")


def _as_number(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise _EvaluationError(f"{_shown(value)} is not a number")
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise _EvaluationError(f"{_shown(value)} is not a number") from None
    raise _EvaluationError(f"{_shown(value)} is not a number")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return left is right
    if _is_number(left) or _is_number(right):
        return _as_number(left) == _as_number(right)
    if isinstance(left, bool) or isinstance(right, bool):
        return _as_boolean(left, "==") == _as_boolean(right, "==")
    if isinstance(left, str) or isinstance(right, str):
        return _as_string(left) == _as_string(right)
    return bool(left == right)


def _ordered(operator: str, left: Any, right: Any) -> bool:
    if left is None or right is None:
        return False
    if _is_number(left) or _is_number(right):
        a: Any = _as_number(left)
        b: Any = _as_number(right)
    elif isinstance(left, str) and isinstance(right, str):
        a, b = left, right
    else:
        raise _EvaluationError(f"cannot compare {_shown(left)} with {_shown(right)}")
    return bool({"<": a < b, ">": a > b, "<=": a <= b, ">=": a >= b}[operator])


def as_text(value: Any) -> str | None:
    """An expression's value as the text of an attribute (a name, a form key): JUEL's
    coercion to String (Booleans ``true`` and ``false``); ``None`` stays absent."""
    return None if value is None else _as_string(value)


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


# Parsing

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
      | (?P<operator>&&|\|\||==|!=|<=|>=|[<>!().}-])
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
}
_LITERALS = {"true": True, "false": False, "null": None}
# Reserved by JUEL; outside the subset.
_UNSUPPORTED_KEYWORDS = {"div", "mod", "instanceof"}


class _Parser:
    """Recursive descent over one ``${...}``, from ``position`` to its ``}``."""

    def __init__(self, source: str, position: int) -> None:
        self.source = source
        self.position = position

    def expression(self) -> _Node:
        return self._or()

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
        node = self._unary()
        while operator := self._take("<", ">", "<=", ">="):
            node = _Comparison(operator, node, self._unary())
        return node

    def _unary(self) -> _Node:
        if self._take("!"):
            return _Not(self._unary())
        if self._take_name("empty"):
            return _Empty(self._unary())
        if self._take("-"):
            kind, text = self._next()
            if kind != "number":
                self._refuse("'-' is only allowed before a number (no arithmetic)", (kind, text))
            return _Literal(-_number(text))
        return self._primary()

    def _primary(self) -> _Node:
        kind, text = self._next()
        node: _Node
        if kind == "number":
            node = _Literal(_number(text))
        elif kind == "string":
            node = _Literal(re.sub(r"\\(.)", r"\1", text[1:-1]))
        elif kind == "name" and text in _LITERALS:
            node = _Literal(_LITERALS[text])
        elif kind == "name" and text not in _UNSUPPORTED_KEYWORDS | set(_KEYWORD_OPERATORS):
            node = _Name(text)
        elif (kind, text) == ("operator", "("):
            node = self.expression()
            self.expect(")")
        else:
            self._refuse("expected a name, a literal or '('", (kind, text))
        while self._take("."):
            kind, text = self._next()
            if kind != "name":
                self._refuse("expected a property name after '.'", (kind, text))
            node = _Property(node, text)
        if self._peek() == ("operator", "("):
            self._refuse("method and function calls are not supported", self._peek())
        return node

    # Tokens

    def _peek(self) -> tuple[str, str]:
        saved = self.position
        try:
            return self._next()
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

    def _refuse(self, reason: str, found: tuple[str, str]) -> NoReturn:
        shown = "the end" if found[0] == "end" else repr(found[1])
        raise ExpressionError(
            f"{self.source}: {reason}, found {shown} at position {self.position}; "
            "see docs/compatibility.md, Expressions, for what is supported"
        )


def _number(text: str) -> int | float:
    return float(text) if any(c in text for c in ".eE") else int(text)
