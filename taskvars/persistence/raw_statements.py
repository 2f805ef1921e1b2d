"""SQLAlchemy statements compiled once, then run raw on a DBAPI cursor (SQLite's
sqlite3, PostgreSQL's psycopg).

Through a SQLAlchemy ``Connection`` a small statement costs several times what the
database spends on it (execution context, cache key, result object); sqlite3 caches its
prepared statement by the SQL text anyway, and psycopg prepares a statement it has run
often. So the hottest statements keep their one definition in SQLAlchemy and are
compiled once: the SQL, its parameters (constants bound in the statement filled in), and
the type conversions SQLAlchemy would apply to parameters and columns. A driver error is
raised as SQLAlchemy raises it (``sqlalchemy.exc.OperationalError`` and the like), and,
run on a ``Connection``, handled as SQLAlchemy handles it (a lost connection is
invalidated, the pool's older connections with it), so that callers see no difference.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Dialect,
    Table,
    bindparam,
    exc,
    insert,
    literal,
)
from sqlalchemy.sql import ClauseElement


class RawStatement:
    """``statement`` compiled for ``dialect`` (no expanding parameters), for parameters
    named ``keys`` (an ``INSERT`` inserts those columns). Parameters go to the driver as
    the dialect passes them: positional (sqlite3's ``?``) or named (psycopg's
    ``%(name)s``)."""

    def __init__(self, statement: Any, dialect: Dialect, keys: tuple[str, ...] = ()) -> None:
        compiled = statement.compile(dialect=dialect, column_keys=list(keys))
        self._positional = compiled.positiontup is not None
        names = (
            compiled.positiontup
            if compiled.positiontup is not None
            else list(dict.fromkeys(compiled.bind_names.values()))
        )
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
        self._types = [column.type.dialect_impl(dialect) for column in columns]
        # Result conversions, chosen as SQLAlchemy chooses them: by each column's type
        # and the type the driver reports for it (psycopg's OID; a PostgreSQL numeric's
        # conversion depends on it), so on the first result.
        self._convert: list[tuple[int, Any]] | None = None

    def parameters(self, given: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        values = []
        for name in self._names:
            value = given[name] if name in given else self._constants[name]
            process = self._bind.get(name)
            values.append(value if process is None else process(value))
        if self._positional:
            return tuple(values)
        return dict(zip(self._names, values, strict=True))

    def execute(
        self, cursor: Any, given: Mapping[str, Any], connection: Connection | None = None
    ) -> list[Any]:
        """Run it; every row it returns, as SQLAlchemy would give it (attributes named
        after the columns). ``cursor.rowcount`` then says how many rows it changed.
        ``connection``: the SQLAlchemy connection ``cursor`` is of, which handles a
        driver error as it handles its own statements' (see the module's docstring)."""
        parameters = self.parameters(given)
        try:
            cursor.execute(self.sql, parameters)
            raws = cursor.fetchall() if self._row is not None else ()
        except self._dialect.loaded_dbapi.Error as error:
            if connection is not None:
                # Wraps and raises it; a disconnect invalidates the connection and pool.
                connection._handle_dbapi_exception(error, self.sql, parameters, cursor, None)
            raise exc.DBAPIError.instance(
                self.sql, parameters, error, self._dialect.loaded_dbapi.Error
            ) from error
        if self._convert is None and self._row is not None:
            self._convert = self._conversions(cursor.description)
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

    def _conversions(self, description: Any) -> list[tuple[int, Any]]:
        return [
            (index, process)
            for index, (impl, column) in enumerate(zip(self._types, description, strict=True))
            if (process := impl.result_processor(self._dialect, column[1]))
        ]


# Compiled statements, by statement (module constants: they live as long as this), the
# names of their parameters and the dialect's kind; ``None``: one that only SQLAlchemy
# runs as it should (an expanding IN, an INSERT leaving out a column with a Python
# default).
_COMPILED: dict[tuple[ClauseElement, tuple[str, ...], str], RawStatement | None] = {}


def raw_cursor(connection: Connection) -> Any:
    """A DBAPI cursor in ``connection``'s transaction (the pool's connection record hands
    the driver's connection as ``dbapi_connection``)."""
    dbapi: Any = connection.connection.dbapi_connection
    return dbapi.cursor()


