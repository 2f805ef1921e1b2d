"""Operations tagged `Task`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskvars.handlers.http.runtime import database, groups_of
from taskvars.handlers.http.variable_operations import NO_CONTENT
from taskvars.persistence.values import IdentityLinkRecord
from taskvars.services import task_forms, task_people, tasks
from taskvars.services import task_query as task_queries


def create_task(body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: tasks.create(uow, body))
    return NO_CONTENT


def get_task(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: tasks.get(uow, id_))


def get_tasks(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    task_query = task_queries.from_parameters(parameters, groups_of())
    return database().read(
        lambda uow: tasks.query(uow, task_query, first_result=first_result, max_results=max_results)
    )


def get_tasks_count(**parameters: Any) -> dict[str, int]:
    task_query = task_queries.from_parameters(parameters, groups_of())
    return {"count": database().read(lambda uow: tasks.count(uow, task_query))}


def query_tasks(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    task_query = task_queries.from_body(body or {}, groups_of())
    return database().read(
        lambda uow: tasks.query(uow, task_query, first_result=first_result, max_results=max_results)
    )


def query_tasks_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    task_query = task_queries.from_body(body or {}, groups_of())
    return {"count": database().read(lambda uow: tasks.count(uow, task_query))}


def update_task(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: tasks.update(uow, id_, body))
    return NO_CONTENT


def delete_task(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: tasks.delete(uow, id_))
    return NO_CONTENT


def complete(id_: str, body: dict[str, Any] | None = None) -> Any:
    return _finishing(tasks.complete, id_, body)


def claim(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: task_people.claim(uow, id_, body.get("userId")))
    return NO_CONTENT


def unclaim(id_: str) -> tuple[Any, int]:
    database().write(lambda uow: task_people.set_assignee(uow, id_, None))
    return NO_CONTENT


def set_assignee(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: task_people.set_assignee(uow, id_, body.get("userId")))
    return NO_CONTENT


def delegate_task(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: task_people.delegate(uow, id_, body.get("userId")))
    return NO_CONTENT


def resolve(id_: str, body: dict[str, Any] | None = None) -> tuple[Any, int]:
    database().write(lambda uow: task_people.resolve(uow, id_, (body or {}).get("variables")))
    return NO_CONTENT


def get_form(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: task_forms.task_form(uow, id_))


def get_form_variables(
    id_: str, variable_names: str | None = None, deserialize_values: bool = True
) -> dict[str, Any]:
    names = variable_names.split(",") if variable_names is not None else None
    return database().read(
        lambda uow: task_forms.form_variables(uow, id_, names, deserialize=deserialize_values)
    )


def submit(id_: str, body: dict[str, Any] | None = None) -> Any:
    return _finishing(task_forms.submit_form, id_, body)


def _finishing(finish: Callable[..., dict[str, Any] | None], id_: str, body: Any) -> Any:
    """Complete or submit with a ``CompleteTaskDto``: 200 with the variables if asked for
    them (``withVariablesInReturn``), else 204."""
    body = body or {}
    returned = database().write(
        lambda uow: finish(
            uow,
            id_,
            body.get("variables"),
            with_variables_in_return=bool(body.get("withVariablesInReturn")),
        )
    )
    return (returned, 200) if returned is not None else NO_CONTENT


def get_identity_links(id_: str, type_: str | None = None) -> list[dict[str, Any]]:
    return database().read(lambda uow: task_people.identity_links(uow, id_, type_))


def add_identity_link(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: task_people.add_identity_link(uow, id_, _identity_link(body)))
    return NO_CONTENT


def delete_identity_link(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    database().write(lambda uow: task_people.delete_identity_link(uow, id_, _identity_link(body)))
    return NO_CONTENT


def _identity_link(body: dict[str, Any]) -> IdentityLinkRecord:
    return IdentityLinkRecord(body["type"], body.get("userId"), body.get("groupId"))
