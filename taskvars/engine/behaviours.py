"""What each kind of wait writes when a token enters it and removes when the token
leaves: one behaviour per kind, looked up by the element's kind (Camunda's
``*ActivityBehavior``: ``execute`` inserts the wait's row, ``signal`` leaves it).

A user task becomes a task row (and a historic task instance); a running sub-process
has no row of its own (its scope execution is the mapping's). The kinds added later
(external tasks, timers, messages, call activities) are new behaviours here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from taskvars.engine.executions import Token, activity_instance_id
from taskvars.engine.tree import NodeKind
from taskvars.engine.user_tasks import UserTaskModel, task_attributes
from taskvars.engine.variable_reader import ExecutionReader
from taskvars.errors import ModelRunError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.models import IdSpace
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.services.dates import now_millis

# Camunda's deleteReason of a historic task completed, or removed with its scope.
COMPLETED = "completed"
DELETED = "deleted"


@dataclass
class StepContext:
    """What the behaviours of one step act on."""

    uow: UnitOfWork
    instance_pk: int
    instance_id: str
    definition: ProcessDefinitionRecord
    user_tasks: Mapping[str, UserTaskModel]
    reader: ExecutionReader
    # The historic deleteReason of tasks left without being completed: the instance was
    # deleted (by someone, or with its deployment).
    delete_reason: str = DELETED


class Behaviour(Protocol):
    def enter(self, step: StepContext, token: Token) -> None: ...

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None: ...

    def move(self, step: StepContext, token: Token) -> None: ...


class UserTaskBehaviour:
    def enter(self, step: StepContext, token: Token) -> None:
        model = step.user_tasks.get(token.element_id or "")
        if model is None:  # the model check lets no other manual task through
            raise ModelRunError(f"{token.element_id} is not a user task this server runs")
        store = step.uow.store
        attributes, candidates = task_attributes(model, step.reader.one(token.execution_id))
        attributes["process_definition_id"] = step.definition.id
        attributes["tenant_id"] = step.definition.tenant_id
        execution_pk = step.reader.pk(token.execution_id)
        if execution_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a task has no row")
        task_pk = store.tasks.add(
            token.task_id, execution_pk, attributes, instance_pk=step.instance_pk
        )
        store.tasks.add_new_identity_links(task_pk, candidates)
        store.history.task_started(
            step.instance_id,
            token.task_id,
            token.execution_id,
            activity_instance_id(model.element_id, token.task_id),
            attributes,
        )

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        store = step.uow.store
        reason = COMPLETED if completed else step.delete_reason
        found = store.tasks.as_it_ends(token.task_id)
        task_pk, attributes = found if found is not None else (None, None)
        store.history.task_ended(token.task_id, reason, now_millis(), attributes)
        if task_pk is not None:
            store.scopes.delete_tree(task_pk)

    def move(self, step: StepContext, token: Token) -> None:
        """The task follows its token into another execution (Camunda's ``moveTasksTo``
        when a concurrent execution is compacted into its scope)."""
        store = step.uow.store
        task_pk = store.scopes.pk(IdSpace.TASK, token.task_id)
        execution_pk = step.reader.pk(token.execution_id)
        if task_pk is not None and execution_pk is not None:
            store.scopes.reparent(task_pk, execution_pk)
        store.history.task_moved(token.task_id, token.execution_id)


class ScopeBehaviour:
    """A running sub-process: its scope execution is all it has."""

    def enter(self, step: StepContext, token: Token) -> None:
        return None

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        return None

    def move(self, step: StepContext, token: Token) -> None:
        return None


BEHAVIOURS: Mapping[NodeKind, Behaviour] = {
    NodeKind.USER_TASK: UserTaskBehaviour(),
    NodeKind.SUB_PROCESS: ScopeBehaviour(),
}


def behaviour_of(kind: NodeKind) -> Behaviour:
    found = BEHAVIOURS.get(kind)
    if found is None:
        raise ModelRunError(f"a {kind.value} cannot wait in this server")
    return found
