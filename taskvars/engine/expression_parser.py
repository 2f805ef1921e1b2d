"""Parsing one ``${...}`` of an expression into :mod:`.expression_nodes`, in JUEL's
grammar as far as the subset goes; a method call is checked against its receiver's
static type (:mod:`.expression_methods`), and anything else is refused with its
position."""

from __future__ import annotations

import re
from typing import NoReturn

from taskvars.engine import expression_methods as methods
from taskvars.engine.expression_methods import ANY
from taskvars.engine.expression_nodes import (
    Arithmetic,
    Call,
    Choice,
    Comparison,
    Empty,
    Function,
    Literal,
    Logical,
    Name,
    Negate,
    Node,
    Not,
    Property,
)
from taskvars.engine.juel_values import as_string


class ExpressionError(ValueError):
    """An expression outside the subset, or one that cannot be evaluated; the message
    says which and where."""


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
_SPACE = re.compile(r"\s*")
_LONG_MAX = 2**63 - 1
# Far beyond what models write, and within Python's stack: parsing recurses about ten
# frames per nested group, and evaluating a node recurses into its operands.
MAX_NESTING = 40
MAX_DEPTH = 100
# Reserved by JUEL; outside the subset.
_UNSUPPORTED_KEYWORDS = {"instanceof"}


class Parser:
    """Recursive descent over one ``${...}``, from ``position`` to its ``}``, in JUEL's
    precedence: ``?:``, ``||``, ``&&``, equality, relations, ``+ -``, ``* / %``,
    unary operators, then ``.``/``[]`` and calls."""

    def __init__(self, source: str, position: int) -> None:
        self.source = source
        self.position = position
        self._nesting = 0

    def parse(self) -> Node:
        """The ``${...}`` from ``position`` to its ``}`` (``position`` left after it)."""
        node = self.expression()
        self.expect("}")
        if _depth(node) > MAX_DEPTH:
            self._refuse(f"nested too deeply (more than {MAX_DEPTH} levels of operations)", None)
        return node

    def expression(self) -> Node:
        self._enter()
        try:
            question = self._or()
            if not self._take("?"):
                return question
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            return Choice(question, yes, no, yes.kind if yes.kind == no.kind else ANY)
        finally:
            self._nesting -= 1

    def _enter(self) -> None:
        self._nesting += 1
        if self._nesting > MAX_NESTING:
            self._refuse(f"nested too deeply (more than {MAX_NESTING} levels)", None)

    def expect(self, token: str) -> None:
        found = self._next()
        if found != ("operator", token):
            self._refuse(f"expected '{token}'", found)

    def _or(self) -> Node:
        node = self._and()
        while self._take("||"):
            node = Logical("or", node, self._and())
        return node

    def _and(self) -> Node:
        node = self._equality()
        while self._take("&&"):
            node = Logical("and", node, self._equality())
        return node

    def _equality(self) -> Node:
        node = self._relation()
        while operator := self._take("==", "!="):
            node = Comparison(operator, node, self._relation())
        return node

    def _relation(self) -> Node:
        node = self._additive()
        while operator := self._take("<", ">", "<=", ">="):
            node = Comparison(operator, node, self._additive())
        return node

    def _additive(self) -> Node:
        node = self._multiplicative()
        while operator := self._take("+", "-"):
            node = Arithmetic(operator, node, self._multiplicative())
        return node

    def _multiplicative(self) -> Node:
        node = self._unary()
        while operator := self._take("*", "/", "%"):
            node = Arithmetic(operator, node, self._unary())
        return node

    def _unary(self) -> Node:
        if self._take("!"):
            return Not(self._nested_unary())
        if self._take_name("empty"):
            return Empty(self._nested_unary())
        if self._take("-"):
            return Negate(self._nested_unary())
        return self._value()

    def _nested_unary(self) -> Node:
        self._enter()
        try:
            return self._unary()
        finally:
            self._nesting -= 1

    def _value(self) -> Node:
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
                    node = self._property(node, Literal(text))
            elif self._take("["):
                key = self.expression()
                self.expect("]")
                node = self._property(node, key)
            else:
                return node

    def _property(self, owner: Node, key: Node) -> Node:
        kind = ANY
        if owner.kind not in (ANY, methods.MAP, methods.LIST, methods.JSON) and isinstance(
            key, Literal
        ):
            getter = methods.getter_of(owner.kind, as_string(key.constant))
            if getter is None:
                self._refuse(f"{owner.kind} has no property '{as_string(key.constant)}'", None)
            kind = methods.METHODS[owner.kind][getter].returns
        return Property(owner, key, kind)

    def _call(self, owner: Node, name: str, at: int) -> Node:
        """After ``owner.name(`` (``name`` at ``at``): the arguments and ``)``, checked
        against the owner's static type."""
        arguments = self._arguments()
        try:
            kind = methods.static_method(owner.kind, name, len(arguments))
        except LookupError as error:
            self._refuse(str(error), None, at)
        return Call(owner, name, arguments, kind)

    def _arguments(self) -> tuple[Node, ...]:
        arguments: list[Node] = []
        if self._take(")"):
            return ()
        while True:
            arguments.append(self.expression())
            if self._take(")"):
                return tuple(arguments)
            self.expect(",")

    def _primary(self) -> Node:
        at = self._token_start()
        kind, text = self._next()
        if kind == "number":
            number = _number(text)
            if isinstance(number, int) and number > _LONG_MAX:
                # JUEL's Parser.parseInteger: Long.valueOf, else a parse error.
                self._refuse("integer literal out of the range of a Long", None, at)
            return Literal(number)
        if kind == "string":
            return Literal(re.sub(r"\\(.)", r"\1", text[1:-1]))
        if kind == "name" and text in _LITERALS:
            return Literal(_LITERALS[text])
        if kind == "name" and text not in _UNSUPPORTED_KEYWORDS | set(_KEYWORD_OPERATORS):
            if (
                self._peek() == ("operator", ":")
                and self._peek(2)[0] == "name"
                and self._peek(3) == ("operator", "(")
            ):
                self._refuse("functions with a prefix are not supported", ("name", text))
            if not self._take("("):
                return Name(text)
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
            return Function(text, arguments, function.returns)
        if (kind, text) == ("operator", "("):
            node = self.expression()
            self.expect(")")
            return node
        self._refuse("expected a name, a literal or '('", (kind, text))

    # Tokens

    def _token_start(self) -> int:
        # A match, not a slice of the rest: a long expression stays linear to read.
        return _SPACE.match(self.source, self.position).end()  # type: ignore[union-attr]

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
        start = self._token_start()
        if start == len(self.source):
            return ("end", "")
        match = _TOKEN.match(self.source, self.position)
        if match is None or match.lastgroup is None:
            self.position = start
            self._refuse("unexpected character", ("character", self.source[start]))
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
    if any(c in text for c in ".eE"):
        return float(text)
    # Longer than any Long: no int() of it (Python refuses thousands of digits).
    return _LONG_MAX + 1 if len(text.lstrip("0")) > 19 else int(text)


def _depth(root: Node) -> int:
    """How deep the tree is, found without recursing (a tree too deep to evaluate is
    also too deep to walk recursively)."""
    deepest = 0
    pending = [(root, 1)]
    while pending:
        node, depth = pending.pop()
        deepest = max(deepest, depth)
        for child in vars(node).values():
            children = child if isinstance(child, tuple) else (child,)
            pending.extend((c, depth + 1) for c in children if isinstance(c, Node))
    return deepest
