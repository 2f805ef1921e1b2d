"""Generated forms (``camunda:formData``) of user tasks and start events, read and
submitted as Camunda's FormService does: ``GetTaskFormVariablesCmd`` /
``GetStartFormVariablesCmd`` (each field with its value in the field's form type),
``SubmitTaskFormCmd`` / ``SubmitStartFormCmd`` through
``DefaultFormHandler.submitFormVariables`` (each field validated, converted to its type
and written; the other submitted variables written as they are).

Conversions and validation: :mod:`taskvars.engine.form_values`."""

from __future__ import annotations

from typing import Any

from taskvars.engine import runtime
from taskvars.engine.form_values import (
    SubmitContext,
    Typed,
    default_value,
    form_value,
    to_model,
    validate,
)
from taskvars.engine.forms import FormDeclaration, FormField
from taskvars.engine.variable_reader import reader_of
from taskvars.errors import ApiError, InvalidValueError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef, StoredValue, TaskRecord
from taskvars.services import variables
from taskvars.services.dates import format_date, parse_date
from taskvars.services.typed_values import (
    ValueConversionError,
    is_transient,
    plain_value,
    value_from_dto,
)


def task_form(uow: UnitOfWork, task: TaskRecord) -> FormDeclaration | None:
    """The generated form of a model's user task; ``None`` for a task without fields."""
    if task.process_definition_id is None or task.task_definition_key is None:
        return None
    definition = uow.store.definitions.get(task.process_definition_id)
    if definition is None:
        return None
    model = runtime.definition_model(uow, definition)
    return model.task_forms.get(task.task_definition_key)


def field_values(
    uow: UnitOfWork, chain: list[ScopeRef], form: FormDeclaration, names: list[str] | None
) -> dict[str, Any]:
    """``{field id: VariableValueDto}``: each field's value as the form shows it, the
    variables and default expressions read from ``chain`` (the task's execution, or
    nothing for a start form)."""
    read = reader_of(uow, chain)
    wanted = [field for field in form.fields if names is None or field.id in names]
    current = _typed_variables(uow, chain, frozenset(field.id for field in wanted))
    shown = {}
    for field in wanted:
        default = None if field.id in current else default_value(field, read)
        value = form_value(field, current.get(field.id), default)
        shown[field.id] = {"type": value.type, "value": value.value, "valueInfo": {}}
    return shown


def write_submitted(
    uow: UnitOfWork,
    chain: list[ScopeRef],
    form: FormDeclaration,
    dtos: dict[str, Any] | None,
    *,
    local: bool,
) -> None:
    """Validate, convert and write each field's submitted value (or its default), then
    write the other submitted variables as they are; anything refused raises before the
    transaction commits, so nothing of it is stored."""
    submitted = {name: _submitted(dto) for name, dto in (dtos or {}).items()}
    read = reader_of(uow, chain)
    for field in form.fields:
        if field.id == form.business_key_field:
            continue  # written below as sent, as DefaultFormHandler leaves it
        sent = submitted.pop(field.id, None)
        value = None if sent is None else sent[0]
        validate(field, value, _context(uow, chain, field, read))
        if value is not None:
            model = to_model(field, value)
        elif field.default is not None:
            model = to_model(field, Typed(None, default_value(field, read)))
        else:
            continue
        if sent is None or not sent[1]:
            variables.write_values(uow, chain, {field.id: _new_value(model)}, local=local)
    others = {name: new for name, (_, transient, new) in submitted.items() if not transient}
    variables.write_values(uow, chain, others, local=local)


def submit_start_form(
    uow: UnitOfWork, definition: ProcessDefinitionRecord, body: dict[str, Any]
) -> dict[str, Any]:
    """Start an instance with the start form's submitted variables and ``businessKey``
    (``StartProcessInstanceDto``'s others are not a form's: Camunda ignores them)."""
    dto = {"variables": body.get("variables"), "businessKey": body.get("businessKey")}
    form = runtime.definition_model(uow, definition).start_form
    try:
        if form is None or not form.fields:
            return runtime.start(uow, definition, dto)

        def write(chain: list[ScopeRef]) -> None:
            write_submitted(uow, chain, form, dto["variables"], local=True)

        return runtime.start(uow, definition, dto, write_variables=write)
    except ApiError as error:
        # ProcessDefinitionResourceImpl.submitForm names the definition by its id, also
        # when it was found by key.
        if not error.prefixed:
            raise
        raise error.with_prefix(
            f"Cannot instantiate process definition {definition.id}: "
        ) from None


def _context(uow: UnitOfWork, chain: list[ScopeRef], field: FormField, read: Any) -> SubmitContext:
    return SubmitContext(
        visible=lambda: _typed_variables(uow, chain, frozenset({field.id})).get(field.id),
        default=lambda: default_value(field, read),
        read=read,
    )


def _submitted(dto: Any) -> tuple[Typed, bool, NewValue]:
    """A submitted ``VariableValueDto``: its typed value as the engine receives it,
    whether it is transient, and the value to store if nothing converts it. A value
    that does not convert to its own type is the REST layer's 400, before any field."""
    try:
        new = value_from_dto(dto)
    except ValueConversionError as error:
        raise InvalidValueError(str(error)) from None
    if dto.get("type") is None:
        return Typed(None, dto.get("value")), is_transient(dto), new
    return _typed(new.type, new.text_value), is_transient(dto), new


def _typed_variables(
    uow: UnitOfWork, chain: list[ScopeRef], names: frozenset[str]
) -> dict[str, Typed]:
    found = uow.store.variables.visible_named(chain, names)
    return {name: _typed_stored(stored) for name, stored in found.items()}


def _typed_stored(stored: StoredValue) -> Typed:
    return _typed(stored.type, stored.text_value)


def _typed(value_type: str, text: str | None) -> Typed:
    if value_type in ("Bytes", "File"):
        return Typed(value_type, BINARY)  # a value, whatever its content: no form's
    if text is None:
        return Typed(value_type, None)
    if value_type == "Date":
        return Typed("Date", parse_date(text))
    return Typed(value_type, plain_value(value_type, text))


BINARY = b"binary content"


def _new_value(model: Typed) -> NewValue:
    value = model.value
    if model.type == "Date" and value is not None:
        value = format_date(value)
    return value_from_dto({"type": model.type, "value": value})
