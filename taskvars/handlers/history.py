"""Operations tagged `Historic Process Instance` and `Historic Variable Instance`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http.runtime import database
from taskvars.handlers.http.variable_operations import stream_binary
from taskvars.services import history


def get_historic_process_instances(
    sort_by: str | None = None,
    sort_order: str | None = None,
    first_result: int = 0,
    max_results: int | None = None,
    **parameters: Any,
) -> list[dict[str, Any]]:
    criteria = history.instance_criteria(parameters)
    return database().read(
        lambda uow: history.instances(
            uow,
            criteria,
            sort_by=sort_by,
            sort_order=sort_order,
            first_result=first_result,
            max_results=max_results,
        )
    )


def get_historic_process_instances_count(**parameters: Any) -> dict[str, int]:
    criteria = history.instance_criteria(parameters)
    return {"count": database().read(lambda uow: history.count_instances(uow, criteria))}


def get_historic_process_instance(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: history.instance(uow, id_))


def get_historic_variable_instances(
    sort_by: str | None = None,
    sort_order: str | None = None,
    first_result: int = 0,
    max_results: int | None = None,
    deserialize_values: bool = True,
    **parameters: Any,
) -> list[dict[str, Any]]:
    criteria = history.variable_criteria(parameters)
    return database().read(
        lambda uow: history.variables(
            uow,
            criteria,
            sort_by=sort_by,
            sort_order=sort_order,
            first_result=first_result,
            max_results=max_results,
            deserialize=deserialize_values,
        )
    )


def get_historic_variable_instances_count(**parameters: Any) -> dict[str, int]:
    criteria = history.variable_criteria(parameters)
    return {"count": database().read(lambda uow: history.count_variables(uow, criteria))}


def get_historic_variable_instance(id_: str, deserialize_value: bool = True) -> dict[str, Any]:
    return database().read(lambda uow: history.variable(uow, id_, deserialize=deserialize_value))


def get_historic_variable_instance_binary(id_: str) -> Response:
    return stream_binary(lambda uow: history.binary(uow, id_))
