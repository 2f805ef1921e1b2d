"""Which failures mean "the database went away" or "the disk is full", however wrapped:
real ones, from a real SQLite database that reaches its page limit and a real refused
PostgreSQL connection, not constructed exceptions."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from taskvars.persistence.database import (
    SQLITE_BEGIN,
    SQLITE_RAW_BEGIN,
    create_database_engine,
)
from taskvars.persistence.failures import StorageFullError, storage_failure
from taskvars.persistence.group_commit import SharedCommitFailedError
from taskvars.persistence.values import ConcurrentModificationError, DatabaseUnreachableError
from taskvars.pytest_plugin import free_port
from tests.databases import postgres_server_url


def sqlite_full_error(path: Path) -> DBAPIError:
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE t (data BLOB)"))
        connection.execute(text("PRAGMA max_page_count = 8"))
        with pytest.raises(DBAPIError) as raised:
            connection.execute(text("INSERT INTO t VALUES (zeroblob(1000000))"))
    engine.dispose()
    return raised.value


def refused_postgres_error() -> DBAPIError:
    engine = create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test")
    with pytest.raises(DBAPIError) as raised, engine.connect():
        pass
    return raised.value


def test_a_full_sqlite_database_is_storage_full(tmp_path: Path) -> None:
    assert isinstance(storage_failure(sqlite_full_error(tmp_path / "db")), StorageFullError)


def test_a_full_disk_is_storage_full() -> None:
    assert isinstance(storage_failure(OSError(errno.ENOSPC, "No space")), StorageFullError)


def test_a_refused_postgres_connection_is_unreachable() -> None:
    failure = storage_failure(refused_postgres_error())
    assert isinstance(failure, DatabaseUnreachableError)
    assert str(failure).startswith("The database is unavailable: ")


def test_the_cause_is_found_under_a_failed_shared_commit(tmp_path: Path) -> None:
    cause = sqlite_full_error(tmp_path / "db")
    with pytest.raises(SharedCommitFailedError) as raised:
        raise SharedCommitFailedError("the commit shared by 3 writes failed") from cause
    assert isinstance(storage_failure(raised.value), StorageFullError)


def test_other_database_errors_are_not_storage_failures(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db'}")
    with pytest.raises(DBAPIError) as raised, engine.connect() as connection:
        connection.execute(text("SELECT * FROM missing"))
    assert storage_failure(raised.value) is None
    assert storage_failure(ConcurrentModificationError("busy")) is None
    assert storage_failure(OSError(errno.EACCES, "denied")) is None


def test_a_raw_psycopg_connection_failure_is_unreachable() -> None:
    # psycopg's own errors, as its COPY raises them, not wrapped by SQLAlchemy.
    with pytest.raises(psycopg.OperationalError) as raised:
        psycopg.connect(f"postgresql://postgres@127.0.0.1:{free_port()}/test", connect_timeout=5)
    assert isinstance(storage_failure(raised.value), DatabaseUnreachableError)


def test_postgres_shutdown_and_disk_full_states_are_recognised_unwrapped() -> None:
    assert isinstance(
        storage_failure(psycopg.errors.AdminShutdown("bye")), DatabaseUnreachableError
    )
    assert isinstance(storage_failure(psycopg.errors.DiskFull("full")), StorageFullError)


def test_a_locked_sqlite_database_is_not_a_storage_failure(tmp_path: Path) -> None:
    holder = sqlite3.connect(tmp_path / "db", isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite:///{tmp_path / 'db'}", connect_args={"timeout": 0})
    with pytest.raises(DBAPIError) as raised, engine.begin() as connection:
        connection.execute(text("INSERT INTO t VALUES (1)"))
    holder.close()
    engine.dispose()
    assert "locked" in str(raised.value)
    assert storage_failure(raised.value) is None


@pytest.mark.postgres
def test_a_postgres_unique_violation_is_not_a_storage_failure() -> None:
    url = postgres_server_url().replace("postgresql://", "postgresql+psycopg://", 1)
    engine = create_engine(url)
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE t (x int PRIMARY KEY)"))
        with pytest.raises(DBAPIError) as raised:
            connection.execute(text("INSERT INTO t VALUES (1), (1)"))
    engine.dispose()
    assert getattr(raised.value.orig, "sqlstate", None) == "23505"
    assert storage_failure(raised.value) is None


def test_a_raw_begin_that_meets_a_locked_sqlite_database_fails_as_sqlalchemys_would(
    tmp_path: Path,
) -> None:
    """The SQLite writer's BEGIN runs on the DBAPI connection (SQLITE_RAW_BEGIN): its
    error is SQLAlchemy's all the same, which the callers translate."""
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db'}").execution_options(
        **{SQLITE_BEGIN: "BEGIN IMMEDIATE", SQLITE_RAW_BEGIN: True}
    )
    holder = sqlite3.connect(tmp_path / "db", isolation_level=None)
    try:
        with engine.connect() as connection:  # set up (WAL mode) before the lock is taken
            driver: Any = connection.connection.dbapi_connection
            driver.execute("PRAGMA busy_timeout=0")  # outside any transaction
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(OperationalError) as raised:
                connection.begin()
            assert not connection.in_transaction()
    finally:
        holder.close()
        engine.dispose()
    assert "locked" in str(raised.value)
    assert storage_failure(raised.value) is None
