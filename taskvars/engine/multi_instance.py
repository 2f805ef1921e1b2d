"""Multi-instance bodies in a run: the answers a body asks for while SpiffWorkflow runs
it (:class:`StepLoops`, a :class:`.loops.LoopEvaluator`) and the variables Camunda keeps
on the executions (:func:`write_loop_variables`), from the step's mapping.

Where Camunda puts them (``ParallelMultiInstanceActivityBehavior``,
``SequentialMultiInstanceActivityBehavior``):

- ``nrOfInstances``, ``nrOfActiveInstances``, ``nrOfCompletedInstances`` on the body's
  scope execution, updated as instances end; they go with it when the body ends;
- ``loopCounter`` and the element variable on the instance's execution: a concurrent
  execution below the body's (parallel), or the body's own execution (sequential, where
  each instance overwrites the last one's).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from taskvars.engine.executions import ExecutionState, StepChanges
from taskvars.engine.expressions import ExecutionView, ExpressionError, compile_expression
from taskvars.engine.loops import BODY_SUFFIX, LOOP_COUNTER, LoopCharacteristics, LoopCounters
from taskvars.engine.tree import NodeKind, RunSnapshot
from taskvars.engine.variable_reader import ExecutionReader
from taskvars.errors import ModelRunError
from taskvars.persistence.models import ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef
from taskvars.services import variables
from taskvars.services.typed_values import plain_value

_JSON = "application/json"
# ``execution`` for a body's expression, evaluated in an execution at an activity (as
# Camunda evaluates them against the execution: ``getValue(execution)``).
ExecutionOf = Callable[[str, str | None], ExecutionView]


class LoopEvaluationError(ExpressionError):
    """A body's size, collection or completion condition cannot be evaluated."""


class StepLoops:
    """What a step's bodies ask of the variables, read from the execution a task sees
    (the executions as they stood before the step)."""

    def __init__(
        self,
        uow: UnitOfWork,
        reader: ExecutionReader,
        state: Callable[[], ExecutionState],
        execution_of: ExecutionOf | None = None,
    ) -> None:
        self._uow = uow
        self._reader = reader
        self._state = state
        self._execution_of = execution_of

    def _execution(self, execution_id: str, activity_id: str) -> ExecutionView | None:
        return None if self._execution_of is None else self._execution_of(execution_id, activity_id)

    def size(self, ancestry: Sequence[str], loop: LoopCharacteristics) -> int:
        execution_id = self._state().reading_from(ancestry)
        execution = self._execution(execution_id, body_id(loop))
        if loop.cardinality is not None:
            return _cardinality(loop.cardinality, self._reader.one(execution_id), execution)
        return len(collection_of(self._uow, self._reader, execution_id, loop, execution))

    def completed(
        self, ancestry: Sequence[str], loop: LoopCharacteristics, counters: LoopCounters
    ) -> bool:
        source = loop.completion_condition or ""
        expression = compile_expression(source)
        # The counters as they are once the instance ended: the store has the step's
        # earlier values until the step is mapped.
        known = counters.variables()
        names = expression.names - known.keys()
        execution_id = self._state().reading_from(ancestry)
        values = {**(self._reader.read(execution_id, names) if names else {}), **known}
        execution = self._execution(execution_id, loop.element_id)
        value = expression.evaluate(values.__getitem__, execution=execution)
        # MultiInstanceActivityBehavior.completionConditionSatisfied: a boolean only.
        if not isinstance(value, bool):
            raise LoopEvaluationError(
                "ENGINE-02028 Could not resolve expression of type 'completionCondition'. "
                f"Expression '{source}' needs to evaluate to a boolean value."
            )
        return value


def _cardinality(
    source: str, resolve: Callable[[str], Any], execution: ExecutionView | None = None
) -> int:
    """``resolveLoopCardinality``: a number, or a string holding one."""
    value = compile_expression(source).evaluate(resolve, execution=execution)
    if isinstance(value, bool):
        value = None
    if isinstance(value, int | float | Decimal):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise LoopEvaluationError(
        "ENGINE-02027 Could not resolve expression of type 'loopCardinality'. "
        f"Expression '{source}' needs to be a number or number String."
    )


