"""A process definition's start form: its key or Camunda Form reference
(``ProcessDefinitionResourceImpl.getStartForm``, ``DefaultStartFormHandler``) and the
variables its generated fields start with (``GetStartFormVariablesCmd``,
``FormFieldHandler.createFormField`` and the ``FormTypes``' conversions)."""

from __future__ import annotations

from typing import Any

from taskvars.engine import runtime
from taskvars.engine.forms import FormDeclaration
from taskvars.errors import EngineNotFoundError, InvalidRequestError, ModelRunError, NullValueError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services import generated_forms


def form_dto(key: str | None, form_ref: dict[str, Any] | None) -> dict[str, Any]:
    """``FormDto``. ``contextPath`` is a process application's; no deployment here is one."""
    return {"key": key, "camundaFormRef": form_ref, "contextPath": None}


def form_ref_dto(key: str, binding: str, version: str | None) -> dict[str, Any]:
    """``CamundaFormRef``: the version only with the ``version`` binding."""
    number = None
    if binding == "version" and version is not None:
        try:
            number = int(version)
        except ValueError:
            raise ModelRunError(f"camunda:formRefVersion '{version}' is not a number") from None
    return {"key": key, "binding": binding, "version": number}


def start_form_of(uow: UnitOfWork, definition_id: str) -> dict[str, Any]:
    """By id: Camunda reads no definition before the engine's command, whose failure it
    reports as this 400."""
    definition = uow.store.definitions.get(definition_id)
    if definition is None:
        raise InvalidRequestError(
            f"Cannot get start form data for process definition {definition_id}"
        )
    return start_form(uow, definition)


def start_form_variables_of(
    uow: UnitOfWork, definition_id: str, names: list[str] | None
) -> dict[str, Any]:
    """By id: the deployment cache's NotFoundException (ProcessDefinitionCache)."""
    definition = uow.store.definitions.get(definition_id)
    if definition is None:
        raise EngineNotFoundError(
            f"no deployed process definition found with id '{definition_id}': "
            "processDefinition is null"
        )
    return start_form_variables(uow, definition, names)


def start_form(uow: UnitOfWork, definition: ProcessDefinitionRecord) -> dict[str, Any]:
    """The start event's form key (its expression's text, not evaluated), else its
    Camunda Form reference; a form of fields alone gets the engine's rendered form."""
    form = runtime.definition_model(uow, definition).start_form
    if form is None:  # no single none start event: Camunda has no start form handler
        raise InvalidRequestError(
            f"Cannot get start form data for process definition {definition.id}"
        )
    ref = form.form_ref
    key = form.form_key
    if key is None and ref is None and form.fields:
        key = f"embedded:engine://engine/:engine/process-definition/{definition.id}/rendered-form"
    return form_dto(key, None if ref is None else form_ref_dto(ref.key, ref.binding, ref.version))


def start_form_variables(
    uow: UnitOfWork, definition: ProcessDefinitionRecord, names: list[str] | None
) -> dict[str, Any]:
    """``VariableValueDto``s of the start form's fields, by field id, with their default
    values in the field's type (evaluated over no variables: there is no instance yet);
    only those of ``names`` if given. Without fields: ``{}``."""
    form = _declared_form(uow, definition)
    return generated_forms.field_values(uow, [], form, names)


def _declared_form(uow: UnitOfWork, definition: ProcessDefinitionRecord) -> FormDeclaration:
    form = runtime.definition_model(uow, definition).start_form
    if form is None:
        raise NullValueError(
            f"No startFormHandler defined in process '{definition.id}': startFormHandler is null"
        )
    return form
