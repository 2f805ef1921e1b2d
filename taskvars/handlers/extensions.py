"""Operations tagged `Extensions`: not Camunda's, marked as ours in the spec."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.errors import DatabaseUnavailableError
from taskvars.handlers.http.links import with_self_link
from taskvars.handlers.http.runtime import database, runtime
from taskvars.metrics import exposition
from taskvars.persistence.values import DatabaseUnreachableError
from taskvars.services import process_instances, storage_totals


def create_process_instance(body: dict[str, Any]) -> dict[str, Any]:
    """With a self link to the process instance, as Camunda's start answers."""
    created = database().write(lambda uow: process_instances.create(uow, body))
    return with_self_link(created, f"/process-instance/{created['id']}")


def get_health() -> dict[str, Any]:
    """Up when the database answers a query on this server's schema (its migration
    version), not merely a ``SELECT 1``: a database that lost its tables is down too."""
    db = database()
    try:
        db.check_schema()
    except DatabaseUnreachableError as error:
        raise DatabaseUnavailableError(str(error)) from None
    return {"status": "UP", "database": db.kind}


def get_prometheus_metrics() -> Response:
    """Served while the database is down too: then without the stored values, which
    only it can count."""
    db = database()
    try:
        db.check_schema()
        stored: tuple[int, int] | None = db.read(storage_totals.binary_values)
    except DatabaseUnreachableError:
        stored = None
    return Response(exposition.scrape(stored), media_type=exposition.MEDIA_TYPE)


def get_limits() -> dict[str, Any]:
    return {"maxUploadBytes": runtime().settings.max_upload_bytes}
