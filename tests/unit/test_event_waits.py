"""Which events a run waits for beside its tokens (pure, on hand-made trees): the armed
timer, message and signal boundary events of waiting activities and the branches of an
event-based gateway the token waits at; nothing else."""

from __future__ import annotations

from taskvars.engine.event_waits import attached_waits
from taskvars.engine.executions import Token
from taskvars.engine.tree import NodeKind, NodeState, RunSnapshot, TaskNode, WorkflowTree


def node(
    task_id: str, parent: str | None, kind: NodeKind, state: NodeState = NodeState.AHEAD
) -> TaskNode:
    return TaskNode(task_id, parent, f"el-{task_id}", None, kind, state)


def snapshot(*nodes: TaskNode) -> RunSnapshot:
    return RunSnapshot({None: WorkflowTree(None, {n.id: n for n in nodes})}, finished=False)


def token(task_id: str, kind: NodeKind, execution_id: str) -> Token:
    return Token(task_id, f"el-{task_id}", None, kind, execution_id)


def test_a_waiting_tasks_boundary_events_are_armed_in_its_execution() -> None:
    tree = snapshot(
        node("task", None, NodeKind.USER_TASK, NodeState.LIVE),
        node("late", "task", NodeKind.BOUNDARY_TIMER),
        node("cancel", "task", NodeKind.BOUNDARY_MESSAGE),
        node("failed", "task", NodeKind.BOUNDARY_ERROR),  # caught when thrown, not armed
    )
    waits = attached_waits(tree, {"task": token("task", NodeKind.USER_TASK, "exec-1")})
    assert waits == {"late": ("el-late", "exec-1"), "cancel": ("el-cancel", "exec-1")}


def test_boundary_events_of_an_activity_not_waiting_or_already_fired_are_not_armed() -> None:
    tree = snapshot(
        node("task", None, NodeKind.USER_TASK, NodeState.DONE),
        node("late", "task", NodeKind.BOUNDARY_TIMER),
        node("other", None, NodeKind.USER_TASK, NodeState.LIVE),
        node("fired", "other", NodeKind.BOUNDARY_SIGNAL, NodeState.DONE),
    )
    assert attached_waits(tree, {"other": token("other", NodeKind.USER_TASK, "e")}) == {}


def test_an_event_based_gateways_branches_are_armed_in_the_gateways_execution() -> None:
    tree = snapshot(
        node("gateway", None, NodeKind.EVENT_BASED_GATEWAY, NodeState.LIVE),
        node("paid", "gateway", NodeKind.INTERMEDIATE_MESSAGE_CATCH),
        node("deadline", "gateway", NodeKind.INTERMEDIATE_TIMER),
        node("mail", "gateway", NodeKind.RECEIVE_TASK),
    )
    waits = attached_waits(
        tree, {"gateway": token("gateway", NodeKind.EVENT_BASED_GATEWAY, "exec-2")}
    )
    assert set(waits) == {"paid", "deadline", "mail"}
    assert {execution for _, execution in waits.values()} == {"exec-2"}


def test_catch_events_after_anything_but_a_waiting_gateway_are_no_attached_waits() -> None:
    tree = snapshot(
        node("task", None, NodeKind.USER_TASK, NodeState.LIVE),
        node("next", "task", NodeKind.INTERMEDIATE_TIMER),  # ahead of the task: not yet
    )
    assert attached_waits(tree, {"task": token("task", NodeKind.USER_TASK, "e")}) == {}
