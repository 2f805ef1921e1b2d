"""A task's form: its key or Camunda Form reference (TaskResourceImpl.getForm,
GetTaskFormCmd, DefaultTaskFormHandler), and the form's variables and submission
(GetTaskFormVariablesCmd, SubmitTaskFormCmd); a generated form's fields come first
(:mod:`taskvars.services.generated_forms`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskvars.engine import runtime
from taskvars.engine.expression_context import stored_task_view
from taskvars.engine.expressions import ExpressionError, TaskView, as_text, compile_expression
from taskvars.engine.variable_reader import reader_of
from taskvars.errors import BadUserRequestError, ModelRunError, NullValueError, RestError
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeNotFoundError
from taskvars.services import generated_forms, variables
from taskvars.services.start_forms import form_dto, form_ref_dto
from taskvars.services.tasks import PENDING, RESOLVED, locked_task


def task_form(uow: UnitOfWork, task_id: str) -> dict[str, Any]:
    """``FormDto``: the model's ``camunda:formKey``, else its ``camunda:formRef``,
    evaluated now over the variables visible from the task (as GetTaskFormCmd does);
    all null for a task no model created. Any failure is Camunda's one 400."""
    task = uow.store.tasks.get(task_id)
    if task is None:
        raise RestError(f"Cannot get form for task {task_id}")
    if task.process_definition_id is None or task.task_definition_key is None:
        return form_dto(None, None)  # standalone: no TaskFormData
    definition = uow.store.definitions.get(task.process_definition_id)
    if definition is None:
        raise RestError(f"Cannot get form for task {task_id}")
    model = runtime.definition_model(uow, definition).user_tasks.get(task.task_definition_key)
    declared = model.attributes if model is not None else {}
    read = reader_of(uow, uow.store.scopes.chain(IdSpace.TASK, task_id))
    # Camunda evaluates these in the task's scope: `task` and `execution` are known.
    view = stored_task_view(uow, task)
    try:
        form = _declared_form(declared, read, view)
    except (ExpressionError, ModelRunError):
        raise RestError(f"Cannot get form for task {task_id}") from None
    if not form["key"] and generated_forms.task_form(uow, task) is not None:
        # TaskResourceImpl.getForm: generated fields without a key are the engine's form.
        form["key"] = f"embedded:engine://engine/:engine/task/{task_id}/rendered-form"
    return form


def _declared_form(
    declared: dict[str, str], read: Callable[[str], Any], task: TaskView
) -> dict[str, Any]:
    if "formKey" in declared:
        return form_dto(_text(declared["formKey"], read, task), None)
    ref_key = _text(declared.get("formRef"), read, task)
    if ref_key is None:
        return form_dto(None, None)
    version = _text(declared.get("formRefVersion"), read, task)
    return form_dto(None, form_ref_dto(ref_key, declared["formRefBinding"], version))


def _text(source: str | None, read: Callable[[str], Any], task: TaskView) -> str | None:
    if source is None:
        return None
    return as_text(compile_expression(source).evaluate(read, task=task))


def form_variables(
    uow: UnitOfWork, task_id: str, names: list[str] | None, *, deserialize: bool
) -> dict[str, Any]:
    """The variables a form shows: each generated form field's value in its type (read
    from the task's execution), then every other variable visible from the task, or
    only those of ``names`` (GetTaskFormVariablesCmd)."""
    try:
        chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    except ScopeNotFoundError:
        raise BadUserRequestError(f"Cannot find task with id '{task_id}'.: task is null") from None
    task = uow.store.tasks.get(task_id)
    form = None if task is None else generated_forms.task_form(uow, task)
    shown = {} if form is None else generated_forms.field_values(uow, chain[1:], form, names)
    visible = variables.variable_map(uow, chain, deserialize=deserialize)
    for name, value in visible.items():
        if name not in shown and (names is None or name in names):
            shown[name] = value
    return shown


def submit_form(
    uow: UnitOfWork,
    task_id: str,
    variable_dtos: dict[str, Any] | None,
    *,
    with_variables_in_return: bool,
) -> dict[str, Any] | None:
    """Write the variables (through the generated form's fields if the task has them),
    then complete the task, or resolve it if its delegation is pending
    (SubmitTaskFormCmd). Returns the variables visible from it, if asked for."""
    values = variables.convert_values(variable_dtos)
    task, task_pk = locked_task(uow, task_id, missing=NullValueError)
    form = generated_forms.task_form(uow, task)
    chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    resolving = task.delegation_state == PENDING
    # A model's run is claimed before anything is written: a race is a 409 at once.
    claimed = None if resolving else runtime.claim_for_task(uow, chain)
    if form is None:
        variables.write_values(uow, chain, values, local=False)
    else:
        generated_forms.write_submitted(uow, chain, form, variable_dtos, local=False)
    returned = None
    if with_variables_in_return:
        returned = variables.variable_map(uow, chain, deserialize=True)
    if resolving:
        uow.store.tasks.update(task_pk, {"assignee": task.owner, "delegation_state": RESOLVED})
    elif claimed is None:
        uow.store.scopes.delete_tree(task_pk)
    else:
        runtime.finish_task(uow, claimed, task_id)
    uow.commit()
    return returned
