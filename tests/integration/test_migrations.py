"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from taskvars.persistence.migrate import alembic_config, upgrade
from taskvars.persistence.models import Base
from taskvars.persistence.unit_of_work import Database
from tests.content_digests import expected_digest
from tests.databases import DATABASE_KINDS, SessionDatabase, postgres_server_url, private_schema


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


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_migration_0020_indexes_an_instances_scopes_by_kind_and_goes_back(
    kind: str, tmp_path: Path
) -> None:
    with database_of_kind(kind, tmp_path) as database:
        upgrade(database.engine)
        assert scope_indexes(database) == {"ix_scope_process_instance_pk_kind": INSTANCE_KIND}
        config = alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0019")
        assert scope_indexes(database) == {"ix_scope_process_instance_pk": ["process_instance_pk"]}
        upgrade(database.engine)
        assert scope_indexes(database) == {"ix_scope_process_instance_pk_kind": INSTANCE_KIND}


INSTANCE_KIND = ["process_instance_pk", "kind", "parent_pk"]


def scope_indexes(database: Database) -> dict[str, list[str]]:
    """The scope table's indexes on its process instance column, by name."""
    return {
        str(index["name"]): list(index["column_names"])
        for index in inspect(database.engine).get_indexes("scope")
        if "process_instance_pk" in index["column_names"]
    }


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_migration_0021_names_the_sha256_of_content_stored_before_and_goes_back(
    kind: str, tmp_path: Path
) -> None:
    legacy = hashlib.sha256(b"stored before").hexdigest()
    with database_of_kind(kind, tmp_path) as database:
        config = alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0020")
            connection.execute(
                text("INSERT INTO binary_content (size, sha256) VALUES (13, :sha)"), {"sha": legacy}
            )
        upgrade(database.engine)
        assert stored_digests(database) == [f"sha256:{legacy}"]

        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0020")
            assert connection.execute(
                text("SELECT sha256 FROM binary_content")
            ).scalars().all() == [legacy]
        upgrade(database.engine)
        assert stored_digests(database) == [f"sha256:{legacy}"]


@pytest.mark.parametrize("kind", DATABASE_KINDS)
def test_migration_0021_is_not_undone_while_content_carries_an_xxh3_digest(
    kind: str, tmp_path: Path
) -> None:
    with database_of_kind(kind, tmp_path) as database:
        upgrade(database.engine)
        with database.engine.begin() as connection:
            connection.execute(
                text("INSERT INTO binary_content (size, digest) VALUES (3, :digest)"),
                {"digest": expected_digest(b"abc")},
            )
        config = alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            with pytest.raises(RuntimeError, match="1 stored values carry an XXH3-128 digest"):
                command.downgrade(config, "0020")
        assert stored_digests(database) == [expected_digest(b"abc")]


@contextmanager
def database_of_kind(kind: str, tmp_path: Path) -> Iterator[Database]:
    """A new SQLite database in ``tmp_path``, or a private schema of the PostgreSQL server."""
    with ExitStack() as stack:
        if kind == "sqlite":
            url = f"sqlite:///{tmp_path / 'migrations.db'}"
        else:
            url = stack.enter_context(private_schema(postgres_server_url()))
        database = Database(url)
        stack.callback(database.dispose)
        yield database


def stored_digests(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return list(connection.execute(text("SELECT digest FROM binary_content")).scalars())
