"""Operations tagged `Process Instance`."""

from __future__ import annotations

from typing import Any

from connexion import NoContent
from starlette.responses import Response

from taskvars.errors import InvalidRequestError
from taskvars.handlers import variables
from taskvars.handlers.runtime import runtime
from taskvars.handlers.variables import PROCESS_INSTANCE_VARIABLES as RESOURCE
from taskvars.persistence.models import IdSpace
from taskvars.services import scopes
from taskvars.web.multipart import MultipartForm


def set_process_instance_variable_binary(
    id_: str, var_name: str, multipart_form: MultipartForm
) -> tuple[Any, int]:
    return variables.upload_binary(RESOURCE, id_, var_name, multipart_form)


def get_process_instance_variable_binary(id_: str, var_name: str) -> Response:
    return variables.download_binary(RESOURCE, id_, var_name)


def get_process_instance_variable(
    id_: str, var_name: str, deserialize_value: bool = True
) -> dict[str, Any]:
    return variables.get_variable(RESOURCE, id_, var_name, deserialize_value)


def get_process_instance_variables(id_: str, deserialize_values: bool = True) -> dict[str, Any]:
    return variables.get_variables(RESOURCE, id_, deserialize_values)


def set_process_instance_variable(id_: str, var_name: str, body: dict[str, Any]) -> tuple[Any, int]:
    return variables.put_variable(RESOURCE, id_, var_name, body)


def delete_process_instance_variable(id_: str, var_name: str) -> tuple[Any, int]:
    return variables.delete_variable(RESOURCE, id_, var_name)


def modify_process_instance_variables(id_: str, body: dict[str, Any]) -> tuple[Any, int]:
    return variables.modify_variables(RESOURCE, id_, body)


def get_process_instance(id_: str) -> dict[str, Any]:
    with runtime().database.unit_of_work(write=False) as uow:
        record = uow.store.process_instance(id_)
        if record is None:
            raise InvalidRequestError(f"Process instance with id {id_} does not exist", status=404)
        return scopes.process_instance_dto(record)


def delete_process_instance(
    id_: str,
    skip_custom_listeners: bool = False,
    skip_io_mappings: bool = False,
    skip_subprocesses: bool = False,
    fail_if_not_exists: bool = True,
) -> tuple[Any, int]:
    """Everything in it goes: executions, tasks, variables, binary content."""
    with runtime().database.unit_of_work(write=True) as uow:
        if uow.store.process_instance(id_) is None:
            if not fail_if_not_exists:
                return NoContent, 204
            raise InvalidRequestError(
                f"No process instance found for id '{id_}': processInstance is null", status=404
            )
        scope_pk = uow.store.scope_pk(IdSpace.EXECUTION, id_)
        assert scope_pk is not None
        uow.store.delete_scope_tree(scope_pk)
        uow.commit()
    return NoContent, 204
