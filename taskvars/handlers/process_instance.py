"""Operations tagged `Process Instance`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http import variable_operations as operations
from taskvars.handlers.http.runtime import database
from taskvars.services import process_instance_query, process_instances
from taskvars.services.query_toolkit import Page
from taskvars.services.variables import PROCESS_INSTANCE_VARIABLES as RESOURCE
from taskvars.web.multipart import MultipartForm


def set_process_instance_variable_binary(
    id_: str, var_name: str, multipart_form: MultipartForm
) -> tuple[Any, int]:
    return operations.upload_binary(RESOURCE, id_, var_name, multipart_form)


def get_process_instance_variable_binary(id_: str, var_name: str) -> Response:
    return operations.download_binary(RESOURCE, id_, var_name)


def get_process_instance_variable(
    id_: str, var_name: str, deserialize_value: bool = True
) -> dict[str, Any]:
    return operations.get_variable(RESOURCE, id_, var_name, deserialize_value)


def get_process_instance_variables(id_: str, deserialize_values: bool = True) -> dict[str, Any]:
    return operations.get_variables(RESOURCE, id_, deserialize_values)


def set_process_instance_variable(id_: str, var_name: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.put_variable(RESOURCE, id_, var_name, body)


def delete_process_instance_variable(id_: str, var_name: str) -> tuple[Any, int]:
    return operations.delete_variable(RESOURCE, id_, var_name)


def modify_process_instance_variables(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.modify_variables(RESOURCE, id_, body)


def get_process_instance(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: process_instances.get(uow, id_))


def delete_process_instance(
    id_: str,
    skip_custom_listeners: bool = False,
    skip_io_mappings: bool = False,
    skip_subprocesses: bool = False,
    fail_if_not_exists: bool = True,
) -> tuple[Any, int]:
    """Everything in it goes: executions, tasks, variables, binary content. (Nothing
    here runs listeners, I/O mappings or subprocesses, so the ``skip*`` flags change
    nothing.)"""
    database().write(
        lambda uow: process_instances.delete(uow, id_, fail_if_not_exists=fail_if_not_exists)
    )
    return operations.NO_CONTENT


def get_process_instances(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    instance_query = process_instance_query.from_parameters(parameters)
    return database().read(
        lambda uow: process_instances.query(uow, instance_query, Page(first_result, max_results))
    )


def get_process_instances_count(**parameters: Any) -> dict[str, int]:
    instance_query = process_instance_query.from_parameters(parameters)
    return {"count": database().read(lambda uow: process_instances.count(uow, instance_query))}


def query_process_instances(
    body: dict[str, Any] | None = None, first_result: int = 0, max_results: int | None = None
) -> list[dict[str, Any]]:
    instance_query = process_instance_query.from_body(body or {})
    return database().read(
        lambda uow: process_instances.query(uow, instance_query, Page(first_result, max_results))
    )


def query_process_instances_count(body: dict[str, Any] | None = None) -> dict[str, int]:
    instance_query = process_instance_query.from_body(body or {})
    return {"count": database().read(lambda uow: process_instances.count(uow, instance_query))}


def update_suspension_state_by_id(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    suspended = body.get("suspended") is True
    database().write(lambda uow: process_instances.set_suspended(uow, id_, suspended))
    return operations.NO_CONTENT


def get_activity_instance_tree(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: process_instances.activity_instances(uow, id_))
