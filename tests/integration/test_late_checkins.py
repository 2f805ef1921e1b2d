"""A connection still checked out when the database is disposed of (a request's worker
thread as the server stops) is closed when it is given back, not left open in the old
pool for the garbage collector (psycopg then warns in whatever test runs next)."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import text

from taskvars.persistence.unit_of_work import Database


def is_closed(dbapi_connection: Any) -> bool:
    if isinstance(dbapi_connection, sqlite3.Connection):
        try:
            dbapi_connection.execute("SELECT 1")
        except sqlite3.ProgrammingError:  # "Cannot operate on a closed database."
            return True
        return False
    closed: bool = dbapi_connection.closed  # psycopg's
    return closed


def test_a_connection_given_back_after_disposal_is_closed(db_url: str) -> None:
    database = Database(db_url)
    late = database.engine.connect()
    late.execute(text("SELECT 1"))
    dbapi_connection = late.connection.dbapi_connection
    database.dispose()
    assert not is_closed(dbapi_connection)  # still in use: disposal leaves it alone
    late.close()
    assert is_closed(dbapi_connection)


def test_connections_after_disposal_stay_pooled(db_url: str) -> None:
    database = Database(db_url)
    database.dispose()
    try:
        with database.engine.connect() as first:
            first.execute(text("SELECT 1"))
            dbapi_connection = first.connection.dbapi_connection
        assert not is_closed(dbapi_connection)
        with database.engine.connect() as second:
            assert second.connection.dbapi_connection is dbapi_connection
    finally:
        database.dispose()
