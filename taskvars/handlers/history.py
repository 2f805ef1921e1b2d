"""Operations tagged `Historic Process Instance` and `Historic Variable Instance`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import stream_binary
from taskvars.services import history
from taskvars.services.query_toolkit import Page


def get_historic_process_instances(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = history.instance_query(history.INSTANCE_SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history.instances(uow, query, page))


def query_historic_process_instances(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    query = history.instance_query(history.INSTANCE_SHAPE.from_body(body or {}))
    page = Page(first_result, max_results)
    return database().read(lambda uow: history.instances(uow, query, page))


def get_historic_process_instances_count(**parameters: Any) -> dict[str, int]:
    query = history.instance_query(history.INSTANCE_SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: history.count_instances(uow, query))}


def query_historic_process_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    query = history.instance_query(history.INSTANCE_SHAPE.from_body(body or {}))
    return {"count": database().read(lambda uow: history.count_instances(uow, query))}


def get_historic_process_instance(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: history.instance(uow, id_))


def get_historic_variable_instances(
    first_result: int = 0,
    max_results: int | None = None,
    deserialize_values: bool = True,
    **parameters: Any,
) -> list[dict[str, Any]]:
    query = history.variable_query(history.VARIABLE_SHAPE.from_parameters(parameters))
    page = Page(first_result, max_results)
    return database().read(
        lambda uow: history.variables(uow, query, page, deserialize=deserialize_values)
    )


def query_historic_variable_instances(
    body: dict[str, Any] | None = None,
    first_result: int = 0,
    max_results: int | None = None,
    deserialize_values: bool = True,
) -> list[dict[str, Any]]:
    query = history.variable_query(history.VARIABLE_SHAPE.from_body(body or {}))
    page = Page(first_result, max_results)
    return database().read(
        lambda uow: history.variables(uow, query, page, deserialize=deserialize_values)
    )


def get_historic_variable_instances_count(**parameters: Any) -> dict[str, int]:
    query = history.variable_query(history.VARIABLE_SHAPE.from_parameters(parameters))
    return {"count": database().read(lambda uow: history.count_variables(uow, query))}


def query_historic_variable_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    query = history.variable_query(history.VARIABLE_SHAPE.from_body(body or {}))
    return {"count": database().read(lambda uow: history.count_variables(uow, query))}


def get_historic_variable_instance(id_: str, deserialize_value: bool = True) -> dict[str, Any]:
    return database().read(lambda uow: history.variable(uow, id_, deserialize=deserialize_value))


def get_historic_variable_instance_binary(id_: str) -> Response:
    return stream_binary(lambda uow: history.binary(uow, id_))
