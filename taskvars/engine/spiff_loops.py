"""Multi-instance activities in SpiffWorkflow, as this server runs them: part of the
adapter (:mod:`.adapter` builds its parsers from these and is the only other module
that imports SpiffWorkflow).

SpiffWorkflow's Camunda multi-instance keeps the collection in task data (which this
server never fills) and rewrites its spec when a run reaches it (``update_task_spec``),
which a spec shared by every run must never do. :class:`MultiInstanceBody` keeps in a
run's task only what that run needs (how many instances, which ones ended) and asks the
run's script engine (:class:`LoopEngine`, answered by a :class:`.loops.LoopEvaluator`)
for the rest: the number of instances, and whether the completion condition holds. The
inner activity's spec is connected to its body once, when the spec is built.
"""

from __future__ import annotations

from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from taskvars.engine.loops import LoopCharacteristics, LoopCounters

# internal_data keys of a body's task and of an inner instance's task.
_INSTANCES = "instances"
_ENDED = "merged"  # the name SpiffWorkflow's LoopTask reads
_CANCELLED = "cancelled"
LOOP_COUNTER = "loop_counter"


class LoopRunError(RuntimeError):
    """The body cannot run: its number of instances is negative."""


class MultiInstanceBody(LoopTask, BpmnSpecMixin):  # type: ignore[misc]
    """Camunda's multi-instance body around an inner activity (``task_spec``, the name
    of its spec): parallel, all instances at once, or sequential, one after another
    (``ParallelMultiInstanceActivityBehavior``, ``SequentialMultiInstanceActivityBehavior``)."""

    def __init__(
        self, wf_spec: Any, bpmn_id: str, task_spec: str, loop: LoopCharacteristics, **kwargs: Any
    ) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.task_spec = task_spec
        self.loop = loop

    def _update_hook(self, my_task: Any) -> Any:
        super()._update_hook(my_task)
        size = _engine(my_task).loop_size(my_task, self.loop)
        if size < 0:
            # BpmnBehaviorLogger.invalidAmountException
            raise LoopRunError(
                "ENGINE-02023 Invalid number of 'instances': must be positive integer value "
                f"or zero, but was '{size}'."
            )
        my_task.internal_data[_INSTANCES] = size
        my_task.internal_data[_ENDED] = []
        if size == 0:  # MultiInstanceActivityBehavior.execute: the body is left at once
            return True
        for index in range(1 if self.loop.sequential else size):
            self._start_instance(my_task, index)
        my_task._set_state(TaskState.STARTED)
        return None

    def _start_instance(self, my_task: Any, index: int) -> None:
        inner = my_task.workflow.spec.task_specs[self.task_spec]
        child = my_task._add_child(inner, TaskState.WAITING)
        child.triggered = True
        child.internal_data[LOOP_COUNTER] = index
        child.task_spec._update(child)

    def instance_ended(self, workflow: Any, child: Any) -> None:
        """An inner instance completed: count it, then leave the body if the completion
        condition holds or every instance ended (cancelling those still running), else
        (sequential) start the next one."""
        my_task = child.parent
        ended = my_task.internal_data.setdefault(_ENDED, [])
        ended.append(str(child.id))
        counters = counters_of(my_task)
        size = counters.instances
        done = len(ended) >= size if self.loop.sequential else counters.active <= 0
        condition = self.loop.completion_condition is not None and _engine(my_task).loop_completed(
            child, self.loop, counters
        )
        if condition or done:
            for instance in my_task.children:
                if instance.task_spec.name == self.task_spec and not instance.has_state(
                    TaskState.FINISHED_MASK
                ):
                    instance.cancel()
            my_task._set_state(TaskState.READY)
        elif self.loop.sequential:
            self._start_instance(my_task, len(ended))

    def instance_cancelled(self, child: Any) -> None:
        """An inner instance was cancelled (its called instance deleted): it is no
        completion, so the completion condition is not evaluated. Parallel: one active
        instance less (``ParallelMultiInstanceActivityBehavior.destroyInnerInstance``);
        the body is cancelled once no instance is left running. Sequential: the instance
        runs in the body's own execution, so cancelling it cancels the body
        (``AbstractInstanceCancellationCmd``)."""
        my_task = child.parent
        my_task.internal_data.setdefault(_CANCELLED, []).append(str(child.id))
        running = [
            instance
            for instance in my_task.children
            if instance.task_spec.name == self.task_spec
            and not instance.has_state(TaskState.FINISHED_MASK)
        ]
        if self.loop.sequential or not running:
            for instance in running:
                instance.cancel()
            my_task.cancel()


def counters_of(my_task: Any) -> LoopCounters:
    """A body's counters as Camunda keeps them: a sequential body has one active
    instance until it ends; a parallel one counts down."""
    spec = my_task.task_spec
    size = int(my_task.internal_data.get(_INSTANCES, 0))
    completed = len(my_task.internal_data.get(_ENDED, []))
    cancelled = len(my_task.internal_data.get(_CANCELLED, []))
    sequential = spec.loop.sequential
    active = (1 if size else 0) if sequential else size - completed - cancelled
    return LoopCounters(sequential, size, completed, active)


def connect_inner(body: MultiInstanceBody, inner: Any) -> None:
    """Let the inner activity's spec report its instances' ends to the body: done once,
    when the specs are built (SpiffWorkflow connects it at run time)."""
    inner.completed_event.connect(body.instance_ended)


class LoopEngine(Protocol):
    """What a body asks of the run's script engine (the adapter's), for a task of it."""

    def loop_size(self, task: Any, loop: LoopCharacteristics) -> int: ...

    def loop_completed(
        self, task: Any, loop: LoopCharacteristics, counters: LoopCounters
    ) -> bool: ...


def _engine(my_task: Any) -> LoopEngine:
    engine: LoopEngine = my_task.workflow.script_engine
    return engine


class LoopParsing:
    """A task parser's multi-instance part (mixed into each parser of an activity that
    may carry one): the body wraps the parsed activity, as SpiffWorkflow's parsers do,
    with the characteristics read as Camunda reads them (``BpmnParse``)."""

    bpmn_id: str
    spec: Any
    task: Any

    def _add_multiinstance_task(self, loop_characteristics: Any) -> None:
        loop = read_loop(self.bpmn_id, loop_characteristics)
        original = self.spec.task_specs.pop(self.task.name)
        self.task = MultiInstanceBody(self.spec, original.name, "", loop)
        self._copy_task_attrs(original, loop_characteristics)  # type: ignore[attr-defined]
        connect_inner(self.task, original)


def read_loop(element_id: str, node: Any) -> LoopCharacteristics:
    """``multiInstanceLoopCharacteristics`` of ``element_id`` (an lxml element)."""
    namespace = str(node.tag).partition("}")[0].lstrip("{")

    def child_text(name: str) -> str | None:
        found = node.find(f"{{{namespace}}}{name}")
        return None if found is None else (found.text or "").strip()

    camunda = "{http://camunda.org/schema/1.0/bpmn}"
    return LoopCharacteristics(
        element_id=element_id,
        sequential=(node.get("isSequential") or "false").strip() == "true",
        cardinality=child_text("loopCardinality"),
        collection=node.get(f"{camunda}collection"),
        element_variable=node.get(f"{camunda}elementVariable"),
        completion_condition=child_text("completionCondition"),
    )
