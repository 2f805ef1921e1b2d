"""A variable criterion (:class:`VariableCondition`) as SQL over one variable row, as
Camunda's ``Commons.variableValueConditions`` compares: by the type the value has, on
the column that type keeps it in; ``neq`` and ``notLike`` negate the whole comparison,
so a variable of the name with a value of another type matches them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, and_, func, not_, or_

from taskvars.persistence.placeholders import standalone
from taskvars.persistence.query_statements import ESCAPE
from taskvars.persistence.values import VariableCondition

INTEGER_TYPES = ("Short", "Integer", "Long")


def variable_matches(variable: Any, condition: VariableCondition) -> ColumnElement[bool]:
    """``variable`` (a table, alias or its columns) has the name and a matching value."""
    if condition.ignore_name_case:
        named = func.upper(variable.name) == func.upper(standalone(condition.name))
    else:
        named = variable.name == condition.name
    value = _value_matches(variable, condition)
    if condition.operator in ("neq", "notLike"):
        value = not_(value)
    return and_(named, value)


_COMPARISONS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda column, value: column == value,
    "neq": lambda column, value: column == value,  # negated as a whole, as Camunda does
    "gt": lambda column, value: column > value,
    "gteq": lambda column, value: column >= value,
    "lt": lambda column, value: column < value,
    "lteq": lambda column, value: column <= value,
    "like": lambda column, value: column.like(value, escape=ESCAPE),
    "notLike": lambda column, value: column.like(value, escape=ESCAPE),
}


class Operand(NamedTuple):
    """A condition's value as SQL compares it: the ``kind`` of value (which column, which
    type), and the value in that column's form, or a bound parameter standing for it
    (see :mod:`taskvars.persistence.statement_shapes`)."""

    kind: str
    value: Any


NULL, BOOLEAN, DATE, NUMBER, STRING = "null", "Boolean", "Date", "number", "String"


def operand_of(value: Any) -> Operand:
    """``value`` as its column keeps it: Booleans as 0 and 1, Dates as epoch
    milliseconds."""
    if isinstance(value, Operand):
        return value
    if value is None:
        return Operand(NULL, None)
    if isinstance(value, bool):
        return Operand(BOOLEAN, int(value))
    if isinstance(value, datetime):
        return Operand(DATE, round(value.timestamp() * 1000))
    if isinstance(value, int | float):
        return Operand(NUMBER, value)
    return Operand(STRING, value)


def _value_matches(variable: Any, condition: VariableCondition) -> ColumnElement[bool]:
    compare = _COMPARISONS[condition.operator]
    kind, value = operand_of(condition.value)
    if kind == NULL:
        return and_(
            variable.text_value.is_(None),
            variable.long_value.is_(None),
            variable.double_value.is_(None),
            variable.content_pk.is_(None),
        )
    if kind in (BOOLEAN, DATE):
        return and_(
            variable.type == kind,
            variable.long_value.is_not(None),
            compare(variable.long_value, value),
        )
    if kind == NUMBER:
        return or_(
            and_(
                variable.type.in_(INTEGER_TYPES),
                variable.long_value.is_not(None),
                compare(variable.long_value, value),
            ),
            and_(
                variable.type == "Double",
                variable.double_value.is_not(None),
                compare(variable.double_value, value),
            ),
        )
    text: Any = variable.text_value
    pattern: Any = value
    if condition.ignore_value_case:
        text, pattern = func.upper(text), func.upper(standalone(pattern))
    return and_(variable.type == "String", variable.text_value.is_not(None), compare(text, pattern))
