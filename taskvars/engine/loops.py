"""Multi-instance activities (``multiInstanceLoopCharacteristics``) as plain values: what
a model declares, where a running body stands, and the questions a run asks of the
variables while it runs one (:class:`LoopEvaluator`, answered by :mod:`.multi_instance`).

Camunda wraps the activity in a *multi-instance body* (``<id>#multiInstanceBody``,
activity type ``multiInstanceBody``: ``BpmnParse.parseMultiInstanceLoopCharacteristics``),
a scope whose execution holds ``nrOfInstances``, ``nrOfActiveInstances`` and
``nrOfCompletedInstances``; each inner instance runs with its own ``loopCounter`` (and
element variable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

# Camunda's MultiInstanceActivityBehavior: variable names, and the body's id suffix.
NUMBER_OF_INSTANCES = "nrOfInstances"
NUMBER_OF_ACTIVE_INSTANCES = "nrOfActiveInstances"
NUMBER_OF_COMPLETED_INSTANCES = "nrOfCompletedInstances"
LOOP_COUNTER = "loopCounter"
BODY_SUFFIX = "#multiInstanceBody"


def body_id(element_id: str) -> str:
    """The multi-instance body's activity id (``BpmnParse.getIdForMiBody``)."""
    return f"{element_id}{BODY_SUFFIX}"


@dataclass(frozen=True)
class LoopCharacteristics:
    """One element's ``multiInstanceLoopCharacteristics``, as the model declares them:
    ``collection`` is a variable name or an expression (it holds ``{``), as Camunda
    tells them apart."""

    element_id: str
    sequential: bool
    cardinality: str | None = None
    collection: str | None = None
    element_variable: str | None = None
    completion_condition: str | None = None


@dataclass(frozen=True)
class LoopCounters:
    """Where a running body stands: Camunda's ``nrOf*`` variables on its execution."""

    sequential: bool
    instances: int
    completed: int
    active: int

    def variables(self) -> dict[str, int]:
        return {
            NUMBER_OF_INSTANCES: self.instances,
            NUMBER_OF_ACTIVE_INSTANCES: self.active,
            NUMBER_OF_COMPLETED_INSTANCES: self.completed,
        }


class LoopEvaluator(Protocol):
    """The questions a run asks while it runs a body, for the task whose ancestry is
    given (see :data:`.adapter.VariableReader`)."""

    def size(self, ancestry: Sequence[str], loop: LoopCharacteristics) -> int:
        """How many instances the body starts (the cardinality, or the collection's size)."""
        ...

    def completed(
        self, ancestry: Sequence[str], loop: LoopCharacteristics, counters: LoopCounters
    ) -> bool:
        """Whether the completion condition holds, with the body's counters as they are
        once the instance has ended."""
        ...
