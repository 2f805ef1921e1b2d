"""Operations tagged `Job`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.services import jobs
from taskvars.services.dates import epoch_millis
from taskvars.services.query_parameters import date_parameter
from taskvars.services.query_toolkit import Page


def get_jobs(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = jobs.from_parameters(parameters)
    page = Page(first_result, max_results)
    return database().read(lambda uow: jobs.jobs(uow, query, page))


def query_jobs(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    query = jobs.from_body(body or {})
    page = Page(first_result, max_results)
    return database().read(lambda uow: jobs.jobs(uow, query, page))


def get_jobs_count(**parameters: Any) -> dict[str, int]:
    query = jobs.from_parameters(parameters)
    return {"count": database().read(lambda uow: jobs.count(uow, query))}


def query_jobs_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    query = jobs.from_body(body or {})
    return {"count": database().read(lambda uow: jobs.count(uow, query))}


def get_job(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: jobs.job(uow, id_))


def get_stacktrace(id_: str) -> Response:
    text = database().read(lambda uow: jobs.stacktrace(uow, id_))
    return Response(text, media_type="text/plain")


def execute_job(id_: str) -> tuple[Any, int]:
    jobs.execute_now(database(), id_)
    return NO_CONTENT


def set_job_retries(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    retries = body.get("retries")
    set_due = "dueDate" in body
    due = _millis("dueDate", body.get("dueDate"))
    database().write(lambda uow: jobs.set_retries(uow, id_, retries, due, set_due))
    return NO_CONTENT


def set_job_duedate(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    due = _millis("duedate", body.get("duedate"))
    database().write(lambda uow: jobs.set_due_date(uow, id_, due))
    return NO_CONTENT


def update_job_suspension_state(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    suspended = bool(body.get("suspended"))
    database().write(lambda uow: jobs.set_suspended(uow, id_, suspended))
    return NO_CONTENT


def delete_job(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: jobs.delete(uow, id_))
    return NO_CONTENT


def _millis(name: str, text: str | None) -> int | None:
    return None if text is None else epoch_millis(date_parameter(name, text))
