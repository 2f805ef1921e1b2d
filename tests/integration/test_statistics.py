"""The server keeps the planner's statistics current: sqlite_stat1 on SQLite, ANALYZE
and the extended statistics of migration 0019 on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from taskvars.persistence import statistics
from taskvars.persistence.migrate import alembic_config, upgrade
from taskvars.persistence.statistics import StatisticsKeeper, refresh
from taskvars.persistence.unit_of_work import Database
from taskvars.services import process_instances
from tests.databases import DATABASE_KINDS, postgres_server_url, private_schema

OURS = {"stx_variable_name_type", "stx_scope_kind_id_space", "stx_task_definition"}
OURS |= {"stx_identity_link_type_who", "stx_variable_common_values"}


@pytest.fixture(params=DATABASE_KINDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A new, migrated database of its own: statistics are the whole database's."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / 'statistics.db'}"
        else:
            url = stack.enter_context(private_schema(postgres_server_url()))
        database = Database(url)
        stack.callback(database.dispose)
        upgrade(database.engine)
        yield database


def add_instances(database: Database, count: int) -> None:
    with database.unit_of_work(write=True) as uow:
        for index in range(count):
            process_instances.add_tree(uow, instance(index))
        uow.commit()


def instance(index: int) -> dict[str, Any]:
    return {
        "id": f"pi{index}",
        "processDefinitionKey": "invoice",
        "variables": {"amount": {"type": "Integer", "value": index}},
        "tasks": [
            {"id": f"t{index}-{n}", "candidateGroups": ["sales"], "variables": {"note": {}}}
            for n in range(2)
        ],
    }


def analyzed_tables(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        if database.engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("SELECT tbl FROM sqlite_stat1")
        else:
            rows = connection.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE schemaname = current_schema()"
                    " AND (last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL)"
                )
            )
        return {str(row[0]) for row in rows}


def built_extended_statistics(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.stxname FROM pg_statistic_ext e"
                " JOIN pg_statistic_ext_data d ON d.stxoid = e.oid"
                " WHERE e.stxnamespace = current_schema()::regnamespace"
            )
        )
        return {str(row[0]) for row in rows}


def test_tables_never_analyzed_are_analyzed_then_left_alone(database: Database) -> None:
    add_instances(database, 3)
    assert refresh(database.engine) == list(statistics.QUERIED_TABLES)
    assert set(statistics.QUERIED_TABLES) <= analyzed_tables(database)
    # A few rows more are no reason to gather them again.
    with database.unit_of_work(write=True) as uow:
        process_instances.add_tree(uow, instance(3))
        uow.commit()
    assert refresh(database.engine) == []


def test_the_keeper_gathers_statistics_when_the_server_starts(database: Database) -> None:
    add_instances(database, 2)
    keeper = StatisticsKeeper(database.engine, period=3600)
    keeper.start()
    try:
        assert keeper.first_refresh_done.wait(120)
    finally:
        keeper.stop()
    assert "task" in analyzed_tables(database)


@pytest.mark.postgres
def test_postgresql_builds_the_extended_statistics_of_migration_0019() -> None:
    with private_schema(postgres_server_url()) as url:
        database = Database(url)
        try:
            upgrade(database.engine)
            add_instances(database, 3)
            assert built_extended_statistics(database) == set()
            refresh(database.engine)
            assert built_extended_statistics(database) == OURS
        finally:
            database.dispose()


@pytest.mark.postgres
def test_one_postgresql_process_refreshes_at_a_time() -> None:
    """Another worker holding the lock: this one skips its turn instead of analyzing the
    same tables at the same time."""
    with private_schema(postgres_server_url()) as url:
        database = Database(url)
        try:
            upgrade(database.engine)
            with database.engine.begin() as other:
                schema = other.execute(text("SELECT current_schema()")).scalar_one()
                other.execute(
                    text("SELECT pg_advisory_xact_lock(:class, :key)"),
                    {"class": statistics._PG_LOCK_CLASS, "key": statistics._schema_key(schema)},
                )
                assert refresh(database.engine) == []
            assert refresh(database.engine) == list(statistics.QUERIED_TABLES)
        finally:
            database.dispose()


@pytest.mark.postgres
def test_migration_0019_downgrades_and_upgrades_again() -> None:
    with private_schema(postgres_server_url()) as url:
        database = Database(url)
        try:
            upgrade(database.engine)
            config = alembic_config()
            with database.engine.begin() as connection:
                config.attributes["connection"] = connection
                command.downgrade(config, "0018")
            assert names_of_extended_statistics(database) == set()
            upgrade(database.engine)
            assert names_of_extended_statistics(database) == OURS
        finally:
            database.dispose()


def names_of_extended_statistics(database: Database) -> set[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT stxname FROM pg_statistic_ext"
                " WHERE stxnamespace = current_schema()::regnamespace"
            )
        )
        return {str(row[0]) for row in rows}


def test_sqlite_connections_opened_before_the_statistics_are_replaced(tmp_path: Path) -> None:
    """SQLite reads sqlite_stat1 when a connection opens: a pooled connection would
    plan without the statistics gathered after it opened."""
    database = Database(f"sqlite:///{tmp_path / 'pooled.db'}")
    try:
        upgrade(database.engine)
        add_instances(database, 2)
        with database.engine.connect() as connection:
            before = connection.connection.dbapi_connection
        refresh(database.engine)
        with database.engine.connect() as connection:
            assert connection.connection.dbapi_connection is not before
    finally:
        database.dispose()
