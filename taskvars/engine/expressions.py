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
from dataclasses import dataclass
from typing import Any

from taskvars.engine.expression_methods import DateTime, ExecutionView, JsonNode, TaskView
from taskvars.engine.expression_nodes import EXECUTION, TASK, Env, Node, Resolver
from taskvars.engine.expression_parser import ExpressionError, Parser
from taskvars.engine.juel_values import EvaluationError, as_string, coerce_to_boolean

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


@dataclass(frozen=True)
class Expression:
    """A compiled expression: text, and ``${...}`` parts between, in order."""

    source: str
    parts: tuple[str | Node, ...]

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
        env = Env(resolve, execution, task)
        try:
            if len(self.parts) == 1 and not isinstance(self.parts[0], str):
                return self._value(self.parts[0], env)
            return "".join(
                part if isinstance(part, str) else as_string(self._value(part, env))
                for part in self.parts
            )
        except RecursionError:
            # The expression's own depth is bounded when compiled: this is a variable's
            # value (a Json list of lists...) too deep to show or compare.
            raise ExpressionError(
                f"Cannot evaluate {self.source}: a value is nested too deeply"
            ) from None

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

    def _value(self, node: Node, env: Env) -> Any:
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
    parts: list[str | Node] = []
    position = 0
    for match in re.finditer(r"[$#]\{", source):
        if match.start() < position:
            continue  # inside the previous part
        if match.start() > position:
            parts.append(source[position : match.start()])
        parser = Parser(source, match.end())
        parts.append(parser.parse())
        position = parser.position
    if position < len(source) or not parts:
        parts.append(source[position:])
    return Expression(source, tuple(parts))


def as_text(value: Any) -> str | None:
    """An expression's value as the text of an attribute (a name, a form key): JUEL's
    coercion to String (Booleans ``true`` and ``false``); ``None`` stays absent."""
    return None if value is None else as_string(value)
