"""The schema comes from migrations, and the migrations match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from taskvars.persistence.migrate import upgrade
from taskvars.persistence.models import Base
from taskvars.persistence.unit_of_work import Database


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
