"""Operations tagged `Task`."""

from __future__ import annotations

from typing import Any

from connexion import NoContent

from taskvars.errors import InvalidRequestError, RestError
from taskvars.handlers.runtime import runtime
from taskvars.handlers.variables import conflicts_as_409, convert_values, variable_map
from taskvars.persistence.models import IdSpace
from taskvars.persistence.values import ScopeNotFoundError, TaskFilter
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


def get_tasks(
    first_result: int = 0,
    max_results: int | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
    **criteria: Any,
) -> list[dict[str, Any]]:
    if (sort_by is None) != (sort_order is None):
        raise InvalidRequestError(
            "Only a single sorting parameter specified. sortBy and sortOrder required"
        )
    with runtime().database.unit_of_work(write=False) as uow:
        tasks = uow.store.tasks(
            _task_filter(criteria),
            first_result=first_result,
            max_results=max_results,
            sort_by=sort_by,
            descending=sort_order == "desc",
        )
        return [scopes.task_dto(task) for task in tasks]


def get_tasks_count(**criteria: Any) -> dict[str, int]:
    with runtime().database.unit_of_work(write=False) as uow:
        return {"count": uow.store.count_tasks(_task_filter(criteria))}


def update_task(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    with runtime().database.unit_of_work(write=True) as uow:
        scopes.update_task(uow.store, id_, body)
        uow.commit()
    return NoContent, 204


def delete_task(id_: str) -> tuple[Any, int]:
    with runtime().database.unit_of_work(write=True) as uow:
        scopes.delete_task(uow.store, id_)
        uow.commit()
    return NoContent, 204


def complete(id_: str, body: dict[str, Any] | None = None) -> Any:
    """Write the variables from the task, then remove it (compat §4)."""
    body = body or {}
    prefix = f"Cannot complete task {id_}"
    values = convert_values(body.get("variables"), prefix)
    with runtime().database.unit_of_work(write=True) as uow:
        try:
            chain = uow.store.scope_chain(IdSpace.TASK, id_)
        except ScopeNotFoundError:
            raise RestError(
                f"{prefix}: Cannot find task with id {id_}: task is null", status=500, code=0
            ) from None
        with conflicts_as_409(prefix):
            for name, value in values.items():
                uow.store.set_variable(chain, name, value, local=False)
            returned = variable_map(uow, chain, True) if body.get("withVariablesInReturn") else None
            uow.store.delete_scope_tree(chain[0].pk)
            uow.commit()
    return (returned, 200) if returned is not None else (NoContent, 204)


def _task_filter(criteria: dict[str, Any]) -> TaskFilter:
    task_id_in = criteria.pop("task_id_in", None)
    return TaskFilter(
        task_id_in=task_id_in.split(",") if task_id_in is not None else None, **criteria
    )
