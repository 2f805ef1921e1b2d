"""SQLAlchemy statements compiled once, then run raw on a DBAPI cursor (SQLite).

Through a SQLAlchemy ``Connection`` a small statement costs several times what SQLite
spends on it (execution context, cache key, result object); sqlite3 caches its prepared
statement by the SQL text anyway. So the hottest statements keep their one definition in
SQLAlchemy and are compiled once: the SQL, the order of its parameters (constants bound
in the statement filled in), and the type conversions SQLAlchemy would apply to
parameters and columns. A driver error is raised as SQLAlchemy raises it
(``sqlalchemy.exc.OperationalError`` and the like), so that callers see no difference.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Dialect, exc
from sqlalchemy.sql import ClauseElement


class RawStatement:
    """``statement`` compiled for ``dialect`` (positional parameters, no expanding ones),
    for parameters named ``keys`` (an ``INSERT`` inserts those columns)."""

    def __init__(self, statement: Any, dialect: Dialect, keys: tuple[str, ...] = ()) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        names = compiled.positiontup
        if names is None:
            raise ValueError("a raw statement needs a dialect with positional parameters")
        if compiled.post_compile_params or compiled.literal_execute_params:
            # SQLAlchemy renders these (an expanding IN, for one) as it executes.
            raise ValueError("a raw statement cannot have parameters rendered at execution")
        if compiled.insert_prefetch or compiled.update_prefetch:
            # SQLAlchemy computes such a column's default as it executes the statement.
            raise ValueError("a raw statement cannot leave out a column with a Python default")
        self.sql = compiled.string
        self._dialect = dialect
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
        columns = statement.exported_columns
        self._row: Any = namedtuple("Row", columns.keys()) if len(columns) else None
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

    def execute(self, cursor: Any, given: Mapping[str, Any]) -> list[Any]:
        """Run it; every row it returns, as SQLAlchemy would give it (attributes named
        after the columns). ``cursor.rowcount`` then says how many rows it changed."""
        parameters = self.parameters(given)
        try:
            cursor.execute(self.sql, parameters)
            raws = cursor.fetchall() if self._row is not None else ()
        except self._dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(
                self.sql, parameters, error, self._dialect.loaded_dbapi.Error
            ) from error
        rows = []
        for raw in raws:
            if self._convert:
                raw = list(raw)
                for index, process in self._convert:
                    raw[index] = process(raw[index])
            rows.append(self._row._make(raw))
        return rows

    def rows(self, cursor: Any, given: Mapping[str, Any]) -> list[Any]:
        return self.execute(cursor, given)


# Compiled statements, by statement (module constants: they live as long as this) and
# the names of their parameters; ``None``: one that only SQLAlchemy runs as it should
# (an expanding IN, an INSERT leaving out a column with a Python default).
_COMPILED: dict[tuple[ClauseElement, tuple[str, ...]], RawStatement | None] = {}


def raw_cursor(connection: Connection) -> Any:
    """A DBAPI cursor in ``connection``'s transaction (sqlite3's connection is its own
    driver connection; SQLAlchemy names it ``driver_connection`` only while it is pooled)."""
    dbapi: Any = connection.connection.dbapi_connection
    return dbapi.cursor()


def run(connection: Connection, statement: Any, parameters: Mapping[str, Any]) -> RawResult:
    """``connection.execute(statement, parameters)``: raw on SQLite, through SQLAlchemy
    elsewhere; the result as a :class:`RawResult` either way."""
    raw = None
    if connection.dialect.name == "sqlite":
        key = (statement, tuple(parameters))
        if key in _COMPILED:
            raw = _COMPILED[key]
        else:
            raw = _COMPILED[key] = _compiled(statement, connection.dialect, key[1])
    if raw is None:
        result = connection.execute(statement, parameters)
        return RawResult(list(result.all()) if result.returns_rows else [], result.rowcount)
    cursor = raw_cursor(connection)
    rows = raw.execute(cursor, parameters)
    return RawResult(rows, cursor.rowcount)


def _compiled(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> RawStatement | None:
    try:
        return RawStatement(statement, dialect, keys)
    except ValueError:
        return None


class RawResult:
    """What a statement gave: its rows (all of them), and how many rows it changed."""

    __slots__ = ("rowcount", "rows")

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def first(self) -> Any:
        return self.rows[0] if self.rows else None

    def scalar_one(self) -> Any:
        (row,) = self.rows
        return row[0]

    def scalars(self) -> list[Any]:
        return [row[0] for row in self.rows]
