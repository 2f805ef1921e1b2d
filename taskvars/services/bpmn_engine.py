"""SpiffWorkflow, as this server runs it: a deployed model compiled once, a process
instance's run started or restored from its stored state, its ready user tasks with the
executions they belong to, and its state to store again.

Nothing here stores anything or knows HTTP. Variables never enter SpiffWorkflow's task
data: the store keeps them, and a gateway's condition asks :class:`VariableLookup` for
the few it names (see :class:`_ConditionsOnly`). SpiffWorkflow's state is therefore
only where the tokens are.

Executions. Camunda gives a process instance one execution while a single token runs,
a child execution for each branch while parallel tokens run, and a scope execution for
an embedded sub-process. This module names them the same way, from the task tree:
a branch is identified by the id of the first SpiffWorkflow task after the split that
started it, a sub-process by the id of its sub-process task; both are UUIDs, used as the
executions' ids, and stable from one step to the next, so a branch keeps its execution
(and its local variables) until it joins.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway as ExclusiveGatewaySpec
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as InclusiveGatewaySpec
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from taskvars.services.bpmn_models import BPMN, CAMUNDA
from taskvars.services.expressions import ExpressionError, compile_expression

# Compiled models kept per process (definitions never change once deployed).
COMPILED_CACHE_SIZE = 64

# The attributes of a user task Camunda reads from the model (camunda: namespace).
_TASK_ATTRIBUTES = (
    "assignee",
    "candidateUsers",
    "candidateGroups",
    "formKey",
    "dueDate",
    "followUpDate",
    "priority",
)

# ``(executions, names) -> values``: the variables of ``names`` visible from the
# execution at the end of ``executions`` (ids below the process instance; empty for
# the process instance itself), as plain values.
VariableLookup = Callable[[tuple[str, ...], frozenset[str]], dict[str, Any]]


class BpmnRunError(RuntimeError):
    """The model could not be run on (a condition failed); the message says why."""


@dataclass(frozen=True)
class UserTaskModel:
    """A user task as the model declares it: its name, documentation and Camunda
    attributes as written (expressions not yet evaluated)."""

    element_id: str
    name: str | None
    documentation: str | None
    attributes: dict[str, str]


@dataclass(frozen=True)
class ReadyUserTask:
    """A user task SpiffWorkflow made ready: ``id`` is SpiffWorkflow's (a UUID, stable
    for the task's life), used as the task's id; ``executions`` the execution ids from
    below the process instance down to the one the task belongs to."""

    id: str
    model: UserTaskModel
    executions: tuple[str, ...]


class _ModelOrderGatewayParser(ConditionalGatewayParser):  # type: ignore[misc]
    """Camunda takes the first outgoing flow whose condition holds in the order the model
    lists them; SpiffWorkflow orders a gateway's flows by where their targets are drawn
    (top first). One position for every target keeps the model's order (the sort that
    orders them is stable)."""

    def get_position(self, node: Any = None) -> dict[str, float]:
        return {"x": 0.0, "y": 0.0}


class _Parser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("exclusiveGateway"): (_ModelOrderGatewayParser, ExclusiveGatewaySpec),
        full_tag("inclusiveGateway"): (_ModelOrderGatewayParser, InclusiveGatewaySpec),
    }


class CompiledProcess:
    """One executable process of a deployed file: SpiffWorkflow's specs, their
    serialised form (restored runs need it), and the user tasks' Camunda attributes."""

    def __init__(self, process_key: str, xml: bytes, file_name: str) -> None:
        parser = _Parser()
        parser.add_bpmn_str(xml, filename=file_name)
        self.key = process_key
        self.spec = parser.get_spec(process_key)
        self.subprocess_specs = parser.get_subprocess_specs(process_key)
        self._spec_json = json.dumps(
            {
                "spec": _SERIALIZER.to_dict(self.spec),
                "subprocess_specs": {
                    name: _SERIALIZER.to_dict(spec) for name, spec in self.subprocess_specs.items()
                },
            }
        )
        self.user_tasks = _user_tasks(xml)

    def specs_dict(self) -> dict[str, Any]:
        """A fresh copy of the serialised specs (restoring consumes its dictionary)."""
        loaded: dict[str, Any] = json.loads(self._spec_json)
        return loaded


