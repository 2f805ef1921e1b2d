"""Variables as a run's conditions and task attributes read them: by name, from one
execution of the process instance and its ancestors, in one query; never a binary value's
content (naming one in an expression is an error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from taskvars.engine.executions import ExecutionState
from taskvars.engine.expressions import ExpressionError
from taskvars.persistence.models import ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef
from taskvars.services.typed_values import plain_value

_BINARY_TYPES = frozenset({"Bytes", "File"})


class ExecutionReader:
    """Reads the variables visible from an execution of one process instance. The
    executions' rows are looked up once per step, and kept up to date by the step
    (:meth:`remember`, :meth:`forget`)."""

    def __init__(self, uow: UnitOfWork, instance_pk: int, state: Callable[[], ExecutionState]):
        self._uow = uow
        self._instance_pk = instance_pk
        self._state = state
        self._pks: dict[str, int] | None = None

    def pk(self, execution_id: str) -> int | None:
        state = self._state()
        if execution_id == state.instance_id:
            return self._instance_pk
        if self._pks is None:
            self._pks = self._uow.store.process_runs.executions(self._instance_pk)
        return self._pks.get(execution_id)

    def remember(self, execution_id: str, pk: int) -> None:
        if self._pks is not None:
            self._pks[execution_id] = pk

    def forget(self, execution_id: str) -> None:
        if self._pks is not None:
            self._pks.pop(execution_id, None)

    def chain(self, execution_id: str) -> list[ScopeRef]:
        """The scopes whose variables the execution sees, nearest first; an execution
        without a row yet (made in this step) sees what its nearest stored ancestor sees."""
        state = self._state()
        chain = []
        for ancestor in state.path(execution_id):
            pk = self.pk(ancestor)
            if pk is None:
                continue
            kind = (
                ScopeKind.PROCESS_INSTANCE if ancestor == state.instance_id else ScopeKind.EXECUTION
            )
            chain.append(ScopeRef(pk, kind, ancestor))
        return chain

    def read(self, execution_id: str, names: frozenset[str]) -> dict[str, Any]:
        return visible_values(self._uow, self.chain(execution_id), names)

    def one(self, execution_id: str) -> Callable[[str], Any]:
        """``name -> value`` from the execution; KeyError for a name nobody set."""

        def read_one(name: str) -> Any:
            return self.read(execution_id, frozenset({name}))[name]

        return read_one


def visible_values(uow: UnitOfWork, chain: list[ScopeRef], names: frozenset[str]) -> dict[str, Any]:
    """The values of ``names`` visible from ``chain`` (nearest scope first), as
    expressions read them; a name no scope holds is left out."""
    values = {}
    for name, stored in uow.store.variables.visible_named(chain, names).items():
        if stored.type in _BINARY_TYPES:
            raise ExpressionError(
                f"the {stored.type} variable '{name}' cannot be used in an expression"
            )
        values[name] = plain_value(stored.type, stored.text_value)
    return values


def reader_of(uow: UnitOfWork, chain: list[ScopeRef]) -> Callable[[str], Any]:
    """``name -> value`` visible from ``chain``; KeyError for a name nobody set."""

    def read_one(name: str) -> Any:
        return visible_values(uow, chain, frozenset({name}))[name]

    return read_one
