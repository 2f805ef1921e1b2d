"""External tasks read: the query and its count, one task, its error details, and the
topics tasks wait on (``ExternalTaskRestServiceImpl``, ``ExternalTaskResourceImpl``)."""

from __future__ import annotations

from typing import Any

from taskvars.errors import RestNotFoundError
from taskvars.persistence.external_task_query import ExternalTaskCriteria
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.external_task_dtos import external_task_dto
from taskvars.services.external_task_query import ExternalTaskQuery
from taskvars.services.query_toolkit import Page


def _now() -> int:
    return epoch_millis(now_millis())


def not_found(external_task_id: str) -> RestNotFoundError:
    return RestNotFoundError(f"External task with id {external_task_id} does not exist")


def query(uow: UnitOfWork, task_query: ExternalTaskQuery, page: Page) -> list[dict[str, Any]]:
    found = uow.store.external_task_query.query(
        task_query.criteria,
        _now(),
        task_query.orderings,
        first_result=page.first_result,
        max_results=page.max_results,
    )
    return [external_task_dto(row) for row in found]


def count(uow: UnitOfWork, task_query: ExternalTaskQuery) -> int:
    return uow.store.external_task_query.count(task_query.criteria, _now())


def get(uow: UnitOfWork, external_task_id: str) -> dict[str, Any]:
    row = uow.store.external_task_query.get(external_task_id, _now())
    if row is None:
        raise not_found(external_task_id)
    return external_task_dto(row)


def error_details(uow: UnitOfWork, external_task_id: str) -> str | None:
    """The details the last failure reported; ``None`` when none did. Camunda's engine
    answers an unknown id with a ``NullValueException`` (a 500) where its REST resource
    means a 404 (``ExternalTaskResourceImpl.getErrorDetails``, and its tests): the 404."""
    found = uow.store.external_task_query.error_details(external_task_id)
    if found is None:
        raise not_found(external_task_id)
    return found.text


def topic_names(
    uow: UnitOfWork, *, with_locked_tasks: bool, with_unlocked_tasks: bool, with_retries_left: bool
) -> list[str]:
    """Both lock flags together find nothing, as in Camunda (``GetTopicNamesCmd``)."""
    criteria = ExternalTaskCriteria(
        locked=with_locked_tasks,
        not_locked=with_unlocked_tasks,
        with_retries_left=with_retries_left,
    )
    return uow.store.external_task_query.topic_names(criteria, _now())
