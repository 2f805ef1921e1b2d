"""Which failures mean "the database went away" or "the disk is full", however wrapped:
real ones, from a real SQLite database that reaches its page limit and a real refused
PostgreSQL connection, not constructed exceptions."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from taskvars.persistence.failures import StorageFullError, storage_failure
from taskvars.persistence.group_commit import SharedCommitFailedError
from taskvars.persistence.values import ConcurrentModificationError, DatabaseUnreachableError
from taskvars.pytest_plugin import free_port


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
