"""Operations tagged `Variable Instance`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import stream_binary
from taskvars.services import variable_instances


def get_variable_instances(
    first_result: int = 0,
    max_results: int | None = None,
    sort_by: str | None = None,
    sort_order: str | None = None,
    deserialize_values: bool = True,
    **criteria: Any,
) -> list[dict[str, Any]]:
    instance_filter = variable_instances.instance_filter(criteria)
    return database().read(
        lambda uow: variable_instances.query(
            uow,
            instance_filter,
            first_result=first_result,
            max_results=max_results,
            sort_by=sort_by,
            sort_order=sort_order,
            deserialize=deserialize_values,
        )
    )


def get_variable_instances_count(**criteria: Any) -> dict[str, int]:
    instance_filter = variable_instances.instance_filter(criteria)
    return {"count": database().read(lambda uow: variable_instances.count(uow, instance_filter))}


def get_variable_instance(id_: str, deserialize_value: bool = True) -> dict[str, Any]:
    return database().read(
        lambda uow: variable_instances.get(uow, id_, deserialize=deserialize_value)
    )


def get_variable_instance_binary(id_: str) -> Response:
    return stream_binary(lambda uow: variable_instances.binary(uow, id_))
