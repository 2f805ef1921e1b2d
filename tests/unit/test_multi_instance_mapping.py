"""Multi-instance bodies in SpiffWorkflow and in Camunda's executions: models run with a
fixed :class:`LoopEvaluator` (no store), mapped after each step as the runtime maps them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG

from taskvars.engine.activity_tree import activity_tree
from taskvars.engine.adapter import CompiledProcess, WorkflowRun
from taskvars.engine.bpmn_xml import parse_bpmn
from taskvars.engine.executions import Execution, ExecutionState, StepChanges, map_step
from taskvars.engine.loops import LoopCharacteristics, LoopCounters
from taskvars.engine.tree import NodeKind, NodeState, RunSnapshot, TaskNode, WorkflowTree

MODELS = Path(__file__).parent.parent / "bpmn"
INSTANCE = "pi"


def compiled(file_name: str, key: str) -> CompiledProcess:
    return CompiledProcess(key, parse_bpmn((MODELS / file_name).read_bytes()), file_name)


class Loops:
    """Bodies of ``size`` instances, complete once ``done_after`` instances ended."""

    def __init__(self, size: int, done_after: int | None = None) -> None:
        self.size_ = size
        self.done_after = done_after
        self.asked: list[LoopCounters] = []

    def size(self, ancestry: Sequence[str], loop: LoopCharacteristics) -> int:
        return self.size_

    def completed(
        self, ancestry: Sequence[str], loop: LoopCharacteristics, counters: LoopCounters
    ) -> bool:
        self.asked.append(counters)
        return self.done_after is not None and counters.completed >= self.done_after


def no_variables(ancestry: Any, names: frozenset[str]) -> dict[str, Any]:
    return {}


class Mapped:
    def __init__(self, process: CompiledProcess, loops: Loops) -> None:
        self.process = process
        self.loops = loops
        self.run = WorkflowRun.start(process, no_variables, loops=loops)
        self._ids = itertools.count(1)
        self.state = ExecutionState.initial(INSTANCE)
        self.changes = StepChanges()
        self._map()

    def _map(self) -> None:
        self.state, self.changes = map_step(
            self.state, self.run.snapshot(), self.run.completed, lambda: f"e{next(self._ids)}"
        )
        self.run.prune()
        # Each step starts from the stored state, as the runtime's do.
        self.run = WorkflowRun.restore(
            self.process, self.run.state(), no_variables, loops=self.loops
        )

    def tokens(self, kind: NodeKind) -> list[tuple[str, str]]:
        """(task id, execution id) of the tokens of ``kind``, in the order of their ids'
        creation (the model's instances in loop counter order)."""
        snapshot = self.run.snapshot()
        found = []
        for token in self.state.tokens.values():
            node = snapshot.node(token.task_id)
            if token.kind is kind and node is not None:
                found.append((node.loop_counter or 0, token.task_id, token.execution_id))
        return [(task_id, execution_id) for _, task_id, execution_id in sorted(found)]

    def complete(self, task_id: str) -> None:
        self.run.complete(task_id)
        self._map()


def test_a_parallel_body_is_a_scope_with_a_concurrent_execution_per_instance() -> None:
    mapped = Mapped(compiled("mi-review.bpmn", "miReview"), Loops(3))
    (body,) = mapped.tokens(NodeKind.MULTI_INSTANCE_BODY)
    body_execution = mapped.state.scopes[body[0]]
    assert body[1] == INSTANCE
    assert mapped.state.executions[body_execution] == Execution(body_execution, INSTANCE, False)
    instances = mapped.tokens(NodeKind.USER_TASK)
    assert len(instances) == 3
    for _, execution_id in instances:
        assert mapped.state.executions[execution_id] == Execution(
            execution_id, body_execution, concurrent=True
        )
    assert len({execution_id for _, execution_id in instances}) == 3


def test_instances_are_activity_instances_below_the_body() -> None:
    mapped = Mapped(compiled("mi-review.bpmn", "miReview"), Loops(2))
    started = {a.element_id: a for a in mapped.changes.activities_started}
    body = started["review#multiInstanceBody"]
    assert body.kind is NodeKind.MULTI_INSTANCE_BODY
    assert body.parent_activity_instance_id == INSTANCE
    inner = [a for a in mapped.changes.activities_started if a.element_id == "review"]
    assert [a.parent_activity_instance_id for a in inner] == [body.instance_id] * 2
    tree = activity_tree(mapped.state, "def", None)
    (shown_body,) = tree.children
    assert (shown_body.activity_id, shown_body.activity_type) == (
        "review#multiInstanceBody",
        "multiInstanceBody",
    )
    assert shown_body.execution_ids == [mapped.state.scopes[body.task_id]]
    assert [child.activity_id for child in shown_body.children] == ["review", "review"]


def test_the_completion_condition_sees_the_counters_after_the_instance_ended() -> None:
    loops = Loops(3, done_after=2)
    mapped = Mapped(compiled("mi-review.bpmn", "miReview"), loops)
    first, second, third = mapped.tokens(NodeKind.USER_TASK)
    mapped.complete(first[0])
    assert loops.asked == [LoopCounters(False, 3, 1, 2)]
    # Its concurrent execution stays, inactive, until the body ends.
    assert mapped.state.executions[first[1]].parent_id == mapped.state.scopes[second_body(mapped)]
    assert mapped.state.inactive == {first[0]: first[1]}
    assert first[0] not in mapped.state.tokens
    mapped.complete(third[0])
    assert loops.asked[-1] == LoopCounters(False, 3, 2, 1)
    # The condition held: the second instance is cancelled, the body left.
    left = {token.task_id: completed for token, completed in mapped.changes.left}
    assert left[second[0]] is False
    assert left[third[0]] is True
    assert mapped.tokens(NodeKind.USER_TASK) == [
        (task_id, INSTANCE)
        for task_id, _ in mapped.tokens(NodeKind.USER_TASK)
        if mapped.state.tokens[task_id].element_id == "publish"
    ]
    assert set(mapped.state.executions) == {INSTANCE}
    assert mapped.state.scopes == {}
    ended = dict(mapped.changes.activities_ended)
    assert ended[f"review:{second[0]}"] is True  # canceled
    assert any(key.startswith("review#multiInstanceBody:") for key in ended)


def second_body(mapped: Mapped) -> str:
    (body,) = mapped.tokens(NodeKind.MULTI_INSTANCE_BODY)
    return body[0]


def test_a_sequential_body_runs_one_instance_at_a_time_in_its_own_execution() -> None:
    mapped = Mapped(compiled("mi-sequential.bpmn", "miSign"), Loops(3))
    (body,) = mapped.tokens(NodeKind.MULTI_INSTANCE_BODY)
    body_execution = mapped.state.scopes[body[0]]
    counters = []
    for number in range(3):
        (instance,) = mapped.tokens(NodeKind.USER_TASK)
        assert instance[1] == body_execution
        counters.append(mapped.run.snapshot().node(instance[0]).loop_counter)  # type: ignore[union-attr]
        mapped.complete(instance[0])
        if number < 2:
            assert set(mapped.state.executions) == {INSTANCE, body_execution}
    assert counters == [0, 1, 2]
    assert mapped.run.finished


def test_a_body_of_no_instances_is_left_at_once() -> None:
    mapped = Mapped(compiled("mi-review.bpmn", "miReview"), Loops(0))
    assert [token.element_id for token in mapped.state.tokens.values()] == ["publish"]


def test_each_sub_process_instance_is_a_scope_below_its_concurrent_execution() -> None:
    mapped = Mapped(compiled("mi-subprocess.bpmn", "miParcels"), Loops(2))
    (body,) = mapped.tokens(NodeKind.MULTI_INSTANCE_BODY)
    body_execution = mapped.state.scopes[body[0]]
    parcels = mapped.tokens(NodeKind.SUB_PROCESS)
    assert len(parcels) == 2
    packs = mapped.tokens(NodeKind.USER_TASK)
    scopes = set()
    for parcel, concurrent in parcels:
        assert mapped.state.executions[concurrent] == Execution(concurrent, body_execution, True)
        scope = mapped.state.scopes[parcel]
        assert mapped.state.executions[scope] == Execution(scope, concurrent, False)
        scopes.add(scope)
    assert {execution_id for _, execution_id in packs} == scopes
    tree = activity_tree(mapped.state, "def", None)
    (shown_body,) = tree.children
    assert [child.activity_type for child in shown_body.children] == ["subProcess"] * 2
    assert [c.activity_id for c in shown_body.children[0].children] == ["pack"]
    for pack, _ in packs:
        mapped.complete(pack)
    assert mapped.run.finished


def test_runs_of_a_multi_instance_model_never_change_the_compiled_spec() -> None:
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
    process = compiled("mi-review.bpmn", "miReview")

    def specs() -> str:
        return json.dumps(serializer.registry.convert(process.spec), sort_keys=True, default=str)

    before = specs()
    inner = process.spec.task_specs["review [child]"]
    listeners = inner.completed_event.n_subscribers()
    for _ in range(2):
        mapped = Mapped(process, Loops(2))
        for task_id, _ in mapped.tokens(NodeKind.USER_TASK):
            mapped.complete(task_id)
    assert specs() == before
    assert inner.completed_event.n_subscribers() == listeners == 1


# The same rules on hand-made trees: no SpiffWorkflow, only the mapping.


def node(
    task_id: str,
    parent: str | None,
    kind: NodeKind,
    state: NodeState,
    children: tuple[str, ...] = (),
    **extra: Any,
) -> TaskNode:
    element = {"b": "review#multiInstanceBody", "next": "publish"}.get(task_id, "review")
    return TaskNode(task_id, parent, element, None, kind, state, children, **extra)


def body_tree(sequential: bool, states: dict[str, NodeState], body: NodeState) -> RunSnapshot:
    counters = LoopCounters(sequential, 2, sum(s is NodeState.DONE for s in states.values()), 1)
    nodes = [
        node("root", None, NodeKind.INTERNAL, NodeState.DONE, ("s",)),
        node("s", "root", NodeKind.START_EVENT, NodeState.DONE, ("b",)),
        node("b", "s", NodeKind.MULTI_INSTANCE_BODY, body, ("next",), loop=counters),
        *(
            node(task_id, "b", NodeKind.USER_TASK, state, loop_counter=index)
            for index, (task_id, state) in enumerate(states.items())
        ),
        node(
            "next",
            "b",
            NodeKind.USER_TASK,
            NodeState.LIVE if body is NodeState.DONE else NodeState.AHEAD,
        ),
    ]
    return RunSnapshot({None: WorkflowTree(None, {n.id: n for n in nodes})}, finished=False)


def ids() -> Any:
    counter = itertools.count(1)
    return lambda: f"x{next(counter)}"


def test_hand_made_parallel_instances_get_concurrent_executions_that_end_with_the_body() -> None:
    new_id = ids()
    live = {"i0": NodeState.LIVE, "i1": NodeState.LIVE}
    state, changes = map_step(
        ExecutionState.initial(INSTANCE), body_tree(False, live, NodeState.LIVE), ["s"], new_id
    )
    body_execution = state.scopes["b"]
    assert state.tokens["b"].execution_id == INSTANCE
    assert {state.tokens[i].execution_id for i in live} == {"x2", "x3"}
    assert all(state.executions[f"x{n}"].parent_id == body_execution for n in (2, 3))
    assert all(state.executions[f"x{n}"].concurrent for n in (2, 3))
    assert [e.id for e in changes.created] == [body_execution, "x2", "x3"]

    one_done = {"i0": NodeState.DONE, "i1": NodeState.LIVE}
    after, changes = map_step(state, body_tree(False, one_done, NodeState.LIVE), ["i0"], new_id)
    assert after.tokens["i1"].execution_id == state.tokens["i1"].execution_id
    assert changes.ended == []  # i0's execution stays, inactive, until the body ends
    assert after.inactive == {"i0": state.tokens["i0"].execution_id}
    assert ExecutionState.from_dict(after.to_dict()) == after
    assert [(token.task_id, completed) for token, completed in changes.left] == [("i0", True)]

    ended = {"i0": NodeState.DONE, "i1": NodeState.CANCELLED}
    final, changes = map_step(after, body_tree(False, ended, NodeState.DONE), ["b"], new_id)
    assert set(final.executions) == {INSTANCE}
    assert final.inactive == {}
    assert sorted(changes.ended) == sorted([*after.inactive.values(), "x3", body_execution])
    assert final.tokens["next"].execution_id == INSTANCE
    assert sorted((t.task_id, completed) for t, completed in changes.left) == [
        ("b", True),
        ("i1", False),
    ]


def test_hand_made_sequential_instances_run_in_the_body_s_execution() -> None:
    new_id = ids()
    first = {"i0": NodeState.LIVE}
    state, _ = map_step(
        ExecutionState.initial(INSTANCE), body_tree(True, first, NodeState.LIVE), ["s"], new_id
    )
    body_execution = state.scopes["b"]
    assert state.tokens["i0"].execution_id == body_execution
    second = {"i0": NodeState.DONE, "i1": NodeState.LIVE}
    after, changes = map_step(state, body_tree(True, second, NodeState.LIVE), ["i0"], new_id)
    assert after.tokens["i1"].execution_id == body_execution
    assert changes.ended == []
    assert [token.task_id for token in changes.entered] == ["i1"]
