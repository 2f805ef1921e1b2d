"""Operations tagged `Execution`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http import variable_operations as operations
from taskvars.handlers.http.runtime import database
from taskvars.services import process_instances
from taskvars.services.variables import EXECUTION_LOCAL_VARIABLES as RESOURCE
from taskvars.web.multipart import MultipartForm


def set_local_execution_variable_binary(
    id_: str, var_name: str, multipart_form: MultipartForm
) -> tuple[Any, int]:
    return operations.upload_binary(RESOURCE, id_, var_name, multipart_form)


def get_local_execution_variable_binary(id_: str, var_name: str) -> Response:
    return operations.download_binary(RESOURCE, id_, var_name)


def get_local_execution_variable(
    id_: str, var_name: str, deserialize_value: bool = True
) -> dict[str, Any]:
    return operations.get_variable(RESOURCE, id_, var_name, deserialize_value)


def get_local_execution_variables(id_: str, deserialize_values: bool = True) -> dict[str, Any]:
    return operations.get_variables(RESOURCE, id_, deserialize_values)


def put_local_execution_variable(id_: str, var_name: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.put_variable(RESOURCE, id_, var_name, body)


def delete_local_execution_variable(id_: str, var_name: str) -> tuple[Any, int]:
    return operations.delete_variable(RESOURCE, id_, var_name)


def modify_local_execution_variables(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.modify_variables(RESOURCE, id_, body)


def get_execution(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: process_instances.get_execution(uow, id_))
