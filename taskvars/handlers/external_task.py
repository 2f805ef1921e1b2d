"""Operations tagged `External Task` that workers and operators command with (the
queries are :mod:`.external_task_query`'s)."""

from __future__ import annotations

from typing import Any

import anyio

from taskvars.handlers.http import variable_operations as operations
from taskvars.handlers.http.client_presence import client_gone_probe
from taskvars.handlers.http.runtime import database, parked_fetches
from taskvars.services import external_tasks
from taskvars.services.long_polling import FetchOutcome


async def fetch_and_lock(body: dict[str, Any]) -> list[dict[str, Any]]:
    """One attempt at once; with ``asyncResponseTimeout`` and nothing found, the request
    is parked (:mod:`taskvars.services.long_polling`) holding no thread, and each wake
    runs another attempt in a worker thread."""
    request = external_tasks.fetch_request(body)
    db = database()

    def locked() -> FetchOutcome:
        return db.write(lambda uow: external_tasks.fetch_and_lock(uow, request))

    async def attempt() -> FetchOutcome:
        return await anyio.to_thread.run_sync(locked)

    if request.async_response_timeout is None:
        return (await attempt()).tasks
    return await parked_fetches().wait_for_tasks(
        attempt,
        request.topic_names,
        request.async_response_timeout / 1000,
        client_gone_probe(),
    )


def complete_external_task_resource(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.complete(uow, id_, body))
    return operations.NO_CONTENT


def handle_failure(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.handle_failure(uow, id_, body))
    return operations.NO_CONTENT


def handle_external_task_bpmn_error(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.handle_bpmn_error(uow, id_, body))
    return operations.NO_CONTENT


def extend_lock(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.extend_lock(uow, id_, body))
    return operations.NO_CONTENT


def lock(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.lock(uow, id_, body))
    return operations.NO_CONTENT


def unlock(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.unlock(uow, id_))
    return operations.NO_CONTENT


def set_external_task_resource_retries(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    retries = body.get("retries")
    database().write(lambda uow: external_tasks.set_retries(uow, id_, retries))
    return operations.NO_CONTENT


def set_external_task_resource_priority(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    priority = body.get("priority")
    database().write(lambda uow: external_tasks.set_priority(uow, id_, priority))
    return operations.NO_CONTENT


def set_external_task_retries(body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: external_tasks.set_retries_of_many(uow, body))
    return operations.NO_CONTENT
