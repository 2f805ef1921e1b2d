"""Operations tagged `Task Local Variable`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.handlers.http import variable_operations as operations
from taskvars.services.variables import TASK_LOCAL_VARIABLES as RESOURCE
from taskvars.web.multipart import MultipartForm


def set_binary_task_local_variable(
    id_: str, var_name: str, multipart_form: MultipartForm
) -> tuple[Any, int]:
    return operations.upload_binary(RESOURCE, id_, var_name, multipart_form)


def get_task_local_variable_binary(id_: str, var_name: str) -> Response:
    return operations.download_binary(RESOURCE, id_, var_name)


def get_task_local_variable(
    id_: str, var_name: str, deserialize_value: bool = True
) -> dict[str, Any]:
    return operations.get_variable(RESOURCE, id_, var_name, deserialize_value)


def get_task_local_variables(id_: str, deserialize_values: bool = True) -> dict[str, Any]:
    return operations.get_variables(RESOURCE, id_, deserialize_values)


def put_task_local_variable(id_: str, var_name: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.put_variable(RESOURCE, id_, var_name, body)


def delete_task_local_variable(id_: str, var_name: str) -> tuple[Any, int]:
    return operations.delete_variable(RESOURCE, id_, var_name)


def modify_task_local_variables(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    return operations.modify_variables(RESOURCE, id_, body)
