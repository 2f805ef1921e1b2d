"""A task's form, as Camunda handles a task without deployed form fields
(GetTaskFormVariablesCmd, SubmitTaskFormCmd)."""

from __future__ import annotations

from typing import Any

from taskvars.engine import runtime
from taskvars.errors import BadUserRequestError, NullValueError
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeNotFoundError
from taskvars.services import variables
from taskvars.services.tasks import PENDING, RESOLVED, locked_task


def form_variables(
    uow: UnitOfWork, task_id: str, names: list[str] | None, *, deserialize: bool
) -> dict[str, Any]:
    """The variables a form without fields shows: every one visible from the task, or
    those of ``names`` (GetTaskFormVariablesCmd)."""
    try:
        chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    except ScopeNotFoundError:
        raise BadUserRequestError(f"Cannot find task with id '{task_id}'.: task is null") from None
    visible = variables.variable_map(uow, chain, deserialize=deserialize)
    if names is None:
        return visible
    return {name: value for name, value in visible.items() if name in names}


def submit_form(
    uow: UnitOfWork,
    task_id: str,
    variable_dtos: dict[str, Any] | None,
    *,
    with_variables_in_return: bool,
) -> dict[str, Any] | None:
    """Write the variables, then complete the task, or resolve it if its delegation is
    pending (SubmitTaskFormCmd). Returns the variables visible from it, if asked for."""
    values = variables.convert_values(variable_dtos)
    task, task_pk = locked_task(uow, task_id, missing=NullValueError)
    chain = uow.store.scopes.chain(IdSpace.TASK, task_id)
    resolving = task.delegation_state == PENDING
    # A model's run is claimed before anything is written: a race is a 409 at once.
    claimed = None if resolving else runtime.claim_for_task(uow, chain)
    variables.write_values(uow, chain, values, local=False)
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
