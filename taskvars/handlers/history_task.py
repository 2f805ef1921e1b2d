"""Operations tagged `Historic Task Instance`."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http.runtime import database
from taskvars.services import history_tasks
from taskvars.services.query_toolkit import Page


def get_historic_task_instances(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = history_tasks.task_query(history_tasks.SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history_tasks.tasks(uow, query, page))


def query_historic_task_instances(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    query = history_tasks.task_query(history_tasks.SHAPE.from_body(body or {}))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history_tasks.tasks(uow, query, page))


def get_historic_task_instances_count(**parameters: Any) -> dict[str, int]:
    query = history_tasks.task_query(history_tasks.SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: history_tasks.count(uow, query))}


def query_historic_task_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    query = history_tasks.task_query(history_tasks.SHAPE.from_body(body or {}))
    return {"count": database().read(lambda uow: history_tasks.count(uow, query))}
