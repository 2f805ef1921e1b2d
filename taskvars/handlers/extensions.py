"""Operations tagged `Extensions`: not Camunda's, marked as ours in the spec."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from taskvars.errors import ApiError
from taskvars.handlers.runtime import runtime
from taskvars.services import scopes


def create_process_instance(body: dict[str, Any]) -> dict[str, Any]:
    app = runtime()
    with app.database.unit_of_work(write=True) as uow:
        created = scopes.create_process_instance(
            uow.store, body, chunk_bytes=app.settings.chunk_bytes
        )
        uow.commit()
    return created


class DatabaseUnavailableError(ApiError):
    status = 503


def get_health() -> dict[str, Any]:
    """Up when the database answers a query on this server's schema (its migration
    version), not merely a ``SELECT 1``: a database that lost its tables is down too."""
    database = runtime().database
    try:
        with database.engine.connect() as connection:
            version = connection.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as error:
        message = str(error).splitlines()[0]
        raise DatabaseUnavailableError(f"The database did not answer: {message}") from None
    if version is None:
        raise DatabaseUnavailableError("The database has no schema version")
    return {"status": "UP", "database": database.engine.dialect.name}
