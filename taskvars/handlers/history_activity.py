"""Operations tagged `Historic Activity Instance`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.services import history_activities
from taskvars.services.query_toolkit import Page


def get_historic_activity_instances(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = history_activities.activity_query(history_activities.SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history_activities.activities(uow, query, page))


def query_historic_activity_instances(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    query = history_activities.activity_query(history_activities.SHAPE.from_body(body or {}))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history_activities.activities(uow, query, page))


def get_historic_activity_instances_count(**parameters: Any) -> dict[str, int]:
    query = history_activities.activity_query(history_activities.SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: history_activities.count(uow, query))}


def query_historic_activity_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    query = history_activities.activity_query(history_activities.SHAPE.from_body(body or {}))
    return {"count": database().read(lambda uow: history_activities.count(uow, query))}


def get_historic_activity_instance(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: history_activities.activity(uow, id_))
