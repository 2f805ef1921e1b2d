"""Named parameters standing for a query's values in a statement built once for many
queries (:mod:`taskvars.persistence.statement_shapes`), typed as SQLAlchemy types a
value written in their place, so that the SQL is the same as the statement built with
the values (PostgreSQL's casts of parameters included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BindParameter
from sqlalchemy.sql import operators
from sqlalchemy.sql.sqltypes import _resolve_value_to_type
from sqlalchemy.types import NullType, TypeEngine


class Placeholder(BindParameter[Any]):
    """The parameter ``key`` for values like ``sample``. Compared with a column it is
    typed as the column compares such a value (a float with an integer column stays a
    float); a list is an expanding parameter (``IN``); standing alone, see
    :func:`standalone`. Without a type of its own until then, so that SQLAlchemy asks."""

    inherit_cache = True

    def __init__(self, key: str, sample: Any, type_: TypeEngine[Any] | None = None) -> None:
        expanding = isinstance(sample, list)
        super().__init__(key, type_=type_ or NullType(), expanding=expanding)
        # The value the statement is built for (a list's first); every run binds its own.
        self.sample = sample[0] if expanding and sample else sample

    def _with_binary_element_type(self, type_: TypeEngine[Any]) -> Placeholder:
        typed = super()._with_binary_element_type(type_)
        typed.type = type_.coerce_compared_value(operators.eq, self.sample)
        return typed


def standalone(value: Any) -> Any:
    """``value`` where nothing gives it a type (a function's argument: ``upper(:name)``):
    a placeholder typed as its value would be; a value itself as it is."""
    if not isinstance(value, Placeholder) or not value.type._isnull:
        return value
    typed = value._clone(maintain_key=True)
    typed.type = _resolve_value_to_type(value.sample)
    return typed
