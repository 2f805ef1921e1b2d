"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import Base
from taskvars.persistence.unit_of_work import Database
from tests.databases import SessionDatabase


def test_migrations_produce_exactly_the_models(db_url: str) -> None:
    database = Database(db_url)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        database.dispose()


def test_upgrade_is_idempotent(db_url: str) -> None:
    database = Database(db_url)
    try:
        upgrade(database.engine)
        upgrade(database.engine)
        tables = set(inspect(database.engine).get_table_names())
        assert {"scope", "variable", "binary_content", "binary_chunk", "task"} <= tables
    finally:
        database.dispose()


def test_database_url_with_percent_signs_migrates(tmp_path: Path) -> None:
    """A URL with percent-encoding (a password with '@' in it, or here a folder named
    '100%') reaches Alembic intact."""
    directory = tmp_path / "100%"
    directory.mkdir()
    database = Database(f"sqlite:///{tmp_path}/100%25/x.db")
    try:
        upgrade(database.engine)
        assert "variable" in inspect(database.engine).get_table_names()
    finally:
        database.dispose()


def test_new_sqlite_database_uses_16_kib_pages_wal_and_synced_commits(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        upgrade(database.engine)
        with database.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA page_size").scalar() == 16384
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            # FULL (2): a commit is on disk before the write is acknowledged
            assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2
    finally:
        database.dispose()


@pytest.mark.postgres
def test_postgresql_stores_binary_chunks_without_compression(
    postgresql_session_database: SessionDatabase,
) -> None:
    database = Database(postgresql_session_database.url)
    try:
        with database.engine.connect() as connection:
            storage = connection.exec_driver_sql(
                "SELECT attstorage FROM pg_attribute "
                "WHERE attrelid = 'binary_chunk'::regclass AND attname = 'data'"
            ).scalar()
        assert storage == "e"  # EXTERNAL: out of line, never compressed
    finally:
        database.dispose()
