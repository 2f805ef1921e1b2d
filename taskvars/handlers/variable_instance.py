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
    deserialize_values: bool = True,
    **parameters: Any,
) -> list[dict[str, Any]]:
    instance_query = variable_instances.from_parameters(parameters)
    return _listed(instance_query, first_result, max_results, deserialize_values)


def get_variable_instances_count(**parameters: Any) -> dict[str, int]:
    return _counted(variable_instances.from_parameters(parameters))


def query_variable_instances(
    body: dict[str, Any] | None = None,
    first_result: int = 0,
    max_results: int | None = None,
    deserialize_values: bool = True,
) -> list[dict[str, Any]]:
    instance_query = variable_instances.from_body(body or {})
    return _listed(instance_query, first_result, max_results, deserialize_values)


def query_variable_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    return _counted(variable_instances.from_body(body or {}))


def _listed(
    instance_query: variable_instances.VariableInstanceQuery,
    first_result: int,
    max_results: int | None,
    deserialize: bool,
) -> list[dict[str, Any]]:
    return database().read(
        lambda uow: variable_instances.query(
            uow,
            instance_query,
            first_result=first_result,
            max_results=max_results,
            deserialize=deserialize,
        )
    )


def _counted(instance_query: variable_instances.VariableInstanceQuery) -> dict[str, int]:
    return {"count": database().read(lambda uow: variable_instances.count(uow, instance_query))}


def get_variable_instance(id_: str, deserialize_value: bool = True) -> dict[str, Any]:
    return database().read(
        lambda uow: variable_instances.get(uow, id_, deserialize=deserialize_value)
    )


def get_variable_instance_binary(id_: str) -> Response:
    return stream_binary(lambda uow: variable_instances.binary(uow, id_))
