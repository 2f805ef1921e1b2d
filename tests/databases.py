"""Real databases for tests: a fresh SQLite file, or the PostgreSQL test database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import Base
from taskvars.persistence.unit_of_work import Database

POSTGRES_URL_VARIABLE = "TASKVARS_TEST_DATABASE_URL"
DATABASE_KINDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (e.g. postgresql://postgres@127.0.0.1/test)"
        )
    return url


def database_url(kind: str, tmp_path: Path) -> str:
    """A migrated, empty database of ``kind``."""
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
