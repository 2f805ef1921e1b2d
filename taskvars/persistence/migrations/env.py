"""Alembic environment: runs on the connection handed in by ``taskvars.persistence.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

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


connection = config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise SystemExit("migrations run through `taskvars db upgrade` or at server start")
run(connection)