def collection_of(
    uow: UnitOfWork,
    reader: ExecutionReader,
    execution_id: str,
    loop: LoopCharacteristics,
    execution: ExecutionView | None = None,
) -> list[Any]:
    """The body's collection as seen from ``execution_id``. A variable must hold a
    collection: a serialized ``Object`` that is a JSON array (a ``java.util.List``);
    a ``Json`` value is Spin's node, not a ``java.util.Collection``, as Camunda refuses it.
    An expression may give any JSON array."""
    source = loop.collection or ""
    if "{" in source:  # BpmnParse: an expression, else a variable's name
        value = compile_expression(source).evaluate(reader.one(execution_id), execution=execution)
        if not isinstance(value, list):
            raise LoopEvaluationError(
                f"ENGINE-02024 Expression '{source}' didn't resolve to type 'Collection'."
            )
        return value
    chain = reader.chain(execution_id)
    stored = uow.store.variables.visible_named(chain, frozenset({source})).get(source)
    value = plain_value(stored.type, stored.text_value) if stored is not None else None
    if stored is None or stored.type != "Object" or not isinstance(value, list):
        raise LoopEvaluationError(
            f"ENGINE-02025 Variable '{source}' is not of the expected type 'Collection'."
        )
    return value


def write_loop_variables(
    uow: UnitOfWork,
    reader: ExecutionReader,
    state: ExecutionState,
    snapshot: RunSnapshot,
    changes: StepChanges,
    completed: Sequence[str],
    loops: dict[str, LoopCharacteristics],
    execution_of: ExecutionOf | None = None,
) -> None:
    """After the step's executions are made and before its waits are entered (a task's
    assignee may name the element variable): the counters of each body entered or with
    an instance ended in the step, then each new instance's ``loopCounter`` and element
    variable."""
    ended = set(completed) | {token.task_id for token, _ in changes.left}
    entered = {token.task_id for token in changes.entered}
    for tree in snapshot.workflows.values():
        for node in tree.tasks.values():
            if node.kind is not NodeKind.MULTI_INSTANCE_BODY or node.loop is None:
                continue
            scope = state.scopes.get(node.id)
            if scope is None:
                continue
            instances = [
                child.id
                for child in tree.tasks.values()
                if child.parent_id == node.id and child.loop_counter is not None
            ]
            if node.id in entered or ended.intersection(instances):
                _write(uow, reader, scope, _integers(node.loop.variables()))
    for token in changes.entered:
        found = snapshot.node(token.task_id)
        if found is None or found.loop_counter is None or found.parent_id is None:
            continue
        body = snapshot.node(found.parent_id)
        loop = loops.get(token.element_id or "")
        if body is None or loop is None:
            continue
        values: dict[str, Any] = {LOOP_COUNTER: _integer(found.loop_counter)}
        if loop.collection is not None and loop.element_variable is not None:
            # Read from the body's execution (evaluateCollection), again for each instance.
            scope = state.scopes[body.id]
            execution = None if execution_of is None else execution_of(scope, body_id(loop))
            collection = collection_of(uow, reader, scope, loop, execution)
            if found.loop_counter >= len(collection):
                raise ModelRunError(
                    f"the collection of {loop.element_id} has no element {found.loop_counter}"
                )
            values[loop.element_variable] = _typed(collection[found.loop_counter])
        _write(uow, reader, token.execution_id, variables.convert_values(values))


def body_id(loop: LoopCharacteristics) -> str:
    """The activity id of the element's multi-instance body (Camunda's)."""
    return loop.element_id + BODY_SUFFIX


def _write(uow: UnitOfWork, reader: ExecutionReader, execution_id: str, values: Any) -> None:
    pk = reader.pk(execution_id)
    if pk is None:
        raise RuntimeError(f"the execution {execution_id} of a multi-instance body has no row")
    chain = [ScopeRef(pk, ScopeKind.EXECUTION, execution_id)]
    variables.write_values(uow, chain, values, local=True)


def _integer(value: int) -> dict[str, Any]:
    return {"value": value, "type": "Integer"}


def _integers(values: dict[str, int]) -> Any:
    return variables.convert_values({name: _integer(value) for name, value in values.items()})


def _typed(value: Any) -> dict[str, Any]:
    """An element of a collection as the variable Camunda would set from the Java value."""
    if value is None:
        return {"value": None, "type": "Null"}
    if isinstance(value, bool):
        return {"value": value, "type": "Boolean"}
    if isinstance(value, int):
        kind = "Integer" if -(2**31) <= value < 2**31 else "Long"
        return {"value": value, "type": kind}
    if isinstance(value, float):
        return {"value": value, "type": "Double"}
    if isinstance(value, str):
        return {"value": value, "type": "String"}
    type_name = "java.util.LinkedHashMap" if isinstance(value, dict) else "java.util.ArrayList"
    return {
        "value": json.dumps(value),
        "type": "Object",
        "valueInfo": {"objectTypeName": type_name, "serializationDataFormat": _JSON},
    }
