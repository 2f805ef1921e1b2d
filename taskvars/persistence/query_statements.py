"""The SQL side of the query toolkit: criteria dataclasses to ``WHERE`` conditions by a
resource's condition table, ``orQueries``, sorting with Camunda's null order, paging.

A resource's table maps each criterion field to a function of the statement's rows (the
aliases the resource selects from) and the value; fields left ``None`` or ``False`` ask
for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, FromClause, Select, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import visitors
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.functions import FunctionElement

from taskvars.persistence.placeholders import standalone

Rows = TypeVar("Rows")
T = TypeVar("T")
# A column or an expression a statement sorts by.
SortKey = ColumnElement[Any] | QueryableAttribute[Any]
Condition = Callable[[Rows, Any], ColumnElement[bool]]


class ConditionTable(Generic[Rows]):
    """Criterion field -> SQL condition, for one resource's criteria dataclass."""

    def __init__(self, conditions: Mapping[str, Condition[Rows]]) -> None:
        self._conditions = dict(conditions)

    def conditions(self, criteria: Any, rows: Rows) -> Iterator[ColumnElement[bool]]:
        """One condition per criterion given; fields the table does not know (variable
        criteria, or-queries) are the caller's."""
        for item in fields(criteria):
            condition = self._conditions.get(item.name)
            if condition is None:
                continue
            value = getattr(criteria, item.name)
            if value is None or value is False:
                continue
            yield condition(rows, value)


def where_any(
    statement: Select[Any], or_queries: Iterable[Iterable[ColumnElement[bool]]]
) -> Select[Any]:
    """Each or-query's conditions ORed (an empty or-query asks for nothing), the or-queries
    ANDed with the rest, as Camunda combines them."""
    return statement.where(*any_of_each(or_queries))


def any_of_each(
    or_queries: Iterable[Iterable[ColumnElement[bool]]],
) -> list[ColumnElement[bool]]:
    """One condition per or-query that asks for something: its conditions ORed."""
    return [or_(*listed) for conditions in or_queries if (listed := list(conditions))]


def tables_referred_to(
    conditions: Iterable[ColumnElement[Any]], candidates: Iterable[FromClause]
) -> set[FromClause]:
    """Those of ``candidates`` (tables or aliases) that a column of ``conditions`` belongs
    to, inside their subqueries too: a count joins only what its filters read."""
    wanted = {id(candidate): candidate for candidate in candidates}
    found: dict[int, FromClause] = {}
    for condition in conditions:
        for element in visitors.iterate(condition):
            table = getattr(element, "table", None)
            if isinstance(element, ColumnClause) and id(table) in wanted:
                found[id(table)] = wanted[id(table)]
    return set(found.values())


def ordered(
    statement: Select[Any],
    keys: Sequence[tuple[SortKey, bool]],
    tiebreak: SortKey,
) -> Select[Any]:
    """Sorted by ``(column, descending)`` keys, ties by ``tiebreak`` (creation order).
    Nulls last ascending and first descending on both databases (PostgreSQL's own rule,
    which Camunda's results on it follow)."""
    order = [
        key.desc().nulls_first() if descending else key.asc().nulls_last()
        for key, descending in keys
    ]
    return statement.order_by(*order, tiebreak)


def paged(statement: Select[Any], first_result: int, max_results: int | None) -> Select[Any]:
    return statement.offset(first_result or 0).limit(max_results)


class duration(FunctionElement[Any]):  # noqa: N801 (used as a function)
    """``duration(start, end)``: ``end - start`` as a sort key, written per database when
    the statement is compiled. SQLite keeps dates as text, whose difference would compare
    their years, so there it is the difference of their Julian days."""

    name = "duration"
    inherit_cache = True


@compiles(duration)
def _duration(element: duration, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({end} - {start})"


@compiles(duration, "sqlite")
def _duration_on_sqlite(element: duration, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


# Camunda's escape character for LIKE patterns.
ESCAPE = "\\"


def like(column: Any, pattern: str) -> ColumnElement[bool]:
    """Camunda's ``LIKE``: ``%`` and ``_``, a backslash escaping them."""
    return column.like(pattern, escape=ESCAPE)  # type: ignore[no-any-return]


def equal_ignoring_case(column: Any, text: str) -> ColumnElement[bool]:
    """As Camunda compares task names and descriptions (CAM-6363, CAM-12186)."""
    return func.upper(column) == func.upper(standalone(text))


def like_ignoring_case(column: Any, pattern: str) -> ColumnElement[bool]:
    return func.upper(column).like(func.upper(standalone(pattern)), escape=ESCAPE)


# Ids bound into one ``IN`` list at most: well below SQLite's limit of parameters per
# statement (32,766 by default) and PostgreSQL's (65,535), however many a caller has.
IN_LIST_BATCH = 1000


def in_batches(items: Collection[T]) -> Iterator[list[T]]:
    """``items`` in lists of at most ``IN_LIST_BATCH``, for one statement each."""
    listed = list(items)
    for start in range(0, len(listed), IN_LIST_BATCH):
        yield listed[start : start + IN_LIST_BATCH]
