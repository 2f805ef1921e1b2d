"""Camunda's executions of a process instance, mapped from the workflow after each step.

A pure function: the executions before a step, the tree after it and the tasks it
completed go in; the executions after it and what changed come out. Ids are made once,
by the ``new_id`` it is given, and kept in the run's state from then on.

Camunda's rules, as its PVM applies them (``PvmExecutionImpl``,
``PvmAtomicOperationTransitionDestroyScope``, ``ExecutionEntity.replace``):

- One token in a scope (the process, or an embedded sub-process) runs in the scope's own
  execution; an embedded sub-process is a scope execution below the execution that
  entered it.
- A fork makes a concurrent execution per outgoing path below the scope execution; a
  concurrent execution that forks keeps its first path and gets siblings for the others.
- A token that reaches a join ends its execution there (Camunda keeps it inactive until
  the join fires; either way its local variables are gone when the process goes on).
  After a join that merged tokens, the token goes on in the scope execution when it is
  the scope's only one, else in a new concurrent execution.
- When a scope is left with one token in a concurrent execution (its siblings ended),
  the scope execution takes it over and the concurrent execution's variables move up
  (Camunda's compaction, ``tryPruneLastConcurrentChild``).
- A multi-instance body is a scope execution below the token's execution; its
  instances run in a concurrent execution each below it (parallel, even when there is
  one), or in the body's execution itself (sequential). An inner activity that is a
  scope (a sub-process) has its own scope execution below the instance's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from taskvars.engine.tree import (
    ASYNC_KINDS,
    SCOPE_MARK,
    NodeKind,
    NodeState,
    RunSnapshot,
    TaskNode,
    WorkflowTree,
)


@dataclass(frozen=True)
class Execution:
    id: str
    parent_id: str | None  # None: the process instance itself
    concurrent: bool


@dataclass(frozen=True)
class ExecutionState:
    """The executions of a process instance (itself included), the execution of each task
    that holds a token, the scope execution of each running sub-process (or
    multi-instance body), and the execution each ended instance of a running parallel
    body keeps (``inactive``)."""

    instance_id: str
    executions: Mapping[str, Execution]
    tokens: Mapping[str, Token]
    scopes: Mapping[str, str]
    inactive: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def initial(cls, instance_id: str) -> ExecutionState:
        root = Execution(instance_id, None, concurrent=False)
        return cls(instance_id, {instance_id: root}, {}, {})

    def path(self, execution_id: str) -> list[str]:
        """``execution_id`` and its ancestors up to the process instance, nearest first."""
        found: list[str] = []
        current: str | None = execution_id
        while current is not None:
            found.append(current)
            current = self.executions[current].parent_id
        return found

    def reading_from(self, ancestry: Sequence[str]) -> str:
        """The execution whose variables a task sees during a step, from its ancestry (its
        own id, its ancestors', and, on leaving a sub-process's workflow, the marked
        sub-process task's): the nearest task that held a token before the step, or the
        scope execution of the sub-process it is in, else the process instance."""
        for entry in ancestry:
            if entry.startswith(SCOPE_MARK):
                scope = self.scopes.get(entry.removeprefix(SCOPE_MARK))
                if scope is not None:
                    return scope
            elif entry in self.tokens:
                return self.tokens[entry].execution_id
        return self.instance_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance_id,
            "executions": [[e.id, e.parent_id, e.concurrent] for e in self.executions.values()],
            "tokens": {
                t.task_id: [t.execution_id, t.element_id, t.name, t.kind.value]
                for t in self.tokens.values()
            },
            "scopes": dict(self.scopes),
            **({"inactive": dict(self.inactive)} if self.inactive else {}),
        }

    @classmethod
    def from_dict(cls, stored: Mapping[str, Any]) -> ExecutionState:
        executions = {
            execution_id: Execution(execution_id, parent_id, bool(concurrent))
            for execution_id, parent_id, concurrent in stored["executions"]
        }
        tokens = {
            task_id: Token(task_id, element_id, name, NodeKind(kind), execution_id)
            for task_id, (execution_id, element_id, name, kind) in stored["tokens"].items()
        }
        return cls(
            stored["instance"],
            executions,
            tokens,
            dict(stored["scopes"]),
            dict(stored.get("inactive", {})),
        )


@dataclass(frozen=True)
class Token:
    """A task holding a token (a user task waiting, a sub-process running), and the
    execution it is in."""

    task_id: str
    element_id: str | None
    name: str | None
    kind: NodeKind
    execution_id: str


@dataclass(frozen=True)
class Activity:
    """An activity instance: Camunda's id is the element's id and a unique suffix."""

    task_id: str
    element_id: str
    name: str | None
    kind: NodeKind
    execution_id: str
    parent_activity_instance_id: str

    @property
    def instance_id(self) -> str:
        return activity_instance_id(self.element_id, self.task_id)


def activity_instance_id(element_id: str, task_id: str) -> str:
    return f"{element_id}:{task_id}"


@dataclass
class StepChanges:
    """What a step changed, in the order the runtime applies it."""

    left: list[tuple[Token, bool]] = field(default_factory=list)  # (token, completed?)
    compacted: list[tuple[str, str]] = field(default_factory=list)  # (concurrent, scope)
    moved: list[Token] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)  # deepest first
    created: list[Execution] = field(default_factory=list)  # parents first
    reparented: list[Execution] = field(default_factory=list)
    entered: list[Token] = field(default_factory=list)
    activities_started: list[Activity] = field(default_factory=list)
    # (activity instance id, canceled?)
    activities_ended: list[tuple[str, bool]] = field(default_factory=list)


def map_step(
    previous: ExecutionState,
    snapshot: RunSnapshot,
    completed: Sequence[str],
    new_id: Callable[[], str],
    interrupted: Sequence[str] = (),
) -> tuple[ExecutionState, StepChanges]:
    """The executions after a step and the changes that lead there (see the module doc).
    ``completed``: the tasks the step completed, in order; ``interrupted``: scopes an
    error or escalation caught in the step cancelled, outermost first (one begun in the
    same step is recorded as begun and cancelled)."""
    return _Mapping(previous, snapshot, new_id).run(completed, interrupted)


# What a token's execution is before the scope's tokens are counted.
_SCOPE = ("scope",)
_JOINED = ("joined",)


class _Mapping:
    def __init__(
        self, previous: ExecutionState, snapshot: RunSnapshot, new_id: Callable[[], str]
    ) -> None:
        self.previous = previous
        self.snapshot = snapshot
        self.new_id = new_id
        self.executions: dict[str, Execution] = {
            previous.instance_id: previous.executions[previous.instance_id]
        }
        self.tokens: dict[str, Token] = {}
        self.scopes: dict[str, str] = {}
        self.inactive: dict[str, str] = {}
        self.changes = StepChanges()

    def run(
        self, completed: Sequence[str], interrupted: Sequence[str] = ()
    ) -> tuple[ExecutionState, StepChanges]:
        previous = self.previous
        if not self.snapshot.finished:
            self._map_workflow(None, previous.instance_id)
        self._record_left()
        self._record_ended()
        self._record_activities(completed, interrupted)
        state = ExecutionState(
            previous.instance_id, self.executions, self.tokens, self.scopes, self.inactive
        )
        return state, self.changes

    def _map_workflow(self, scope_task_id: str | None, scope_execution: str) -> None:
        tree = self.snapshot.workflows[scope_task_id]
        # A body's instances are mapped inside it (_map_instances).
        live = [node for node in tree.live() if node.loop_counter is None]
        # A token waiting at a join still counts: its sibling is not the scope's last.
        alone = len(live) == 1 and not any(
            node.state is NodeState.ARRIVED for node in tree.tasks.values()
        )
        wanted = {node.id: self._origin(tree, node, scope_execution) for node in live}
        branch_ids: dict[tuple[Any, ...], str] = {}
        for node in live:
            origin = wanted[node.id]
            if alone:
                execution_id = scope_execution
                if origin[0] == "existing" and origin[1] != scope_execution:
                    self.changes.compacted.append((origin[1], scope_execution))
            elif origin[0] == "existing" and origin[1] != scope_execution:
                execution_id = origin[1]
                self.executions[execution_id] = Execution(execution_id, scope_execution, True)
            else:
                key = origin if origin[0] == "branch" else ("own", node.id)
                if key not in branch_ids:
                    branch_ids[key] = self.new_id()
                execution_id = branch_ids[key]
                self.executions[execution_id] = Execution(execution_id, scope_execution, True)
            self._place(node, execution_id)
            self._enter_scope(tree, node, execution_id)

    def _enter_scope(self, tree: WorkflowTree, node: TaskNode, execution_id: str) -> None:
        """The scope execution of a running sub-process or multi-instance body, below
        ``execution_id``, and what runs in it."""
        body = node.kind is NodeKind.MULTI_INSTANCE_BODY and node.loop is not None
        if not body and not (
            node.kind is NodeKind.SUB_PROCESS and node.id in self.snapshot.workflows
        ):
            return
        inner = self.previous.scopes.get(node.id) or self.new_id()
        self.executions[inner] = Execution(inner, execution_id, concurrent=False)
        self.scopes[node.id] = inner
        if body:
            self._map_instances(tree, node, inner)
        else:
            self._map_workflow(node.id, inner)

    def _map_instances(self, tree: WorkflowTree, body: TaskNode, body_execution: str) -> None:
        sequential = body.loop is not None and body.loop.sequential
        if not sequential:
            self._keep_inactive(tree, body, body_execution)
        for node in tree.live():
            if node.parent_id != body.id or node.loop_counter is None:
                continue
            if sequential:
                execution_id = body_execution
            else:
                known = self.previous.tokens.get(node.id)
                execution_id = (
                    known.execution_id
                    if known is not None and known.execution_id in self.previous.executions
                    else self.new_id()
                )
                self.executions[execution_id] = Execution(execution_id, body_execution, True)
            self._place(node, execution_id)
            self._enter_scope(tree, node, execution_id)

    def _keep_inactive(self, tree: WorkflowTree, body: TaskNode, body_execution: str) -> None:
        """An ended instance of a running parallel body keeps its concurrent execution,
        inactive, with its variables, until the body ends (Camunda's
        ``concurrentChildExecutionEnded`` inactivates it; the body's end removes it)."""
        for node in tree.tasks.values():
            if node.parent_id != body.id or node.loop_counter is None:
                continue
            if node.state not in (NodeState.DONE, NodeState.CANCELLED):
                continue
            held = self.previous.tokens.get(node.id)
            execution_id = (
                held.execution_id if held is not None else self.previous.inactive.get(node.id)
            )
            if execution_id is not None and execution_id in self.previous.executions:
                self.executions[execution_id] = Execution(execution_id, body_execution, True)
                self.inactive[node.id] = execution_id

    def _origin(self, tree: WorkflowTree, node: TaskNode, scope_execution: str) -> tuple[Any, ...]:
        """Where ``node``'s token comes from: the execution it keeps (``existing``), a
        new path of a fork (``branch``), the scope's start, or a join that merged."""
        known = self.previous.tokens.get(node.id)
        if known is not None and known.execution_id in self.previous.executions:
            return ("existing", known.execution_id)
        # Up the tree to the task that held this token before the step, or the start.
        path = [node]
        current = node
        origin: tuple[Any, ...] = _SCOPE
        while current.parent_id is not None and current.parent_id in tree.tasks:
            parent = tree.tasks[current.parent_id]
            path.append(parent)
            held = self.previous.tokens.get(parent.id)
            if held is not None and held.execution_id in self.previous.executions:
                origin = ("existing", held.execution_id)
                break
            current = parent
        steps = list(reversed(path))
        for left, entered in itertools.pairwise(steps):
            if left.merged:
                origin = _JOINED
            if len(left.children) > 1:
                first = left.children[0] == entered.id
                reusable = origin[0] == "existing" and origin[1] != scope_execution
                if not (first and reusable):
                    origin = ("branch", left.id, entered.id)
        return origin

    def _place(self, node: TaskNode, execution_id: str) -> None:
        token = Token(node.id, node.element_id, node.name, node.kind, execution_id)
        self.tokens[node.id] = token
        before = self.previous.tokens.get(node.id)
        if before is None:
            self.changes.entered.append(token)
        elif before.kind is not token.kind:
            # A continuation's job ran (the element it held now waits itself), or an
            # element ended into its asyncAfter: one wait left, another entered.
            self.changes.left.append((before, True))
            self.changes.entered.append(token)
        elif before.execution_id != execution_id:
            self.changes.moved.append(token)

    def _record_left(self) -> None:
        for task_id, token in self.previous.tokens.items():
            if task_id in self.tokens:
                continue
            node = self.snapshot.node(task_id)
            completed = node.state is NodeState.DONE if node is not None else self.snapshot.finished
            self.changes.left.append((token, completed))

    def _record_ended(self) -> None:
        previous = self.previous.executions
        compacted = {child for child, _ in self.changes.compacted}
        gone = [e for e in previous if e not in self.executions]
        # Deepest first: a child's rows go before its parent's.
        gone.sort(key=lambda e: -len(self.previous.path(e)))
        self.changes.ended = [e for e in gone if e not in compacted] + [
            e for e in gone if e in compacted
        ]
        for execution in _parents_first(self.executions):
            before = previous.get(execution.id)
            if before is None:
                self.changes.created.append(execution)
            elif before.parent_id != execution.parent_id:
                self.changes.reparented.append(execution)

    def _record_activities(self, completed: Sequence[str], interrupted: Sequence[str]) -> None:
        # A token held before its element started no activity instance: the element's
        # starts when the job runs it (one held after its element has ended already).
        held = {t.task_id for t in self.previous.tokens.values() if t.kind is NodeKind.ASYNC_BEFORE}
        was_live = set(self.previous.tokens) - held
        # Scopes begun and cancelled within the step: begun before what ran in them.
        cancelled = [
            node
            for task_id in dict.fromkeys(interrupted)
            if task_id not in was_live
            and task_id not in completed
            and (node := self.snapshot.node(task_id)) is not None
            and node.is_activity
        ]
        started: list[TaskNode] = list(cancelled)
        for task_id in completed:
            node = self.snapshot.node(task_id)
            if node is not None and node.is_activity and task_id not in was_live:
                started.append(node)
        # An element that does nothing, held after it "ran" (its asyncAfter): its activity
        # starts and ends where the token stopped; SpiffWorkflow runs it with the job.
        ran_held: set[str] = set()
        for token in self.changes.entered:
            node = self.snapshot.node(token.task_id)
            if node is not None and node.is_activity:
                started.append(node)
            before = self.previous.tokens.get(token.task_id)
            if (
                node is not None
                and node.kind is NodeKind.ASYNC_AFTER
                and node.element_kind is not None
                and (before is None or before.kind is NodeKind.ASYNC_BEFORE)
            ):
                started.append(replace(node, kind=node.element_kind))
                ran_held.add(token.task_id)
        # Tasks finished in the step ran in the execution of the token they came from.
        reading = ExecutionState(
            self.previous.instance_id,
            self.previous.executions,
            self.previous.tokens,
            {**self.previous.scopes, **self.scopes},
        )
        for node in started:
            ancestry = self._ancestry(node)
            holder = self.tokens.get(node.id)
            self.changes.activities_started.append(
                Activity(
                    task_id=node.id,
                    element_id=node.element_id or "",
                    name=node.name,
                    kind=node.kind,
                    execution_id=holder.execution_id if holder else reading.reading_from(ancestry),
                    parent_activity_instance_id=self._parent_activity(ancestry),
                )
            )
        ended: list[tuple[str, bool]] = [
            (activity_instance_id(node.element_id or "", node.id), False)
            for node in started
            if node.id in ran_held
        ]
        done: set[str] = set()
        for node in cancelled:
            ended.append((activity_instance_id(node.element_id or "", node.id), True))
            done.add(node.id)
        for task_id in completed:
            node = self.snapshot.node(task_id)
            after = self.previous.tokens.get(task_id)
            if after is not None and after.kind is NodeKind.ASYNC_AFTER:
                continue
            if node is not None and node.is_activity and node.element_id:
                ended.append((activity_instance_id(node.element_id, task_id), False))
                done.add(task_id)
        for token, finished in self.changes.left:
            if token.kind in ASYNC_KINDS:
                continue
            if token.task_id not in done and token.element_id:
                ended.append((activity_instance_id(token.element_id, token.task_id), not finished))
        self.changes.activities_ended = ended

    def _ancestry(self, node: TaskNode) -> list[str]:
        """``node``'s id and its ancestors' ids, crossing out of sub-process workflows."""
        found: list[str] = []
        for scope_task_id, tree in self.snapshot.workflows.items():
            if node.id not in tree.tasks:
                continue
            current: TaskNode | None = node
            while current is not None:
                found.append(current.id)
                current = tree.tasks.get(current.parent_id or "")
            if scope_task_id is not None:
                found.append(f"{SCOPE_MARK}{scope_task_id}")
                outer = self.snapshot.node(scope_task_id)
                if outer is not None:
                    found.extend(self._ancestry(outer))
            break
        return found

    def _parent_activity(self, ancestry: list[str]) -> str:
        """The activity instance of the nearest enclosing sub-process or multi-instance
        body, else the process instance (Camunda's root activity instance has the process
        instance's id)."""
        for below, entry in itertools.pairwise(["", *ancestry]):
            # A body encloses its instances, not what follows it.
            instance = self.snapshot.node(below) if below else None
            if instance is not None and instance.loop_counter is not None:
                body = self.snapshot.node(entry)
                if body is not None and body.kind is NodeKind.MULTI_INSTANCE_BODY:
                    return activity_instance_id(body.element_id or "", entry)
            if entry.startswith(SCOPE_MARK):
                task_id = entry.removeprefix(SCOPE_MARK)
                node = self.snapshot.node(task_id)
                element = node.element_id if node is not None else None
                return activity_instance_id(element or "", task_id)
        return self.previous.instance_id


def _parents_first(executions: Mapping[str, Execution]) -> Iterable[Execution]:
    placed: set[str | None] = {None}
    pending = list(executions.values())
    while pending:
        ready = [e for e in pending if e.parent_id in placed]
        if not ready:  # cannot happen: every parent is mapped before its children
            raise RuntimeError("an execution's parent is missing from the mapping")
        for execution in ready:
            placed.add(execution.id)
            yield execution
        pending = [e for e in pending if e.id not in placed]
