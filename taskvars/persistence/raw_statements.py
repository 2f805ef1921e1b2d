"""SQLAlchemy statements compiled once, then run raw on a DBAPI cursor.

Through a SQLAlchemy ``Connection`` a small statement costs several times what the
database spends on it (execution context, cache key, result object); the driver caches
its prepared statement by the SQL text anyway. So the hottest reads keep the one
definition of their statement in SQLAlchemy and compile it at start: the SQL, the order of
its parameters (constants bound in the statement filled in), and the type conversions
SQLAlchemy would apply to parameters and columns.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Dialect, Select

Convert = Callable[[Any], Any]


class RawSelect:
    """``statement`` compiled for ``dialect`` (positional parameters, no expanding ones)."""

    def __init__(self, statement: Select[Any], dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        names = compiled.positiontup
        if names is None:
            raise ValueError("a raw statement needs a dialect with positional parameters")
        self.sql = compiled.string
        self._names = tuple(names)
        # A bind with a value in the statement itself (a literal) takes it when not given.
        self._constants = {
            name: value for name, value in compiled.params.items() if value is not None
        }
        self._bind = {
            name: process
            for name in names
            if (process := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        }
        columns = statement.selected_columns
        self._row: Any = namedtuple("Row", columns.keys())  # type: ignore[misc]
        self._convert = [
            (index, process)
            for index, column in enumerate(columns)
            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None))
        ]

    def parameters(self, given: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name in self._names:
            value = given[name] if name in given else self._constants[name]
            process = self._bind.get(name)
            values.append(value if process is None else process(value))
        return tuple(values)

    def rows(self, cursor: Any, given: Mapping[str, Any]) -> list[Any]:
        """Every row, as SQLAlchemy would give it (attributes named after the columns)."""
        cursor.execute(self.sql, self.parameters(given))
        rows = []
        for raw in cursor.fetchall():
            if self._convert:
                raw = list(raw)
                for index, process in self._convert:
                    raw[index] = process(raw[index])
            rows.append(self._row._make(raw))
        return rows
