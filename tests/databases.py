"""Real databases for tests: a fresh SQLite file, or a private schema on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import Base
from taskvars.persistence.unit_of_work import Database

POSTGRES_URL_VARIABLE = "TASKVARS_TEST_DATABASE_URL"
REQUIRE_POSTGRES_VARIABLE = "TASKVARS_REQUIRE_POSTGRES"
DATABASE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_server_url() -> str:
    """The PostgreSQL database named by the environment, or a skip (a failure in CI)."""
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        reason = (
            f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} "
            "(e.g. postgresql://postgres@127.0.0.1:5432/test)"
        )
        skip_unless_postgres_required(reason)
    return url


def skip_unless_postgres_required(reason: str) -> NoReturn:
    """Skips a PostgreSQL test for ``reason``; fails it where PostgreSQL tests are required
    (CI must never skip them silently)."""
    if os.environ.get(REQUIRE_POSTGRES_VARIABLE):
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def private_schema(server_url: str) -> Iterator[str]:
    """A schema of its own for one test run, named in the URL's ``search_path``, so that
    runs sharing a database (a developer's and CI's, old code and new) never see each
    other's tables or migration state. Dropped afterwards."""
    schema = f"taskvars_test_{uuid.uuid4().hex[:12]}"
    engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


class SessionDatabase:
    """A database migrated once for the test session, emptied before each test."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._database = Database(url)
        # DELETE rather than TRUNCATE: it waits for no lock that a connection of the
        # session's app might hold, and on a few rows it is the faster of the two.
        self._empty_statements = [
            f"DELETE FROM {table.name}" for table in reversed(Base.metadata.sorted_tables)
        ]

    @classmethod
    @contextmanager
    def migrated(cls, url: str) -> Iterator[SessionDatabase]:
        database = cls(url)
        try:
            upgrade(database._database.engine)
            yield database
        finally:
            database._database.dispose()

    def empty(self) -> None:
        """No rows in any table, no content files."""
        with self._database.engine.begin() as connection:
            for statement in self._empty_statements:
                connection.execute(text(statement))
        files = self._database.content_files
        if files is not None:
            for path in files.directory.iterdir():
                path.unlink()


@contextmanager
def migrated_sqlite_database(directory: Path) -> Iterator[SessionDatabase]:
    with SessionDatabase.migrated(f"sqlite:///{directory / 'taskvars.db'}") as database:
        yield database


def database_url(kind: str, tmp_path: Path, postgres_url: Callable[[], str]) -> str:
    """A migrated, empty database of ``kind``: a new SQLite file, or the session's
    PostgreSQL schema emptied."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'taskvars.db'}"
        with _migrated(url):
            pass
        return url
    url = postgres_url()
    with _migrated(url) as database, database.engine.begin() as connection:
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return url


@contextmanager
def _migrated(url: str) -> Iterator[Database]:
    database = Database(url)
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
