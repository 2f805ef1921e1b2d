"""Input/output mappings (:mod:`.io_mappings`) run where Camunda runs them, during one
step of a process instance.

Camunda makes an activity with a mapping a scope (``BpmnParse.parseActivityInputOutput``):

- its **inputs** are evaluated in the scope around it and set as local variables of the
  activity's own execution (``InputParameter``: ``setVariableLocal``), when a token
  enters it: a user task gets an execution of its own below the token's, an external
  task already has one, a sub-process has its scope execution;
- its **outputs** are evaluated in the activity's execution and set from the scope around
  it (``OutputParameter``: ``setVariable``: where the variable is visible, else in the
  process instance), one after the other, when it ends (``ExecutionEntity.destroy``);
  then the execution goes, with its local variables.

Sub-processes begin and end inside SpiffWorkflow's step, where conditions are evaluated:
a sub-process that begins in the step has no execution yet, so its inputs wait here
(:meth:`ActivityScopes.read_for_conditions` sees them) until the step writes its scope
execution (:meth:`ActivityScopes.enter_scope`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from taskvars.engine.executions import ExecutionState, Token
from taskvars.engine.expressions import ExecutionView, ExpressionError
from taskvars.engine.io_mappings import IoMapping, Parameter, evaluate
from taskvars.engine.tree import EXTERNAL_TASK_KINDS, SCOPE_MARK, NodeKind
from taskvars.engine.variable_reader import ExecutionReader
from taskvars.errors import ModelRunError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef
from taskvars.services import variables
from taskvars.services.task_defaults import new_id
from taskvars.services.typed_values import plain_value, value_from_dto, value_to_dto

# Kinds whose own execution is an external task's, or a stood-in code task's.
_CODE_OR_EXTERNAL = EXTERNAL_TASK_KINDS | {NodeKind.SCRIPT_TASK}
# A new sub-process's local variables, before its scope execution is written.
Pending = dict[str, NewValue]


class ActivityScopes:
    """The mappings of one step; the runtime's :class:`.adapter.ActivityListener`."""

    def __init__(
        self,
        uow: UnitOfWork,
        mappings: Mapping[str, IoMapping],
        reader: ExecutionReader,
        state: Callable[[], ExecutionState],
        instance_pk: int,
        definition: ProcessDefinitionRecord | None = None,
    ) -> None:
        self._uow = uow
        self._definition = definition
        self._mappings = mappings
        self._reader = reader
        self._state = state
        self._instance_pk = instance_pk
        # By sub-process task id: the sub-processes begun in this step.
        self._pending: dict[str, Pending] = {}

    def mapped(self, element_id: str | None) -> bool:
        return element_id is not None and element_id in self._mappings

    # Tasks (from the behaviours)

    def open_task_scope(self, token: Token, execution_id: str | None = None) -> ScopeRef | None:
        """A user task with a mapping: its own execution below the token's (a new id, or
        ``execution_id``), with the inputs on it; ``None`` for a task without one."""
        if not self.mapped(token.element_id):
            return None
        parent_pk = self._reader.pk(token.execution_id)
        if parent_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a task has no row")
        execution_id = execution_id or new_id()
        pk = self._uow.store.process_instances.add_execution(
            execution_id, parent_pk, instance_pk=self._instance_pk
        )
        scope = ScopeRef(pk, ScopeKind.EXECUTION, execution_id)
        self.write_inputs(token, scope)
        return scope

    def write_inputs(self, token: Token, scope: ScopeRef) -> None:
        """The inputs of the activity of ``token``, evaluated from the token's execution,
        set on ``scope`` (the activity's own execution, made in this step)."""
        mapping = self._mappings.get(token.element_id or "")
        if mapping is None:
            return
        outer = _Place(self._uow, [], self._reader.chain(token.execution_id))
        values = _inputs(mapping, outer, self._execution(outer, mapping))
        variables.write_values(self._uow, [scope, *outer.stored], values, local=True)

    def open_code_scope(self, token: Token) -> ScopeRef | None:
        """A code task with a mapping whose stand-in runs it in this step (``set``,
        ``bpmn-error``): its own execution, named by its task, with the inputs on it."""
        return self.open_task_scope(token, token.task_id)

    def task_scope_pk(self, token: Token) -> int | None:
        """The execution of a user task with a mapping (the task's parent scope)."""
        if not self.mapped(token.element_id):
            return None
        chain = self._uow.store.scopes.chain(IdSpace.TASK, token.task_id)
        return chain[1].pk if len(chain) > 1 else None

    # Sub-processes

    def enter_scope(self, token: Token) -> None:
        """A sub-process entered in this step: its inputs go to its scope execution."""
        values = self._pending.pop(token.task_id, None)
        scope_id = self._state().scopes.get(token.task_id)
        if not values or scope_id is None:
            return
        variables.write_values(self._uow, self._reader.chain(scope_id), values, local=True)

    # The adapter's ActivityListener

    def scope_started(self, task_id: str, element_id: str, ancestry: Sequence[str]) -> None:
        mapping = self._mappings.get(element_id)
        if mapping is not None:
            outer = self._place(ancestry)
            self._pending[task_id] = _inputs(mapping, outer, self._execution(outer, mapping))

    def activity_ending(self, task_id: str, element_id: str, ancestry: Sequence[str]) -> None:
        mapping = self._mappings.get(element_id)
        if mapping is None or not mapping.outputs:
            return
        inner = self._inner(task_id, ancestry)
        outer = inner.outer()
        execution = self._execution(inner, mapping)
        for parameter in mapping.outputs:
            outer.set(parameter.name, _value(mapping, parameter, inner, execution))

    def read_for_conditions(
        self, ancestry: Sequence[str], names: frozenset[str]
    ) -> dict[str, Any] | None:
        """What a condition at ``ancestry`` reads when a sub-process begun in this step
        holds variables not written yet; ``None`` when none does (read as usual)."""
        overlays = self._overlays(ancestry)
        if not overlays:
            return None
        found: dict[str, Any] = {}
        for overlay in overlays:
            for name in names - found.keys():
                if name in overlay:
                    value = overlay[name]
                    found[name] = plain_value(value.type, value.text_value)
        rest = frozenset(names - found.keys())
        if rest:
            state = self._state()
            found.update(self._reader.read(state.reading_from(ancestry), rest))
        return found

    def _inner(self, task_id: str, ancestry: Sequence[str]) -> _Place:
        """Where an ending activity's outputs are evaluated: its own execution."""
        state = self._state()
        store = self._uow.store
        token = state.tokens.get(task_id)
        if token is not None and token.kind is NodeKind.USER_TASK:
            return _Place(self._uow, [], store.scopes.chain(IdSpace.TASK, task_id)[1:])
        if token is not None and token.kind in _CODE_OR_EXTERNAL:
            task = store.external_tasks.get(task_id)
            # No external task: a stood-in code task's own execution, named by the task.
            execution_id = task_id if task is None else task.execution_id
            return _Place(self._uow, [], store.scopes.chain(IdSpace.EXECUTION, execution_id))
        scope_id = state.scopes.get(task_id)
        if scope_id is not None:  # a sub-process that ran before this step
            return _Place(self._uow, [], self._reader.chain(scope_id))
        own = self._pending.get(task_id, {})
        return _Place(
            self._uow,
            [own, *self._overlays(ancestry)],
            self._reader.chain(state.reading_from(ancestry)),
        )

    def _place(self, ancestry: Sequence[str]) -> _Place:
        state = self._state()
        return _Place(
            self._uow, self._overlays(ancestry), self._reader.chain(state.reading_from(ancestry))
        )

    def _execution(self, place: _Place, mapping: IoMapping) -> ExecutionView:
        """``execution`` in a mapping's expressions: the nearest stored execution of
        ``place`` (a sub-process begun in this step has no row yet), at the activity."""
        instance_id = self._state().instance_id
        definition = self._definition
        return ExecutionView(
            id=place.stored[0].external_id if place.stored else instance_id,
            process_instance_id=instance_id,
            process_definition_id=None if definition is None else definition.id,
            activity_id=mapping.element_id,
            tenant_id=None if definition is None else definition.tenant_id,
            business_key=lambda: self._uow.store.process_instances.business_key(self._instance_pk),
            read=place.plain,
            read_local=lambda name: _Place(self._uow, place.overlays[:1], place.stored[:1]).plain(
                name
            ),
        )

    def _overlays(self, ancestry: Sequence[str]) -> list[Pending]:
        return [
            self._pending[entry.removeprefix(SCOPE_MARK)]
            for entry in ancestry
            if entry.startswith(SCOPE_MARK) and entry.removeprefix(SCOPE_MARK) in self._pending
        ]


