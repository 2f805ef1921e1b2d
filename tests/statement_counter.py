"""Counting what a unit of work asks of the database: statements and round trips.

Statements are counted by SQLAlchemy's ``before_cursor_execute`` (SQLite's ``BEGIN``,
savepoints and ``SET LOCAL`` included), and as they run those run raw on SQLite's cursor
(:mod:`taskvars.persistence.raw_statements`); round trips add what never passes through
SQLAlchemy: the transaction's ``BEGIN`` on PostgreSQL (psycopg sends it before the first
statement), ``COMMIT`` or ``ROLLBACK`` (a read ends with one), ``COPY`` (run on the
driver's cursor by ``postgres_copy``), and any ping of a pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

from taskvars.persistence import postgres_copy, raw_statements
from taskvars.persistence.unit_of_work import Database


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)
    begins: int = 0
    commits: int = 0
    rollbacks: int = 0
    copies: int = 0
    pings: int = 0
    postgresql: bool = False

    @property
    def round_trips(self) -> int:
        """Messages the server answers (PostgreSQL; SQLite has no server to ask)."""
        begins = self.begins if self.postgresql else 0
        rollbacks = self.rollbacks if self.postgresql else 0
        return len(self.statements) + begins + self.commits + rollbacks + self.copies + self.pings

    def kinds(self) -> list[str]:
        """Each statement's first word or two, for a readable failure."""
        return [" ".join(statement.split()[:2]) for statement in self.statements]


@contextmanager
def counting(database: Database) -> Iterator[Counted]:
    """Count what ``database``'s engines run inside the block."""
    counted = Counted(postgresql=database.kind == "postgresql")
    engines = {id(e): e for e in (database.engine, database.commit_engine)}.values()
    listeners: list[tuple[Engine, str, Callable[..., Any]]] = []

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        counted.statements.append(statement)

    def on_begin(_conn: Any) -> None:
        counted.begins += 1

    def on_commit(_conn: Any) -> None:
        counted.commits += 1

    def on_rollback(_conn: Any) -> None:
        counted.rollbacks += 1

    for engine in engines:
        for name, listener in (
            ("before_cursor_execute", on_statement),
            ("begin", on_begin),
            ("commit", on_commit),
            ("rollback", on_rollback),
        ):
            event.listen(engine, name, listener)
            listeners.append((engine, name, listener))
    pings = [(engine.dialect, engine.dialect.do_ping) for engine in engines]
    for dialect, ping in pings:
        dialect.do_ping = _counted(ping, counted, "pings")  # type: ignore[method-assign]
    raw_execute = raw_statements.RawStatement.execute

    def counted_raw(statement: raw_statements.RawStatement, *args: Any) -> Any:
        counted.statements.append(statement.sql)
        return raw_execute(statement, *args)

    raw_statements.RawStatement.execute = counted_raw  # type: ignore[method-assign]
    copy_in, copy_out = postgres_copy.copy_chunks_in, postgres_copy.copy_chunks_out
    postgres_copy.copy_chunks_in = _counted(copy_in, counted, "copies")  # type: ignore[assignment]
    postgres_copy.copy_chunks_out = _counted(copy_out, counted, "copies")  # type: ignore[assignment]
    try:
        yield counted
    finally:
        raw_statements.RawStatement.execute = raw_execute  # type: ignore[method-assign]
        postgres_copy.copy_chunks_in, postgres_copy.copy_chunks_out = copy_in, copy_out
        for dialect, ping in pings:
            dialect.do_ping = ping  # type: ignore[method-assign]
        for engine, name, listener in listeners:
            event.remove(engine, name, listener)


def _counted(function: Callable[..., Any], counted: Counted, attribute: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        setattr(counted, attribute, getattr(counted, attribute) + 1)
        return function(*args, **kwargs)

    return wrapper
