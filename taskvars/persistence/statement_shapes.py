"""Query statements built once per shape of their criteria, their values bound per run.

Building a query's SQLAlchemy statement (aliases, their column proxies, the conditions)
costs more CPU than the database spends answering a small query, and leaves objects
whose collection stalled the event loop under load. A query's *shape* is what decides
its SQL: which criteria it gives, each variable condition's operator and kind of value,
its sorting, paging or not. Everything else is a value, bound as a named parameter: a
shape's statement is built once, from its criteria with parameters in place of their
values, and every query of that shape runs it with its own values.

A resource takes its query apart with :class:`Parameters` (the criteria dataclass by
:meth:`Parameters.criteria`, anything else by :meth:`Parameters.bind`) and keeps its
statements in a :class:`StatementCache`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import fields, replace
from typing import Any, Generic, NamedTuple, TypeVar

from sqlalchemy import BindParameter, Integer, Select
from sqlalchemy.types import TypeEngine

from taskvars.persistence.placeholders import Placeholder
from taskvars.persistence.values import VariableCondition
from taskvars.persistence.variable_conditions import Operand, operand_of

Shape = tuple[Hashable, ...]
Template = TypeVar("Template")
T = TypeVar("T")
# Shapes kept per resource and statement: a client asks a few, but one choosing its
# criteria could make any number.
SHAPES_KEPT = 256


class Bound(NamedTuple):
    """A statement and the values of its parameters, for ``session.execute``."""

    statement: Any
    parameters: dict[str, Any]


def given(value: Any) -> bool:
    """Whether a criterion asks for something where its emptiness matters (an empty
    list of candidate groups asks for none): a parameter stands for a value that was
    not empty (:meth:`Parameters.criteria` keeps empty values in the shape)."""
    return isinstance(value, BindParameter) or bool(value)


class Paging(NamedTuple):
    """``firstResult`` and ``maxResults`` as a statement is built with them: values, or
    parameters; no limit at all is another shape (``paging_shape``)."""

    offset: Any
    limit: Any

    @property
    def shape(self) -> bool:
        return self.limit is None

    def applied(self, statement: Select[Any]) -> Select[Any]:
        # Not ``query_statements.paged``: its ``first_result or 0`` would ask a
        # parameter for its truth.
        return statement.offset(self.offset).limit(self.limit)


class Parameters:
    """A query's values as it is taken apart into its shape, each under a key of its
    own; with ``placeholders``, while its shape's statement is built, each value's place
    is taken by a parameter of that key."""

    def __init__(self, *, placeholders: bool) -> None:
        self.values: dict[str, Any] = {}
        self._placeholders = placeholders

    def bind(self, key: str, value: Any, type_: TypeEngine[Any] | None = None) -> Any:
        """``value``, or its :class:`Placeholder` (typed ``type_`` if given)."""
        self.values[key] = value
        if not self._placeholders:
            return value
        return Placeholder(key, value, type_)

    def paging(self, first_result: int, max_results: int | None) -> Paging:
        """The page asked for, its bounds bound (as integers, as SQLAlchemy binds them)."""
        offset = self.bind("first_result", first_result or 0, Integer())
        if max_results is None:
            return Paging(offset, None)
        return Paging(offset, self.bind("max_results", max_results, Integer()))

    def criteria(self, criteria: T, prefix: str = "") -> tuple[Shape, T]:
        """The shape of a criteria dataclass, and the criteria with parameters for their
        values. ``None``, ``False`` and ``()`` ask for nothing; ``True``, ``""`` and
        ``[]`` are shape, not values (see :func:`given`); tuples hold or-queries and
        variable conditions."""
        shape: list[Hashable] = []
        changes: dict[str, Any] = {}
        for item in fields(criteria):  # type: ignore[arg-type]
            value = getattr(criteria, item.name)
            if value is None or value is False or value == ():
                continue
            key = prefix + item.name
            if isinstance(value, tuple):
                parts = [self._part(part, f"{key}{index}_") for index, part in enumerate(value)]
                shape.append((item.name, tuple(part_shape for part_shape, _ in parts)))
                changes[item.name] = tuple(template for _, template in parts)
            elif value is True or value == "" or value == []:
                shape.append((item.name, tuple(value) if isinstance(value, list) else value))
            else:
                shape.append((item.name, type(value)))
                changes[item.name] = self.bind(key, value)
        if not self._placeholders:
            return tuple(shape), criteria
        return tuple(shape), replace(criteria, **changes)  # type: ignore[type-var]

    def variable_condition(
        self, condition: VariableCondition, prefix: str
    ) -> tuple[Shape, VariableCondition]:
        """A variable condition's shape: its operator, where it looks, its ignoring of
        case, the kind of its value (which column it compares) and its Python type (an
        integer column compares a float as a float); its name and value (in its column's
        form) are bound."""
        operand = operand_of(condition.value)
        shape = (
            condition.operator,
            condition.task_local,
            condition.ignore_name_case,
            condition.ignore_value_case,
            operand.kind,
            type(operand.value).__name__,
            type(condition.name).__name__,  # its placeholder is typed as the first one
        )
        name = self.bind(prefix + "name", condition.name)
        if operand.value is not None:
            operand = Operand(operand.kind, self.bind(prefix + "value", operand.value))
        if not self._placeholders:
            return shape, condition
        return shape, replace(condition, name=name, value=operand)  # type: ignore[arg-type]

    def _part(self, part: Any, prefix: str) -> tuple[Shape, Any]:
        if isinstance(part, VariableCondition):
            return self.variable_condition(part, prefix)
        return self.criteria(part, prefix)


class StatementCache(Generic[Template]):
    """Statements by shape, built by ``build`` from a query taken apart with
    placeholders; the least recently used dropped past ``size``. Safe across threads
    (the stores run in a pool): two threads missing one shape build it twice, harmlessly.
    """

    def __init__(self, build: Callable[[Template], Any], size: int = SHAPES_KEPT) -> None:
        self._build = build
        self._size = size
        self._statements: OrderedDict[Shape, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def bound(self, take_apart: Callable[[Parameters], tuple[Shape, Template]]) -> Bound:
        """The statement of the query's shape and the query's values."""
        parameters = Parameters(placeholders=False)
        shape, _ = take_apart(parameters)
        with self._lock:
            statement = self._statements.get(shape)
            if statement is not None:
                self._statements.move_to_end(shape)
                self.hits += 1
                return Bound(statement, parameters.values)
            self.misses += 1
        _, template = take_apart(Parameters(placeholders=True))
        statement = self._build(template)
        with self._lock:
            self._statements[shape] = statement
            while len(self._statements) > self._size:
                self._statements.popitem(last=False)
        return Bound(statement, parameters.values)

    def __len__(self) -> int:
        return len(self._statements)
