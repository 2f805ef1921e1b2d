"""Operations tagged `Historic Incident`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.services import history_incidents
from taskvars.services.query_toolkit import Page


def get_historic_incidents(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = history_incidents.incident_query(history_incidents.SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history_incidents.incidents(uow, query, page))


def get_historic_incidents_count(**parameters: Any) -> dict[str, int]:
    query = history_incidents.incident_query(history_incidents.SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: history_incidents.count(uow, query))}