class ProcessRun:
    """A process instance's tokens: started, or restored from :meth:`state`."""

    def __init__(self, compiled: CompiledProcess, workflow: BpmnWorkflow) -> None:
        self._compiled = compiled
        self._workflow = workflow

    @classmethod
    def start(cls, compiled: CompiledProcess, lookup: VariableLookup) -> ProcessRun:
        workflow = BpmnWorkflow(
            compiled.spec, compiled.subprocess_specs, script_engine=_ConditionsOnly(lookup)
        )
        run = cls(compiled, workflow)
        run._advance()
        return run

    @classmethod
    def restore(cls, compiled: CompiledProcess, state: str, lookup: VariableLookup) -> ProcessRun:
        stored: dict[str, Any] = json.loads(state)
        _SERIALIZER.migrate(stored)
        stored.update(compiled.specs_dict())
        workflow = _SERIALIZER.from_dict(stored)
        workflow.script_engine = _ConditionsOnly(lookup)
        return cls(compiled, workflow)

    @property
    def finished(self) -> bool:
        return bool(self._workflow.is_completed())

    def ready_user_tasks(self) -> list[ReadyUserTask]:
        ready = []
        for task in self._workflow.get_tasks(state=TaskState.READY, manual=True):
            element_id = task.task_spec.bpmn_id
            model = self._compiled.user_tasks.get(element_id)
            if model is None:  # the model check lets no other manual task through
                raise BpmnRunError(f"{element_id} is not a user task this server runs")
            ready.append(ReadyUserTask(str(task.id), model, _executions(task)))
        return ready

    def executions(self) -> set[tuple[str, ...]]:
        """Every execution path a ready user task is in, with its ancestors' paths."""
        paths: set[tuple[str, ...]] = set()
        for task in self.ready_user_tasks():
            for depth in range(1, len(task.executions) + 1):
                paths.add(task.executions[:depth])
        return paths

    def complete(self, task_id: str) -> None:
        """Run the ready user task ``task_id`` and everything up to the next waits."""
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            task = None
        if task is None or task.state != TaskState.READY:
            raise BpmnRunError(f"task {task_id} is not waiting in this process instance")
        task.run()
        self._advance()

    def state(self) -> str:
        """The tokens, as JSON, without the specs (they come from the deployed file)."""
        converted: dict[str, Any] = _SERIALIZER.to_dict(self._workflow)
        converted.pop("spec", None)
        converted.pop("subprocess_specs", None)
        converted[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
        return json.dumps(converted, separators=(",", ":"))

    def _advance(self) -> None:
        try:
            self._workflow.do_engine_steps()
        except BpmnRunError:
            raise
        except Exception as error:
            # SpiffWorkflow wraps what a condition raised (WorkflowTaskException): a
            # condition's own error is the model's; the store's (a lost connection, a
            # full disk, a lost lock) goes on as it is, to be answered as such.
            cause = _first_cause(error)
            if isinstance(cause, BpmnRunError):
                raise cause from error
            if not type(cause).__module__.startswith("SpiffWorkflow"):
                raise cause from error
            raise BpmnRunError(str(cause)) from error


def compiled_process(
    definition_id: str, process_key: str, load: Callable[[], tuple[bytes, str]]
) -> CompiledProcess:
    """The compiled process of ``definition_id``; ``load`` gives its file and file name
    when it is not compiled yet in this server process."""
    with _CACHE_LOCK:
        cached = _CACHE.get(definition_id)
        if cached is not None:
            _CACHE.move_to_end(definition_id)
            return cached
    xml, file_name = load()
    compiled = CompiledProcess(process_key, xml, file_name)
    with _CACHE_LOCK:
        _CACHE[definition_id] = compiled
        while len(_CACHE) > COMPILED_CACHE_SIZE:
            _CACHE.popitem(last=False)
    return compiled


class _ConditionsOnly(PythonScriptEngine):  # type: ignore[misc]
    """SpiffWorkflow's script engine, reduced to what this server runs: a condition in
    the supported expression subset (:mod:`.expressions`), evaluated over the variables
    it names, read from the store. Scripts never run (the model check refused them)."""

    def __init__(self, lookup: VariableLookup) -> None:
        super().__init__()
        self._lookup = lookup

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            compiled = compile_expression(expression)
            names = compiled.names
            values = self._lookup(_executions(task), names) if names else {}
            return compiled.evaluate_condition(values.__getitem__)
        except ExpressionError as error:
            raise BpmnRunError(str(error)) from error

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        raise BpmnRunError("scripts are not run by this server")

    def call_service(self, *args: Any, **kwargs: Any) -> Any:
        raise BpmnRunError("service tasks are not run by this server")


def _executions(task: Any) -> tuple[str, ...]:
    """The execution ids of ``task`` below the process instance (see the module doc)."""
    path: list[str] = []
    workflow = task.workflow
    current = task
    while True:
        branch = _branch_of(current)
        if branch is not None:
            path.append(branch)
        if not isinstance(workflow, BpmnSubWorkflow):
            break
        path.append(str(workflow.parent_task_id))
        current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        workflow = current.workflow
    return tuple(reversed(path))


def _branch_of(task: Any) -> str | None:
    """The id of the first task of the parallel branch ``task`` runs in, within its own
    (sub-)process; ``None`` when it runs as the only token there. Walking up the task
    tree, a join passed means the matching split's branch has ended."""
    joins_passed = 0
    current = task
    while current.parent is not None:
        parent = current.parent
        if _is_join(parent.task_spec):
            joins_passed += 1
        if _is_split(parent.task_spec):
            if joins_passed > 0:
                joins_passed -= 1  # the split of a join passed: whatever paths it took
            elif len(parent.children) > 1:
                return str(current.id)
        current = parent
    return None


def _is_split(spec: Any) -> bool:
    return isinstance(spec, ParallelGateway | InclusiveGateway) and len(spec.outputs) > 1


def _is_join(spec: Any) -> bool:
    return isinstance(spec, ParallelGateway | InclusiveGateway) and len(spec.inputs) > 1


def _user_tasks(xml: bytes) -> dict[str, UserTaskModel]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(xml, parser)
    tasks = {}
    for element in root.iter(f"{{{BPMN}}}userTask"):
        documentation = element.find(f"{{{BPMN}}}documentation")
        attributes = {
            name: element.get(f"{{{CAMUNDA}}}{name}")
            for name in _TASK_ATTRIBUTES
            if element.get(f"{{{CAMUNDA}}}{name}") is not None
        }
        tasks[element.get("id")] = UserTaskModel(
            element_id=element.get("id"),
            name=element.get("name"),
            documentation=documentation.text if documentation is not None else None,
            attributes=attributes,
        )
    return tasks


def _first_cause(error: BaseException) -> BaseException:
    seen: set[int] = set()
    current: BaseException = error
    while current.__cause__ is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current.__cause__, BpmnRunError):
            return current.__cause__
        current = current.__cause__
    return current


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(DEFAULT_CONFIG))
_CACHE: OrderedDict[str, CompiledProcess] = OrderedDict()
_CACHE_LOCK = threading.Lock()
