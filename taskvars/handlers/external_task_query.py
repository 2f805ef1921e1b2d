"""Operations tagged `External Task` that read: the query and its count, one task, its
error details and the topic names. The commands are :mod:`taskvars.handlers.external_task`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.runtime import database
from taskvars.services import external_task_query, external_task_reads
from taskvars.services.query_toolkit import Page


def get_external_tasks(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    task_query = external_task_query.from_parameters(parameters)
    return database().read(
        lambda uow: external_task_reads.query(uow, task_query, Page(first_result, max_results))
    )


def get_external_tasks_count(**parameters: Any) -> dict[str, int]:
    task_query = external_task_query.from_parameters(parameters)
    return {"count": database().read(lambda uow: external_task_reads.count(uow, task_query))}


def query_external_tasks(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    task_query = external_task_query.from_body(body or {})
    return database().read(
        lambda uow: external_task_reads.query(uow, task_query, Page(first_result, max_results))
    )


def query_external_tasks_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    task_query = external_task_query.from_body(body or {})
    return {"count": database().read(lambda uow: external_task_reads.count(uow, task_query))}


def get_topic_names(
    with_locked_tasks: bool = False,
    with_unlocked_tasks: bool = False,
    with_retries_left: bool = False,
) -> list[str]:
    return database().read(
        lambda uow: external_task_reads.topic_names(
            uow,
            with_locked_tasks=with_locked_tasks,
            with_unlocked_tasks=with_unlocked_tasks,
            with_retries_left=with_retries_left,
        )
    )


def get_external_task(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: external_task_reads.get(uow, id_))


def get_external_task_error_details(id_: str) -> Response:
    """The text as the worker reported it; 204 when no failure reported any."""
    details = database().read(lambda uow: external_task_reads.error_details(uow, id_))
    if details is None:
        # A plain 204: the operation declares two media types, so connexion cannot
        # choose one for an empty tuple answer.
        return Response(status_code=204)
    return Response(details, media_type="text/plain")
