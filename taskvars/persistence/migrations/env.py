"""Alembic environment: runs on the connection handed in by ``taskvars.persistence.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from taskvars.persistence.database import create_database_engine
from taskvars.persistence.models import Base

config = context.config


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    engine = create_database_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as own_connection:
        run(own_connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported: run `taskvars db upgrade`")
run_migrations_online()
