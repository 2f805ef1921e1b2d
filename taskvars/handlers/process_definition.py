"""Operations tagged `Process Definition`."""

from __future__ import annotations

from typing import Any

from taskvars.engine import runtime
from taskvars.handlers.http.links import with_self_link
from taskvars.handlers.http.runtime import database, groups_of
from taskvars.services import generated_forms, process_definitions, start_forms
from taskvars.services.query_toolkit import Page


def get_process_definitions(
    first_result: int = 0, max_results: int | None = None, **parameters: Any
) -> list[dict[str, Any]]:
    query = process_definitions.definition_query(
        process_definitions.SHAPE.from_parameters(parameters), groups_of()
    )
    page = Page(first_result, max_results)
    return database().read(lambda uow: process_definitions.query(uow, query, page))


def get_process_definitions_count(**parameters: Any) -> dict[str, int]:
    query = process_definitions.definition_query(
        process_definitions.SHAPE.from_parameters(parameters), groups_of()
    )
    return {"count": database().read(lambda uow: process_definitions.count(uow, query))}


def get_process_definition(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: process_definitions.dto(process_definitions.by_id(uow, id_)))


def get_process_definition_bpmn20_xml(id_: str) -> dict[str, Any]:
    return database().read(
        lambda uow: process_definitions.xml(uow, process_definitions.by_id(uow, id_))
    )


def get_process_definition_by_key(key: str) -> dict[str, Any]:
    return database().read(
        lambda uow: process_definitions.dto(process_definitions.by_key(uow, key))
    )


def get_process_definition_bpmn20_xml_by_key(key: str) -> dict[str, Any]:
    return database().read(
        lambda uow: process_definitions.xml(uow, process_definitions.by_key(uow, key))
    )


def start_process_instance(id_: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    dto = runtime.start_request(body or {})
    return _linked_instance(
        database().write(lambda uow: runtime.start(uow, process_definitions.by_id(uow, id_), dto))
    )


def start_process_instance_by_key(key: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    dto = runtime.start_request(body or {})
    return _linked_instance(
        database().write(lambda uow: runtime.start(uow, process_definitions.by_key(uow, key), dto))
    )


def _linked_instance(instance: dict[str, Any]) -> dict[str, Any]:
    """ProcessDefinitionResourceImpl.startProcessInstance: a self link to the instance."""
    return with_self_link(instance, f"/process-instance/{instance['id']}")


def get_start_form(id_: str) -> dict[str, Any]:
    return database().read(lambda uow: start_forms.start_form_of(uow, id_))


def get_start_form_by_key(key: str) -> dict[str, Any]:
    return database().read(
        lambda uow: start_forms.start_form(uow, process_definitions.by_key(uow, key))
    )


def get_start_form_variables(
    id_: str, variable_names: str | None = None, deserialize_values: bool = True
) -> dict[str, Any]:
    """``deserializeValues`` changes nothing: form fields hold no serialized objects."""
    names = _names(variable_names)
    return database().read(lambda uow: start_forms.start_form_variables_of(uow, id_, names))


def get_start_form_variables_by_key(
    key: str, variable_names: str | None = None, deserialize_values: bool = True
) -> dict[str, Any]:
    names = _names(variable_names)
    return database().read(
        lambda uow: start_forms.start_form_variables(
            uow, process_definitions.by_key(uow, key), names
        )
    )


def _names(variable_names: str | None) -> list[str] | None:
    return variable_names.split(",") if variable_names is not None else None


def submit_form(id_: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return _linked_instance(
        database().write(
            lambda uow: generated_forms.submit_start_form(
                uow, process_definitions.by_id(uow, id_), body or {}
            )
        )
    )


def submit_form_by_key(key: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    return _linked_instance(
        database().write(
            lambda uow: generated_forms.submit_start_form(
                uow, process_definitions.by_key(uow, key), body or {}
            )
        )
    )
