"""Camunda's activity instance tree of a running process instance
(``RuntimeService.getActivityInstance``), from the executions kept in its run's state.

The root is the process instance itself (its id, the definition's id as its activity);
below it the activities that hold a token: user tasks waiting and embedded sub-processes
running, each sub-process holding the activities that run inside it. A token's parent is
the nearest running sub-process whose scope execution is above the token's execution.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from taskvars.engine.executions import ExecutionState, Token, activity_instance_id
from taskvars.engine.tree import ASYNC_KINDS, NodeKind

PROCESS_DEFINITION = "processDefinition"


@dataclass
class ActivityInstance:
    id: str
    parent_id: str | None
    activity_id: str
    activity_name: str | None
    activity_type: str
    execution_ids: list[str]
    children: list[ActivityInstance] = field(default_factory=list)
    # Tokens held by an asynchronous continuation below this instance (Camunda's
    # transition instances: the execution's id is theirs, GetActivityInstanceCmd).
    transitions: list[ActivityInstance] = field(default_factory=list)


def activity_tree(
    state: ExecutionState,
    definition_id: str,
    definition_name: str | None,
    activity_types: Mapping[str, str] | None = None,
) -> ActivityInstance:
    """``activity_types``: by element id, the type a transition instance reports."""
    root = ActivityInstance(
        state.instance_id,
        None,
        definition_id,
        definition_name,
        PROCESS_DEFINITION,
        [state.instance_id],
    )
    # A running sub-process's scope execution -> its activity instance.
    by_scope_execution: dict[str, ActivityInstance] = {}
    nodes: dict[str, ActivityInstance] = {}
    for token in state.tokens.values():
        if token.element_id is None:  # a run stored before element ids were kept
            continue
        if token.kind in ASYNC_KINDS:
            held = ActivityInstance(
                token.execution_id,
                None,
                token.element_id,
                token.name,
                (activity_types or {}).get(token.element_id, token.kind.value),
                [token.execution_id],
            )
            nodes[token.task_id] = held
            continue
        execution_ids = [state.scopes.get(token.task_id, token.execution_id)]
        if token.kind is NodeKind.CALL_ACTIVITY:  # a scope: its own execution (behaviours)
            execution_ids = [token.task_id]
        node = ActivityInstance(
            activity_instance_id(token.element_id, token.task_id),
            None,
            token.element_id,
            token.name,
            token.kind.value,
            execution_ids,
        )
        nodes[token.task_id] = node
        if token.kind in _SCOPE_KINDS and token.task_id in state.scopes:
            by_scope_execution[state.scopes[token.task_id]] = node
    for task_id, node in nodes.items():
        parent = _parent(state, state.tokens[task_id], by_scope_execution) or root
        node.parent_id = parent.id
        waiting_for_job = state.tokens[task_id].kind in ASYNC_KINDS
        (parent.transitions if waiting_for_job else parent.children).append(node)
    return root


_SCOPE_KINDS = frozenset({NodeKind.SUB_PROCESS, NodeKind.MULTI_INSTANCE_BODY})


def _parent(
    state: ExecutionState, token: Token, by_scope_execution: dict[str, ActivityInstance]
) -> ActivityInstance | None:
    # From the execution the token is in: a sub-process's own scope execution is below it.
    for execution_id in state.path(token.execution_id):
        if execution_id in by_scope_execution:
            return by_scope_execution[execution_id]
    return None