def run(connection: Connection, statement: Any, parameters: Mapping[str, Any]) -> RawResult:
    """``connection.execute(statement, parameters)``, raw where the statement can be (see
    :class:`RawStatement`), else through SQLAlchemy; the result as a :class:`RawResult`
    either way."""
    dialect = connection.dialect
    key = (statement, tuple(parameters), dialect.name)
    if key in _COMPILED:
        raw = _COMPILED[key]
    else:
        raw = _COMPILED[key] = _compiled(statement, dialect, key[1])
    if raw is None:
        result = connection.execute(statement, parameters)
        return RawResult(list(result.all()) if result.returns_rows else [], result.rowcount)
    cursor = raw_cursor(connection)
    rows = raw.execute(cursor, parameters, connection)
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


# Statements made for a number of rows or of values (see :func:`sized`) up to this many;
# beyond, the caller's statement for any number runs through SQLAlchemy.
MAX_SIZED = 16
_SIZED: dict[tuple[Callable[..., Any], tuple[int, ...]], Any] = {}


def sized(build: Callable[..., Any], *sizes: int) -> Any | None:
    """``build(*sizes)``, built once for each ``sizes`` (a multi-row ``INSERT`` for that
    many rows, an ``IN`` of that many values: statements :func:`run` can run raw, where
    SQLAlchemy's executemany and expanding ``IN`` cannot be); ``None`` past
    :data:`MAX_SIZED`. ``build`` is a module-level function (it keys the cache)."""
    if any(size > MAX_SIZED for size in sizes):
        return None
    key = (build, sizes)
    statement = _SIZED.get(key)
    if statement is None:
        statement = _SIZED[key] = build(*sizes)
    return statement


def one_of(column: Any, values: Sequence[Any]) -> Any:
    """``column IN (values)`` with a parameter of its own for each constant: SQLAlchemy
    makes a list of values one parameter it expands at each execution, which only it can
    run; this one runs raw."""
    return column.in_([literal(value, column.type) for value in values])


def numbered(name: str, values: Sequence[Any]) -> dict[str, Any]:
    """``values`` as the parameters ``name_0``, ``name_1``, ... of a sized statement."""
    return {f"{name}_{index}": value for index, value in enumerate(values)}


def numbered_binds(column: Any, name: str, count: int) -> list[BindParameter[Any]]:
    """``count`` parameters ``name_0``... of ``column``'s type (for an ``IN``)."""
    return [bindparam(f"{name}_{index}", type_=column.type) for index in range(count)]


def insert_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same keys) into ``table`` in one statement, as
    SQLAlchemy's executemany of an ``INSERT`` sends them, raw where it can be."""
    if not rows:
        return
    keys = tuple(rows[0])
    if len(rows) > MAX_SIZED:
        connection.execute(insert(table), list(rows))
        return
    cache_key = (table, keys, len(rows))
    statement = _INSERTS.get(cache_key)
    if statement is None:
        statement = _INSERTS[cache_key] = _multi_row_insert(table, keys, len(rows))
    parameters = {f"{key}_{index}": row[key] for index, row in enumerate(rows) for key in keys}
    run(connection, statement, parameters)


# Multi-row INSERTs by table, columns given and number of rows (see insert_rows).
_INSERTS: dict[tuple[Table, tuple[str, ...], int], Any] = {}


def _multi_row_insert(table: Table, keys: tuple[str, ...], rows: int) -> Any:
    # Each parameter typed as its column: SQLAlchemy types only the first row's itself.
    return insert(table).values(
        [
            {key: bindparam(f"{key}_{index}", type_=table.c[key].type) for key in keys}
            for index in range(rows)
        ]
    )
