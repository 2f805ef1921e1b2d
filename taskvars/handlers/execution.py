"""Operations tagged `Execution`."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from taskvars.errors import InvalidRequestError
from taskvars.handlers import variables
from taskvars.handlers.runtime import runtime
from taskvars.handlers.variables import EXECUTION_LOCAL_VARIABLES as RESOURCE
from taskvars.services import scopes
from taskvars.web.multipart import MultipartForm


def set_local_execution_variable_binary(
    id_: str, var_name: str, multipart_form: MultipartForm
) -> tuple[Any, int]:
    return variables.upload_binary(RESOURCE, id_, var_name, multipart_form)


def get_local_execution_variable_binary(id_: str, var_name: str) -> Response:
    return variables.download_binary(RESOURCE, id_, var_name)


def get_local_execution_variable(
    id_: str, var_name: str, deserialize_value: bool = True
) -> dict[str, Any]:
    return variables.get_variable(RESOURCE, id_, var_name, deserialize_value)


def get_local_execution_variables(id_: str, deserialize_values: bool = True) -> dict[str, Any]:
    return variables.get_variables(RESOURCE, id_, deserialize_values)


def put_local_execution_variable(id_: str, var_name: str, body: dict[str, Any]) -> tuple[Any, int]:
    return variables.put_variable(RESOURCE, id_, var_name, body)


def delete_local_execution_variable(id_: str, var_name: str) -> tuple[Any, int]:
    return variables.delete_variable(RESOURCE, id_, var_name)


def modify_local_execution_variables(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    return variables.modify_variables(RESOURCE, id_, body)


def get_execution(id_: str) -> dict[str, Any]:
    with runtime().database.unit_of_work(write=False) as uow:
        record = uow.store.execution(id_)
        if record is None:
            raise InvalidRequestError(f"Execution with id {id_} does not exist", status=404)
        return scopes.execution_dto(record)
