"""A process definition's start form: its key or Camunda Form reference
(``ProcessDefinitionResourceImpl.getStartForm``, ``DefaultStartFormHandler``) and the
variables its generated fields start with (``GetStartFormVariablesCmd``,
``FormFieldHandler.createFormField`` and the ``FormTypes``' conversions)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from taskvars.engine import runtime
from taskvars.engine.expressions import ExpressionError, as_text, compile_expression
from taskvars.engine.forms import FormDeclaration, FormField, format_date, parse_date
from taskvars.errors import EngineNotFoundError, InvalidRequestError, ModelRunError, NullValueError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork


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
    values in the field's type; only those of ``names`` if given. Without fields: ``{}``."""
    form = _declared_form(uow, definition)
    return {
        field.id: _initial_value(field)
        for field in form.fields
        if names is None or field.id in names
    }


def _declared_form(uow: UnitOfWork, definition: ProcessDefinitionRecord) -> FormDeclaration:
    form = runtime.definition_model(uow, definition).start_form
    if form is None:
        raise NullValueError(
            f"No startFormHandler defined in process '{definition.id}': startFormHandler is null"
        )
    return form


def _initial_value(field: FormField) -> dict[str, Any]:
    """The default value (its expression evaluated over no variables: there is no
    instance yet), converted to the field's model type and then to its form type."""
    default = None
    if field.default is not None:
        try:
            default = compile_expression(field.default).evaluate(_no_variables)
        except ExpressionError as error:
            raise ModelRunError(f"form field {field.id}: {error}") from None
    value_type, value = _form_value(field, default)
    return {"type": value_type, "value": value, "valueInfo": {}}


def _form_value(field: FormField, default: Any) -> tuple[str, Any]:
    if field.type == "long":
        if default is None:
            return "Long", None
        return "Long", _java_long(field.id, default)
    if field.type == "boolean":
        return "Boolean", None if default is None else _text(default).lower() == "true"
    if field.type == "date":
        # DateFormType's form value is the date written with its pattern ("" for none).
        if default is None or _text(default).strip() == "":
            return "String", ""
        if isinstance(default, datetime):
            return "String", format_date(default, field.date_pattern)
        try:
            parsed = parse_date(_text(default), field.date_pattern)
        except ValueError:
            raise ModelRunError(
                f"Could not parse value '{_text(default)}' as date using date format "
                f"'{field.date_pattern}'."
            ) from None
        return "String", format_date(parsed, field.date_pattern)
    if field.type == "enum" and default is not None and _text(default) not in field.enum_values:
        raise ModelRunError(f"Invalid value for enum form property: {_text(default)}")
    return "String", None if default is None else _text(default)


def _java_long(field_id: str, value: Any) -> int:
    """``Long.valueOf(value.toString())``."""
    text = _text(value)
    try:
        number = int(text) if text.strip() == text and "_" not in text else None
    except ValueError:
        number = None
    if number is None or not -(2**63) <= number < 2**63:
        raise ModelRunError(f"form field {field_id}: Value '{text}' is not of type Long.")
    return number


def _text(value: Any) -> str:
    return as_text(value) or ""


def _no_variables(name: str) -> Any:
    raise KeyError(name)
