"""Operations tagged `Incident`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.services import incidents
from taskvars.services.query_toolkit import Page


def get_incidents(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = incidents.incident_query(incidents.SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: incidents.incidents(uow, query, page))


def get_incidents_count(**parameters: Any) -> dict[str, int]:
    query = incidents.incident_query(incidents.SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: incidents.count(uow, query))}


def get_incident(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: incidents.incident(uow, id_))


def resolve_incident(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: incidents.resolve(uow, id_))
    return NO_CONTENT


def set_incident_annotation(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    annotation = body.get("annotation")
    database().write(lambda uow: incidents.set_annotation(uow, id_, annotation))
    return NO_CONTENT


def clear_incident_annotation(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: incidents.set_annotation(uow, id_, None))
    return NO_CONTENT
