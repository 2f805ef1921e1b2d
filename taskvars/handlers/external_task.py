"""Operations tagged `External Task` that workers and operators command with (the
queries are :mod:`.external_task_query`'s)."""

from __future__ import annotations

from typing import Any

from taskvars.handlers.http import variable_operations as operations
from taskvars.handlers.http.runtime import database
from taskvars.services import external_tasks


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