@dataclass
class _Place:
    """Variables as seen from one scope: the pending scopes of new sub-processes (nearest
    first; always nearer than any stored one), then the stored chain."""

    uow: UnitOfWork
    overlays: list[Pending]
    stored: list[ScopeRef]

    def read(self, name: str) -> NewValue:
        for overlay in self.overlays:
            if name in overlay:
                return overlay[name]
        found = self.uow.store.variables.visible_named(self.stored, frozenset({name}))
        if name not in found:
            raise KeyError(name)
        stored = found[name]
        if stored.type in variables.BINARY_TYPES:
            raise ExpressionError(
                f"the {stored.type} variable '{name}' cannot be used in an expression"
            )
        return value_from_dto(value_to_dto(stored, deserialize=False))

    def plain(self, name: str) -> Any:
        value = self.read(name)
        return plain_value(value.type, value.text_value)

    def set(self, name: str, value: NewValue) -> None:
        """Camunda's ``setVariable``: where it is visible, else the process instance."""
        for overlay in self.overlays:
            if name in overlay:
                overlay[name] = value
                return
        variables.write_values(self.uow, self.stored, {name: value}, local=False)

    def outer(self) -> _Place:
        if self.overlays:
            return _Place(self.uow, self.overlays[1:], self.stored)
        return _Place(self.uow, [], self.stored[1:])


def _inputs(mapping: IoMapping, outer: _Place, execution: ExecutionView) -> Pending:
    return {
        parameter.name: _value(mapping, parameter, outer, execution) for parameter in mapping.inputs
    }


def _value(
    mapping: IoMapping, parameter: Parameter, place: _Place, execution: ExecutionView
) -> NewValue:
    try:
        return evaluate(parameter.source, place.read, execution)
    except ExpressionError as error:
        raise ModelRunError(f"{mapping.element_id}: {parameter.name}: {error}") from None
