"""Operations tagged `Task`."""

from __future__ import annotations

from typing import Any

from connexion import NoContent

from taskvars.errors import InvalidRequestError
from taskvars.handlers.runtime import runtime
from taskvars.services import scopes


def create_task(body: dict[str, Any]) -> tuple[Any, int]:
    with runtime().database.unit_of_work(write=True) as uow:
        scopes.create_task(uow.store, body)
        uow.commit()
    return NoContent, 204


def get_task(id_: str) -> dict[str, Any]:
    with runtime().database.unit_of_work(write=False) as uow:
        task = uow.store.task(id_)
        if task is None:
            raise InvalidRequestError(f"No matching task with id {id_}", status=404)
        return scopes.task_dto(task)
