"""SpiffWorkflow, as this server runs it; the only module that imports it.

- One parser (:class:`_Parser`) builds the specs for the deployment check and for runs.
- :class:`CompiledProcess` holds one process's specs, built once per definition
  (:mod:`.runnable_models` keeps them) and shared by every run of it: runs never change
  a spec (the elements this server runs keep no state in their specs), and restoring a
  run reuses them instead of rebuilding them from JSON.
- :class:`WorkflowRun` starts or restores a run, completes a user task and runs the
  engine's steps, and reports what is left as plain values (:mod:`.tree`) with the tasks
  the step completed, in order (SpiffWorkflow's step callbacks).
- Finished parts of a run are pruned once one token is left in a workflow, so that the
  state, and the cost of a step, depends on the model and not on the steps taken.

Variables never enter SpiffWorkflow's task data: a condition asks the runtime for the
names it reads (:data:`VariableReader`), with the ancestry of the task evaluating it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Protocol
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.event_parsers import (
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.parser.task_parsers import ConditionalGatewayParser
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.defaults import EndEvent as EndEventSpec
from SpiffWorkflow.bpmn.specs.defaults import ExclusiveGateway as ExclusiveGatewaySpec
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as InclusiveGatewaySpec
from SpiffWorkflow.bpmn.specs.defaults import IntermediateThrowEvent as IntermediateThrowEventSpec
from SpiffWorkflow.bpmn.specs.defaults import StartEvent as StartEventSpec
from SpiffWorkflow.bpmn.specs.event_definitions.base import EventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import (
    ErrorEventDefinition,
    EscalationEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.simple import (
    NoneEventDefinition,
    TerminateEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import (
    BoundaryEvent,
    IntermediateThrowEvent,
)
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import (
    CamundaBoundaryEventParser,
    CamundaEndEventParser,
    CamundaIntermediateThrowEventParser,
    CamundaStartEventParser,
)
from SpiffWorkflow.camunda.parser.task_spec import (
    CamundaTaskParser,
    SubWorkflowParser,
    UserTaskParser,
)
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from taskvars.engine.artifacts import without_artifacts
from taskvars.engine.async_points import AsyncPoint, async_points
from taskvars.engine.bpmn_xml import BPMN
from taskvars.engine.catch_events import catch_activity_type
from taskvars.engine.expressions import ExecutionView, ExpressionError, compile_expression
from taskvars.engine.gateway_defaults import with_assumed_defaults
from taskvars.engine.loops import LoopCharacteristics, LoopCounters, LoopEvaluator, body_id
from taskvars.engine.message_throws import ACTIVITY_TYPES as MESSAGE_THROW_TYPES
from taskvars.engine.message_throws import service_task_like
from taskvars.engine.spiff_loops import (
    LOOP_COUNTER,
    LoopParsing,
    LoopRunError,
    MultiInstanceBody,
    counters_of,
)
from taskvars.engine.tree import (
    BOUNDARY_EVENT_KINDS,
    BOUNDARY_KINDS,
    SCOPE_MARK,
    START_KINDS,
    NodeKind,
    NodeState,
    RunSnapshot,
    TaskNode,
    WorkflowTree,
)

# ``(ancestry, names) -> values``: the variables of ``names`` visible to the task whose
# ancestry (its id, its ancestors' ids, crossing out of sub-processes) is given.
VariableReader = Callable[[Sequence[str], frozenset[str]], dict[str, Any]]
# ``execution`` of a condition: from the evaluating task's ancestry and its element id.
ExecutionFinder = Callable[[Sequence[str], str | None], ExecutionView]


class ActivityListener(Protocol):
    """Told, as SpiffWorkflow runs a step, where Camunda runs an activity's input/output
    mappings (:mod:`.io_mappings`): a sub-process's scope beginning (before anything
    inside it runs) and an activity ending (before the run goes on past it, so that what
    comes next reads what the mapping wrote). Ids are SpiffWorkflow task ids;
    ``ancestry`` is the activity's own (see :func:`_ancestry`)."""

    def scope_started(self, task_id: str, element_id: str, ancestry: Sequence[str]) -> None: ...

    def activity_ending(self, task_id: str, element_id: str, ancestry: Sequence[str]) -> None: ...


@dataclass(frozen=True)
class Caught:
    """An error or escalation thrown in a step and caught: the throwing and the catching
    event's element ids and the code (``None``: an error end event naming no error)."""

    thrower_id: str
    catcher_id: str
    code: str | None


class BpmnRunError(RuntimeError):
    """The model could not be run on (a condition failed); the message says why."""


class SpecBuildError(ValueError):
    """SpiffWorkflow could not build a process of a model."""

    def __init__(self, reason: str, element_id: str | None, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.element_id = element_id
        self.line = line


class _ModelOrderGatewayParser(ConditionalGatewayParser):  # type: ignore[misc]
    """Camunda takes the first outgoing flow whose condition holds in the order the model
    lists them; SpiffWorkflow orders a gateway's flows by where their targets are drawn
    (top first). One position for every target keeps the model's order (the sort that
    orders them is stable)."""

    def get_position(self, node: Any = None) -> dict[str, float]:
        return {"x": 0.0, "y": 0.0}


class ExternalServiceTask(BpmnSpecMixin):  # type: ignore[misc]
    """A service, send or business rule task with ``camunda:type="external"``: it waits
    (``manual``, so the engine's steps stop at it) until a worker completes it or raises
    a BPMN error from it. ``activity_type`` is the element's, as Camunda reports it."""

    def __init__(
        self, wf_spec: Any, bpmn_id: str, activity_type: str = "serviceTask", **kwargs: Any
    ) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True
        self.activity_type = activity_type


class _ExternalTaskParser(LoopParsing, CamundaTaskParser):  # type: ignore[misc]
    @staticmethod
    def get_decision_ref(node: Any) -> None:
        """An external business rule task decides nothing here (SpiffWorkflow's DMN
        parser asks every business rule task which decision it names)."""
        return None

    def create_task(self) -> ExternalServiceTask:
        activity_type = etree.QName(self.node).localname
        return ExternalServiceTask(
            self.spec, self.bpmn_id, activity_type=activity_type, **self.bpmn_attributes
        )


class PassThroughTask(BpmnSpecMixin):  # type: ignore[misc]
    """A ``task`` or ``manualTask``: Camunda's ``TaskActivityBehavior`` leaves it as soon
    as it is entered (SpiffWorkflow's own specs for them wait, ``manual``).
    ``activity_type`` is the element's, as Camunda reports it."""

    def __init__(self, wf_spec: Any, bpmn_id: str, activity_type: str = "task", **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.activity_type = activity_type


class _PassThroughParser(CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> PassThroughTask:
        activity_type = etree.QName(self.node).localname
        return PassThroughTask(
            self.spec, self.bpmn_id, activity_type=activity_type, **self.bpmn_attributes
        )


class _LoopUserTaskParser(LoopParsing, UserTaskParser):  # type: ignore[misc]
    pass


class _LoopSubWorkflowParser(LoopParsing, SubWorkflowParser):  # type: ignore[misc]
    pass


class CalledProcessTask(BpmnSpecMixin):  # type: ignore[misc]
    """A call activity: it waits (``manual``) while the process it calls runs as a
    process instance of its own, never as a sub-workflow of this run (the runtime
    completes it when that instance ends, :mod:`.call_activities`)."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True


class _CallActivityParser(LoopParsing, CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> CalledProcessTask:
        return CalledProcessTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class _ThrownByTheRun:
    """An error or escalation end event, an escalation intermediate throw event: the run
    propagates what it throws (:meth:`WorkflowRun._did_run`, as Camunda's
    ``ErrorEndEventActivityBehavior`` and ``ThrowEscalationEventActivityBehavior`` do),
    not SpiffWorkflow's event manager (which knows no event sub-process of a
    sub-process, and no Camunda order of catchers)."""

    event_definition: Any

    def _run_hook(self, my_task: Any) -> Any:
        if isinstance(self.event_definition, ErrorEventDefinition | EscalationEventDefinition):
            return True
        return super()._run_hook(my_task)  # type: ignore[misc]


class CodeThrowingEndEvent(_ThrownByTheRun, EndEventSpec):  # type: ignore[misc]
    pass


class CodeThrowingIntermediateEvent(_ThrownByTheRun, IntermediateThrowEventSpec):  # type: ignore[misc]
    pass


class _CodeStartEventParser(CamundaStartEventParser):  # type: ignore[misc]
    """SpiffWorkflow's start event parser, reading error and escalation start events too
    (the start events of event sub-processes; it reads them as none start events)."""

    def create_task(self) -> Any:
        event_definition = self.get_event_definition(
            [
                MESSAGE_EVENT_XPATH,
                SIGNAL_EVENT_XPATH,
                TIMER_EVENT_XPATH,
                CONDITIONAL_EVENT_XPATH,
                ERROR_EVENT_XPATH,
                ESCALATION_EVENT_XPATH,
            ]
        )
        task = self._create_task(event_definition)
        self.spec.start.connect(task)
        return task


class CatchWait(BpmnSpecMixin):  # type: ignore[misc]
    """An intermediate timer, message or signal catch event or a receive task: it waits
    (``manual``) until the runtime fires it (:mod:`.events`). SpiffWorkflow's own event
    definitions are never used: they would compare ``datetime.now()`` and evaluate Python
    (the runtime arms timers and subscriptions itself, :mod:`.catch_waits`).
    ``activity_type`` is Camunda's (``intermediateTimer``, ``receiveTask``, ...)."""

    def __init__(
        self, wf_spec: Any, bpmn_id: str, activity_type: str = "receiveTask", **kwargs: Any
    ):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True
        self.activity_type = activity_type


class EventGatewayWait(BpmnSpecMixin):  # type: ignore[misc]
    """An event-based gateway: the token waits at it (``manual``) while the catch events
    its flows lead to are armed (:mod:`.event_waits`); the first fired wins
    (:meth:`WorkflowRun.fire`): the gateway goes on along that flow only, and the event
    there runs at once. Its branches are predicted children until then, each the wait
    its events fire."""

    def __init__(self, wf_spec: Any, bpmn_id: str, **kwargs: Any) -> None:
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.manual = True
        self.activity_type = "eventBasedGateway"

    def _predict_hook(self, my_task: Any) -> None:
        my_task._sync_children(self.outputs, state=TaskState.MAYBE)

    def _run_hook(self, my_task: Any) -> bool:
        chosen = my_task.internal_data.get(_CHOSEN)
        my_task._sync_children([s for s in self.outputs if s.name == chosen], TaskState.FUTURE)
        return True


_CHOSEN = "chosen_branch"


class _EventGatewayParser(CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> EventGatewayWait:
        return EventGatewayWait(self.spec, self.bpmn_id, **self.bpmn_attributes)

    def handles_multiple_outgoing(self) -> bool:
        return True


class _CatchWaitParser(CamundaTaskParser):  # type: ignore[misc]
    def create_task(self) -> CatchWait:
        return CatchWait(
            self.spec,
            self.bpmn_id,
            activity_type=catch_activity_type(self.node),
            **self.bpmn_attributes,
        )


class ArmedEventDefinition(EventDefinition):  # type: ignore[misc]
    """A timer, message or signal of a boundary event, armed and fired by the runtime
    (:mod:`.event_waits`, :meth:`WorkflowRun.fire`): it has fired when the runtime says
    so (SpiffWorkflow's base ``has_fired`` reads the flag only). SpiffWorkflow's own timer
    definitions would compare ``datetime.now()`` and evaluate Python; they are never built.
    ``kind`` is ``timer``, ``message`` or ``signal``."""

    def __init__(self, kind: str, element_id: str, event_name: str | None = None) -> None:
        super().__init__(name=element_id)
        self.kind = kind
        self.event_name = event_name  # a thrown signal's name

    def throw(self, my_task: Any) -> None:
        """Thrown signals leave the run (:attr:`WorkflowRun.thrown`): the runtime
        broadcasts them to every subscription, this run's own included."""
        return None

    def catches(self, my_task: Any, event: Any) -> bool:
        return event.event_definition is self

    def __eq__(self, other: object) -> bool:
        return other is self

    __hash__ = object.__hash__


class _ArmedEventParsing:
    """Timer, message and signal definitions read as :class:`ArmedEventDefinition`."""

    node: Any

    def parse_timer_event(self, event: Any) -> ArmedEventDefinition:
        return ArmedEventDefinition("timer", str(self.node.get("id")))

    def parse_message_event(self, event: Any) -> ArmedEventDefinition:
        return ArmedEventDefinition("message", str(self.node.get("id")))

    def parse_signal_event(self, event: Any) -> ArmedEventDefinition:
        name = super().parse_signal_event(event).name  # type: ignore[misc]
        return ArmedEventDefinition("signal", str(self.node.get("id")), name)

    def parse_conditional_event(self, event: Any) -> ArmedEventDefinition:
        return ArmedEventDefinition("conditional", str(self.node.get("id")))


class _BoundaryEventParser(_ArmedEventParsing, CamundaBoundaryEventParser):  # type: ignore[misc]
    pass


# In a workflow's data while its first step runs: the start event it starts at (a
# message, signal or timer start event's id); the others do not fire.
_START_AT = "taskvars_start_at"


class EventStartEvent(StartEventSpec):  # type: ignore[misc]
    """A start event: a none start event fires at once, as SpiffWorkflow's does, unless the
    run starts at another (:data:`_START_AT`, :func:`.events.start_by_event`); a timer,
    message or signal start event (:class:`ArmedEventDefinition`) fires only when the run
    starts there. The start join cancels the others."""

    def _update_hook(self, my_task: Any) -> Any:
        workflow = my_task.workflow
        chosen = workflow.data.get(_START_AT) if workflow is workflow.top_workflow else None
        if chosen is not None:
            if chosen == self.bpmn_id:
                my_task._set_internal_data(event_fired=True)
            else:
                my_task._set_state(TaskState.WAITING)
                return None
        return super()._update_hook(my_task)


class _StartEventParser(_ArmedEventParsing, _CodeStartEventParser):
    pass


class _ThrowEventParser(_ArmedEventParsing, CamundaIntermediateThrowEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        """A message throw event with camunda:type="external" is an external task, one
        calling code a code task (both wait as ExternalServiceTask)."""
        if service_task_like(self.node) is not None:
            return _message_throw_task(self)
        return super().create_task()


def _message_throw_task(parser: Any) -> ExternalServiceTask:
    """A message throw or end event that runs as a service task (Camunda's CAM-436)."""
    activity_type = MESSAGE_THROW_TYPES[etree.QName(parser.node).localname]
    return ExternalServiceTask(
        parser.spec, parser.bpmn_id, activity_type=activity_type, **parser.bpmn_attributes
    )


class _EndEventParser(_ArmedEventParsing, CamundaEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        """A signal end event too (SpiffWorkflow's end event parser reads no signal),
        and a message end event that runs as a service task."""
        if service_task_like(self.node) is not None:
            task = _message_throw_task(self)
            task.connect(self.spec.end)
            return task
        signals = self.xpath(".//bpmn:signalEventDefinition")
        if signals:
            return self._create_task(self.parse_signal_event(signals[0]))
        return super().create_task()


class _Parser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, tuple[type, type]]] = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("exclusiveGateway"): (_ModelOrderGatewayParser, ExclusiveGatewaySpec),
        full_tag("inclusiveGateway"): (_ModelOrderGatewayParser, InclusiveGatewaySpec),
        # The model check lets these through only with camunda:type="external".
        full_tag("serviceTask"): (_ExternalTaskParser, ExternalServiceTask),
        full_tag("sendTask"): (_ExternalTaskParser, ExternalServiceTask),
        full_tag("businessRuleTask"): (_ExternalTaskParser, ExternalServiceTask),
        full_tag("task"): (_PassThroughParser, PassThroughTask),
        full_tag("manualTask"): (_PassThroughParser, PassThroughTask),
        # Multi-instance read as Camunda reads it (spiff_loops).
        full_tag("userTask"): (
            _LoopUserTaskParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("userTask")][1],
        ),
        full_tag("subProcess"): (
            _LoopSubWorkflowParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("subProcess")][1],
        ),
        # Code tasks wait too: a stand-in completes them (taskvars.engine.stand_in_runs).
        full_tag("scriptTask"): (_ExternalTaskParser, ExternalServiceTask),
        full_tag("callActivity"): (_CallActivityParser, CalledProcessTask),
        # Timer, message and signal catches wait for the runtime (taskvars.engine.events).
        full_tag("intermediateCatchEvent"): (_CatchWaitParser, CatchWait),
        full_tag("receiveTask"): (_CatchWaitParser, CatchWait),
        full_tag("eventBasedGateway"): (_EventGatewayParser, EventGatewayWait),
        # Start events read error and escalation definitions too (event sub-processes),
        # timers, messages and signals as the runtime arms them (ArmedEventDefinition).
        full_tag("startEvent"): (_StartEventParser, EventStartEvent),
        # Errors and escalations thrown are propagated by the run (_ThrownByTheRun),
        # signals broadcast by the runtime (WorkflowRun.thrown).
        full_tag("intermediateThrowEvent"): (_ThrowEventParser, CodeThrowingIntermediateEvent),
        full_tag("endEvent"): (_EndEventParser, CodeThrowingEndEvent),
        full_tag("boundaryEvent"): (
            _BoundaryEventParser,
            CamundaParser.OVERRIDE_PARSER_CLASSES[full_tag("boundaryEvent")][1],
        ),
    }


def _parsed(root: etree._Element, file_name: str) -> _Parser:
    parser = _Parser()
    as_run = without_artifacts(root)  # a copy
    with_assumed_defaults(as_run)
    parser.add_bpmn_xml(as_run, filename=file_name)
    return parser


def check_builds(root: etree._Element, file_name: str, keys: Sequence[str]) -> None:
    """Build every process ``keys`` of a model as a run would; :class:`SpecBuildError`
    names what SpiffWorkflow refused."""
    try:
        parser = _parsed(root, file_name)
        for key in keys:
            parser.get_spec(key)
            parser.get_subprocess_specs(key)
    except ValidationException as error:
        reason = str(error.args[0] if error.args else error).strip().rstrip(".").strip()
        line = getattr(error, "line_number", None)
        raise SpecBuildError(
            reason, getattr(error, "id", None) or None, line if isinstance(line, int) else None
        ) from None


class CompiledProcess:
    """One executable process of a deployed file: SpiffWorkflow's specs, built once."""

    def __init__(self, process_key: str, root: etree._Element, file_name: str) -> None:
        parser = _parsed(root, file_name)
        self.key = process_key
        self.spec = parser.get_spec(process_key)
        self.subprocess_specs = parser.get_subprocess_specs(process_key)
        # Whether it has a none start event (else it starts only at an event's).
        self.none_start = any(
            isinstance(task_spec, StartEvent)
            and not isinstance(task_spec.event_definition, ArmedEventDefinition)
            for task_spec in self.spec.task_specs.values()
        )
        _prepare_event_subprocesses(root, [self.spec, *self.subprocess_specs.values()])
        # Each multi-instance activity's characteristics, by the inner activity's id.
        self.loops = {
            task_spec.loop.element_id: task_spec.loop
            for spec in [self.spec, *self.subprocess_specs.values()]
            for task_spec in spec.task_specs.values()
            if isinstance(task_spec, MultiInstanceBody)
        }
        self.async_points = async_points(root)
        # By element id, the activityType of each element (a transition instance's).
        self.activity_types = {
            spec_id: kind.value
            for spec in [self.spec, *self.subprocess_specs.values()]
            for task_spec in spec.task_specs.values()
            if (spec_id := getattr(task_spec, "bpmn_id", None)) is not None
            and (kind := _kind_or_none(task_spec)) is not None
        }
        _hold_async(self.spec, self.subprocess_specs.values(), self.async_points, set(self.loops))


def _prepare_event_subprocesses(root: etree._Element, specs: Sequence[Any]) -> None:
    """Once, as the specs are built: an event sub-process, once added to its scope
    (:class:`_EventSubprocessStart`), ends into the scope's end join (SpiffWorkflow's
    ``trigger_wf`` connects it at run time, changing a shared spec); each start
    event knows whether it interrupts (``isInterrupting``, default true)."""
    calm = {
        event.get("id")
        for event in root.iter(f"{{{BPMN}}}startEvent")
        if event.get("isInterrupting") == "false"
    }
    for spec in specs:
        for name in getattr(spec.start, "trigger_specs", ()):
            subprocess_spec = spec.task_specs[name]
            if spec.end not in subprocess_spec.outputs:
                subprocess_spec.connect(spec.end)
            if spec.start not in subprocess_spec.inputs:
                # An input (SpiffWorkflow's specs need one to run), not an output of the
                # start: the event sub-process is not started with its scope.
                subprocess_spec._connect_notify(spec.start)
        for start in getattr(spec, "bpmn_start_events", ()):
            start.interrupting = start.bpmn_id not in calm


class WorkflowRun:
    """A process instance's tokens: started, or restored from :meth:`state`."""

    def __init__(self, workflow: BpmnWorkflow, listener: ActivityListener | None = None) -> None:
        self._workflow = workflow
        self._listener = listener
        self.completed: list[str] = []  # the tasks the last step completed, in order
        self.thrown: list[str] = []  # the signals thrown since last taken, in order
        self.thrown_by: list[str] = []  # the task that threw each of them
        # Errors and escalations thrown and caught within the run's steps, in order.
        self.caught: list[Caught] = []
        # Escalations and errors nothing in this run caught (for a caller's call activity).
        self.escalated: list[Caught] = []
        self.uncaught_errors: list[Caught] = []
        # Scopes an interrupting catch cancelled, outermost first (for the mapping).
        self.interrupted: list[str] = []

    @classmethod
    def start(
        cls,
        compiled: CompiledProcess,
        reader: VariableReader,
        listener: ActivityListener | None = None,
        executions: ExecutionFinder | None = None,
        loops: LoopEvaluator | None = None,
        start_event: str | None = None,
    ) -> WorkflowRun:
        """``start_event``: the message, signal or timer start event the run starts at
        (``None``: the none start event)."""
        workflow = BpmnWorkflow(
            compiled.spec,
            compiled.subprocess_specs,
            script_engine=_ConditionsOnly(reader, executions, loops),
        )
        if start_event is None and not compiled.none_start:
            # Camunda's ProcessDefinitionImpl.createProcessInstanceForInitial.
            raise BpmnRunError(
                "Cannot start process instance, initial activity where the process "
                "instance should start is null"
            )
        run = cls(workflow, listener)
        if start_event is not None:
            workflow.data[_START_AT] = start_event
        try:
            run._advance()
        finally:
            workflow.data.pop(_START_AT, None)
        return run

    @classmethod
    def restore(
        cls,
        compiled: CompiledProcess,
        state: dict[str, Any],
        reader: VariableReader,
        listener: ActivityListener | None = None,
        executions: ExecutionFinder | None = None,
        loops: LoopEvaluator | None = None,
    ) -> WorkflowRun:
        stored = dict(state)
        if stored.get(_SERIALIZER.VERSION_KEY) != _SERIALIZER.VERSION:
            _SERIALIZER.migrate(stored)
        else:
            stored.pop(_SERIALIZER.VERSION_KEY)
        stored.pop("spec", None)  # states written before the specs were left out
        stored.pop("subprocess_specs", None)
        workflow = _SERIALIZER.registry.restore(stored, compiled=compiled)
        workflow.script_engine = _ConditionsOnly(reader, executions, loops)
        return cls(workflow, listener)

    @property
    def finished(self) -> bool:
        return bool(self._workflow.is_completed())

    def complete(self, task_id: str) -> None:
        """Run the waiting task ``task_id`` (a user or an external task) and everything up
        to the next waits."""
        task = self._waiting(task_id)
        self.completed = []
        self._ending(task)
        if getattr(task.task_spec, "async_after", False):
            # Camunda's asyncAfter: the activity has ended; the token waits for its job
            # before it takes the outgoing flows (AsyncAfterMessageJobDeclaration).
            task.internal_data[_ASYNC_AFTER] = True
            return
        _run_reporting(task, self.completed)
        self._advance()

    def continue_async(self, task_id: str) -> None:
        """The job of the continuation held at ``task_id`` runs: before the element, the
        element now runs (a user task waits, a gateway decides); after it, the token
        takes the element's outgoing flows. Then everything up to the next waits."""
        task = self._held(task_id)
        self.completed = []
        if task.internal_data.pop(_ASYNC_AFTER, False):
            _run_reporting(task, self.completed)
        else:
            spec = task.task_spec
            before = _async_kind(task) is NodeKind.ASYNC_BEFORE
            task.internal_data[_ASYNC_BEFORE_DONE if before else _ASYNC_AFTER_DONE] = True
            # After its asyncBefore job, an element with asyncAfter held before it runs
            # waits again (for its second job) before it runs.
            if getattr(spec, "runs_itself", False) and _async_kind(task) is None:
                self._will_run(task)
                task.run()
                self._did_run(task)
        self._advance()

    def _held(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            task = None
        if task is None or _async_kind(task) is None:
            raise BpmnRunError(f"no continuation waits at {task_id} in this process instance")
        return task

    def throw_error(self, task_id: str, error_code: str) -> str | None:
        """A BPMN error raised from the waiting task ``task_id``, propagated as Camunda's
        ``BpmnExceptionHandler`` does: the first interrupting error boundary event that
        matches the code, on the task or on a sub-process around it, nearest first,
        catches it and the run goes on from there; returns that event's element id. With
        no catch, the token ends where it is (Camunda's ``execution.end(true)``) and
        ``None`` is returned."""
        task = self._waiting(task_id)
        self.completed = []
        # Camunda runs the output mappings of the activities an error interrupts too
        # (unless skipOutputMappingOnCanceledActivities is set; it is not by default).
        self._ending(task)
        event = BpmnEvent(ErrorEventDefinition(error_code, code=error_code), payload={})
        catcher = _error_catcher(task, event)
        if catcher is None:
            _end_token(task)
        else:
            self._fire(task, catcher, event, cancel_at_once=False)
        self._advance()
        return None if catcher is None else _catcher_id(catcher)

    def fire(self, task_id: str, *, again: bool = True) -> None:
        """Fire the wait ``task_id``: a waiting catch event or receive task runs on (as
        :meth:`complete`); an armed timer, message or signal boundary event catches and
        runs, interrupting its activity or (non-interrupting) beside it, armed again for
        the next time as Camunda's non-interrupting events stay (a new wait, with an id
        of its own; not ``again``: a timer with no repetition left)."""
        task = self._task_or_none(task_id)
        spec = None if task is None else task.task_spec
        gateway = None if task is None else task.parent
        if (
            gateway is not None
            and isinstance(gateway.task_spec, EventGatewayWait)
            and gateway.state == TaskState.READY
        ):
            self._choose(gateway, spec)
            return
        if not (
            isinstance(spec, BoundaryEvent)
            and isinstance(spec.event_definition, ArmedEventDefinition)
            and task.state == TaskState.WAITING
        ):
            self.complete(task_id)
            return
        self.completed = []
        if not spec.cancel_activity and again:
            rearmed = task.parent._add_child(spec, TaskState.WAITING)
            rearmed._sync_children(spec.outputs, TaskState.MAYBE)  # as the split predicted
        spec.catch(task, BpmnEvent(spec.event_definition, payload={}))
        spec._update(task)
        self._advance()

    def _choose(self, gateway: Any, branch_spec: Any) -> None:
        """The event-based gateway ``gateway`` goes on along the branch whose event
        fired, and that event runs at once (it waits for nothing more)."""
        self.completed = []
        gateway.internal_data[_CHOSEN] = branch_spec.name
        self._ending(gateway)
        _run_reporting(gateway, self.completed)
        for branch in gateway.children:
            if branch.task_spec is branch_spec and branch.state == TaskState.READY:
                self._ending(branch)
                _run_reporting(branch, self.completed)
        self._advance()

    def _task_or_none(self, task_id: str) -> Any:
        try:
            return self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            return None

    def is_waiting(self, task_id: str) -> bool:
        """``task_id`` is a task this run waits at (a follow-up's may have been taken)."""
        try:
            self._waiting(task_id)
        except BpmnRunError:
            return False
        return True

    def catches(self, task_id: str, error_code: str) -> bool:
        """Whether a BPMN error thrown from the waiting task ``task_id`` would be caught
        in this run (see :meth:`throw_error`); nothing changes."""
        event = BpmnEvent(ErrorEventDefinition(error_code, code=error_code), payload={})
        return _error_catcher(self._waiting(task_id), event) is not None

    def catches_escalation(self, task_id: str, code: str | None) -> bool:
        """Whether an escalation thrown from the waiting task ``task_id`` (a call
        activity, its called instance escalating) would be caught in this run."""
        event = BpmnEvent(EscalationEventDefinition(code or "", code=code), payload={})
        return _code_catcher(self._waiting(task_id), event, EscalationEventDefinition) is not None

    def throw_escalation(self, task_id: str, code: str | None) -> str | None:
        """An escalation thrown from the waiting task ``task_id`` (see
        :meth:`catches_escalation`): its catcher fires; a non-interrupting one leaves the
        task waiting. Returns the catching event's element id (``None``: uncaught)."""
        task = self._waiting(task_id)
        self.completed = []
        event = BpmnEvent(EscalationEventDefinition(code or "", code=code), payload={})
        catcher = _code_catcher(task, event, EscalationEventDefinition)
        if catcher is None:
            return None
        if _interrupts(catcher):
            self._ending(task)
        self._fire(task, catcher, event, cancel_at_once=False)
        self._advance()
        return _catcher_id(catcher)

    def event_subprocess_starts(self) -> list[tuple[str | None, str]]:
        """The start events of event sub-processes this run's scopes could start now,
        as (scope, start event id): the scope is ``None`` for the process, else the task
        id of the running sub-process. For arming timer, message and signal starts as
        catch events are armed (the engine-events seam); error and escalation starts
        fire when thrown."""
        found: list[tuple[str | None, str]] = []
        top = self._workflow
        scopes = [(None, top)] + [
            (str(task_id), workflow)
            for task_id, workflow in top.subprocesses.items()
            if not workflow.completed
        ]
        for scope_id, workflow in scopes:
            if _interrupted_by_event_subprocess(workflow):
                continue  # Camunda's interrupt removes the scope's jobs and subscriptions
            for starting in _event_subprocess_starts(workflow):
                found.append((scope_id, str(starting.start.bpmn_id)))
        return found

    def start_event_subprocess(self, scope_id: str | None, start_event_id: str) -> None:
        """Start the event sub-process whose start event is ``start_event_id`` in the scope
        ``scope_id`` (see :meth:`event_subprocess_starts`), as its event occurred: an
        interrupting one cancels the scope's other activities first."""
        workflow = self._workflow if scope_id is None else self._subworkflow(scope_id)
        starting = next(
            (s for s in _event_subprocess_starts(workflow) if s.start.bpmn_id == start_event_id),
            None,
        )
        if starting is None:
            raise BpmnRunError(f"no event sub-process starts at {start_event_id} here")
        self.completed = []
        starting.fire(BpmnEvent(starting.start.event_definition, payload={}))
        self._advance()

    def _subworkflow(self, scope_id: str) -> Any:
        try:
            workflow = self._workflow.subprocesses.get(UUID(scope_id))
        except ValueError:
            workflow = None
        if workflow is None or workflow.completed:
            raise BpmnRunError(f"the sub-process {scope_id} is not running in this instance")
        return workflow

    def cancel(self, task_id: str) -> None:
        """Cancel the waiting task ``task_id`` (someone deleted what it waits for), the
        scope it leaves without tokens completed as :meth:`throw_error` does uncaught."""
        task = self._waiting(task_id)
        self.completed = []
        _end_token(task, cancelled=True)
        self._advance()

    def _waiting(self, task_id: str) -> Any:
        try:
            task = self._workflow.get_task_from_id(UUID(task_id))
        except (ValueError, TaskNotFoundException):
            task = None
        if (
            task is None
            or task.state != TaskState.READY
            or not task.task_spec.manual
            or _async_kind(task) is not None
        ):
            raise BpmnRunError(f"task {task_id} is not waiting in this process instance")
        return task

    def snapshot(self) -> RunSnapshot:
        """The tree of the process and of each running sub-process, as plain values."""
        completed = set(self.completed)
        workflows: dict[str | None, WorkflowTree] = {None: _tree(self._workflow, None, completed)}
        for task_id, subworkflow in self._workflow.subprocesses.items():
            parent = _task_or_none(self._workflow, task_id)
            # A sub-process that ended in the step is read too: its tasks' last states
            # say whether a token in it completed or was cancelled.
            if parent is not None and parent.has_state(TaskState.STARTED | TaskState.FINISHED_MASK):
                workflows[str(task_id)] = _tree(subworkflow, str(task_id), completed)
        return RunSnapshot(workflows, self.finished)

    def prune(self) -> None:
        """Drop the finished part of each workflow holding one token (see the module doc)."""
        for workflow in [self._workflow, *self._workflow.subprocesses.values()]:
            _prune(workflow)
        _drop_finished_subprocesses(self._workflow)

    def state(self) -> dict[str, Any]:
        """The tokens, without the specs (they come from the deployed file)."""
        converted: dict[str, Any] = _SERIALIZER.registry.convert(self._workflow)
        converted[_SERIALIZER.VERSION_KEY] = _SERIALIZER.VERSION
        return converted

    def _ending(self, task: Any) -> None:
        if self._listener is not None:
            self._listener.activity_ending(str(task.id), task.task_spec.bpmn_id, _ancestry(task))

    def _propagate(self, task: Any) -> None:
        """The error or escalation the event ``task`` just threw, to its nearest catcher
        (:func:`_code_catcher`): an interrupting one ends the scopes between (their output
        mappings run, as for an error a worker raises) and the activity it is attached
        to; a non-interrupting one runs beside them. Uncaught, an error end event ends
        its token as a none end event would (Camunda's ``execution.end(true)``), an
        escalation does nothing (``ThrowEscalationEventActivityBehavior`` leaves)."""
        definition = task.task_spec.event_definition
        if not isinstance(definition, ErrorEventDefinition | EscalationEventDefinition):
            return
        kind = type(definition)
        event = BpmnEvent(kind(definition.code or "", code=definition.code), payload={})
        catcher = _code_catcher(task, event, kind)
        if catcher is None:
            # Offered to the calling instance's call activity once the step is applied.
            thrown = Caught(str(task.task_spec.bpmn_id), "", definition.code)
            if kind is EscalationEventDefinition:
                self.escalated.append(thrown)
            else:
                self.uncaught_errors.append(thrown)
            return
        # At once: the thrower's sub-process must not complete in this step's steps.
        self._fire(task, catcher, event, cancel_at_once=True)
        self.caught.append(
            Caught(str(task.task_spec.bpmn_id), _catcher_id(catcher), definition.code)
        )

    def _fire(self, thrower: Any, catcher: Any, event: Any, *, cancel_at_once: bool) -> None:
        """``catcher`` (a boundary event or an event sub-process) catches ``event`` thrown
        from ``thrower``; the scopes an interrupting one leaves run their output mappings
        first."""
        if _interrupts(catcher):
            left = _scopes_left(thrower, catcher)
            for scope in left:
                self._ending(scope)
            self.interrupted.extend(str(scope.id) for scope in reversed(left))
        if isinstance(catcher, _EventSubprocessStart):
            catcher.fire(event)
            return
        if not _interrupts(catcher):
            # Armed again for the next throw, as Camunda's non-interrupting events stay
            # (a new waiting task beside it, as h/events re-arms its boundary events).
            rearmed = catcher.parent._add_child(catcher.task_spec, TaskState.WAITING)
            rearmed._sync_children(catcher.task_spec.outputs, TaskState.MAYBE)
        catcher.task_spec.catch(catcher, event)
        catcher.task_spec._update(catcher)
        if cancel_at_once and _interrupts(catcher):
            _attached(catcher).cancel()

    def _will_run(self, task: Any) -> None:
        """A sub-process task made ready again has finished its workflow: it ends; a start
        event inside a sub-process's workflow begins that sub-process's scope."""
        if self._listener is None:
            return
        spec = task.task_spec
        if isinstance(spec, SubWorkflowTask):
            self._ending(task)
        elif isinstance(spec, StartEvent) and isinstance(task.workflow, BpmnSubWorkflow):
            workflow = task.workflow
            owner = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            self._listener.scope_started(str(owner.id), owner.task_spec.bpmn_id, _ancestry(owner))

    def _did_run(self, task: Any) -> None:
        self.completed.append(str(task.id))
        definition = getattr(task.task_spec, "event_definition", None)
        if (
            isinstance(definition, ArmedEventDefinition)
            and definition.kind == "signal"
            and isinstance(task.task_spec, IntermediateThrowEvent | EndEvent)
        ):
            self.thrown.append(definition.event_name or definition.name)
            self.thrown_by.append(str(task.id))
        if isinstance(task.task_spec, _ThrownByTheRun):
            self._propagate(task)
        if isinstance(task.task_spec, BoundaryEvent):  # it may have cancelled a body
            _close_orphaned_subprocesses(self._workflow)
        if len(self.completed) % _DEPTH_CHECK_EVERY == 0:
            _refuse_too_deep(task)

    def _advance(self) -> None:
        try:
            _do_engine_steps(self._workflow, self._will_run, self._did_run)
            last = self._workflow.last_task
            if last is not None:
                _refuse_too_deep(last)
        except BpmnRunError:
            raise
        except Exception as error:
            # SpiffWorkflow wraps what a condition raised (WorkflowTaskException): a
            # condition's own error is the model's; the store's (a lost connection, a
            # full disk, a lost lock) goes on as it is, to be answered as such.
            cause = _first_cause(error)
            if isinstance(cause, BpmnRunError):
                raise cause from error
            if isinstance(cause, LoopRunError | ExpressionError):
                raise BpmnRunError(str(cause)) from error
            if not type(cause).__module__.startswith("SpiffWorkflow"):
                raise cause from error
            raise BpmnRunError(str(cause)) from error


def _do_engine_steps(
    workflow: Any, will_run: Callable[[Any], None], did_run: Callable[[Any], None]
) -> None:
    """SpiffWorkflow 3.2's ``BpmnWorkflow.do_engine_steps``, but a task is run only if it
    is still ready when its turn comes: its loop runs a list of the ready tasks taken
    beforehand, and an error or escalation caught earlier in that list (the run's own
    propagation, :meth:`WorkflowRun._did_run`) may have cancelled the later ones."""
    while _engine_pass(workflow, will_run, did_run):
        pass
    workflow.refresh_timers()


def _engine_pass(
    workflow: Any, will_run: Callable[[Any], None], did_run: Callable[[Any], None]
) -> bool:
    def update(current: Any) -> int:
        count = 0
        for task in current.get_tasks(state=TaskState.READY):
            if task.task_spec.manual or task.state != TaskState.READY:
                continue
            will_run(task)
            task.run()
            count += 1
            did_run(task)
        return count

    active = workflow.get_active_subprocesses()
    for subprocess in sorted(active, key=lambda v: v.depth, reverse=True):
        while update(subprocess) > 0:
            pass
        if subprocess.parent_task_id is not None:
            task = workflow.get_task_from_id(subprocess.parent_task_id)
            task.task_spec._update(task)
    count = update(workflow)
    return count > 0 or len(workflow.get_active_subprocesses()) > len(active)


# SpiffWorkflow looks for the tasks to run no deeper than 1000 levels of its task tree
# (TaskIterator's max_depth): past that a run would look finished while it is not. A
# loop that never waits gets there within one step (Camunda's would run until its stack
# overflows); it is refused well before, with the step rolled back. So is, over many
# steps, a loop that waits but runs beside another branch's token (nothing is pruned
# then): about 250 turns of a task and a gateway, after which that instance is stuck.
MAX_TREE_DEPTH = 500
_DEPTH_CHECK_EVERY = 50


def _refuse_too_deep(task: Any) -> None:
    if task.depth > MAX_TREE_DEPTH:
        # Deep within one step: a loop that never waits. Across steps: a loop repeated
        # beside another branch's token, whose finished part is not pruned (_prune).
        raise BpmnRunError(
            f"the run went more than {MAX_TREE_DEPTH} activities deep "
            f"(at {getattr(task.task_spec, 'bpmn_id', None) or task.task_spec.name}): "
            "a loop that never waits, or one repeated that often while another branch waits"
        )


class _ConditionsOnly(PythonScriptEngine):  # type: ignore[misc]
    """SpiffWorkflow's script engine, reduced to what this server runs: a condition in
    the supported expression subset (:mod:`.expressions`), evaluated over the variables
    it names, read through the runtime. Scripts never run (the model check refused them)."""

    def __init__(
        self,
        reader: VariableReader,
        executions: ExecutionFinder | None,
        loops: LoopEvaluator | None = None,
    ) -> None:
        super().__init__()
        self._reader = reader
        self._executions = executions
        self._loops = loops

    # spiff_loops.LoopEngine: a multi-instance body's questions, for one of its tasks.
    def loop_size(self, task: Any, loop: LoopCharacteristics) -> int:
        return self._asked_loops().size(_ancestry(task), loop)

    def loop_completed(self, task: Any, loop: LoopCharacteristics, counters: LoopCounters) -> bool:
        return self._asked_loops().completed(_ancestry(task), loop, counters)

    def _asked_loops(self) -> LoopEvaluator:
        if self._loops is None:
            raise BpmnRunError("this run cannot evaluate multi-instance activities")
        return self._loops

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            compiled = compile_expression(expression)
            ancestry = _ancestry(task)
            names = compiled.names
            values = self._reader(ancestry, names) if names else {}

            def resolve(name: str) -> Any:
                # What `names` did not know (a name beside execution/task) is read now.
                if name in names:
                    return values[name]
                return self._reader(ancestry, frozenset({name}))[name]

            execution = None
            if "execution" in compiled.uses and self._executions is not None:
                # It sees what the condition sees: the names already read are not read again.
                execution = replace(
                    self._executions(ancestry, task.task_spec.bpmn_id), read=resolve
                )
            return compiled.evaluate_condition(resolve, execution=execution)
        except ExpressionError as error:
            raise BpmnRunError(str(error)) from error

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        raise BpmnRunError("scripts are not run by this server")

    def call_service(self, *args: Any, **kwargs: Any) -> Any:
        raise BpmnRunError("service tasks are not run by this server")


class _ReusedSpecsConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """SpiffWorkflow's workflow converter, writing no specs and restoring onto the
    compiled ones (rebuilding them from JSON was almost half of a restore)."""

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        converted: dict[str, Any] = super(BpmnWorkflowConverter, self).to_dict(workflow)
        converted["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        converted["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return converted

    def from_dict(self, dct: dict[str, Any], compiled: CompiledProcess | None = None) -> Any:
        if compiled is None:
            return super().from_dict(dct)
        workflow = self.target_class(compiled.spec, compiled.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _error_catcher(task: Any, event: Any) -> Any:
    """The waiting error boundary event that catches ``event`` thrown from ``task``: on
    the task itself, else on the sub-process around it, and so on outwards. On one
    activity, an event naming the code wins over one that catches every error (Camunda's
    ``ErrorEventDefinition`` comparator)."""
    return _code_catcher(task, event, ErrorEventDefinition)


def _code_catcher(task: Any, event: Any, kind: type[Any]) -> Any:
    """What catches ``event`` of ``kind`` (error or escalation) thrown from ``task``: a
    waiting boundary event (see :func:`_error_catcher`) or an event sub-process
    (:class:`_EventSubprocessStart`), scope by scope outwards as Camunda's
    ``ErrorDeclarationForProcessInstanceFinder`` and ``EscalationEventDefinitionFinder``
    walk them. In one scope an event sub-process comes before a boundary event on the
    sub-process (``BpmnParse`` gives an event sub-process's error start event precedence
    10, a boundary event 0)."""
    code = event.event_definition.code
    current = task
    inside: list[Any] = []  # the event sub-processes around the thrower
    while current is not None:
        if current.parent is not None and isinstance(current.parent.task_spec, MultiInstanceBody):
            current = current.parent  # boundary events are the body's (getMultiInstanceScope)
        split = current.parent
        if split is not None and isinstance(split.task_spec, BoundaryEventSplit):
            candidates = [
                sibling
                for sibling in split.children
                if sibling is not current
                and isinstance(sibling.task_spec, BoundaryEvent)
                and isinstance(sibling.task_spec.event_definition, kind)
                and sibling.state == TaskState.WAITING
                and sibling.task_spec.catches(sibling, event)
            ]
            if candidates:
                candidates.sort(key=lambda c: c.task_spec.event_definition.code != code)
                return candidates[0]
        workflow = current.workflow
        # One does not catch what is thrown inside it (isReThrowingErrorEventSubprocess).
        started = [
            c for c in _event_subprocess_catchers(workflow, event, kind) if c.spec not in inside
        ]
        if started:
            return started[0]
        current = (
            workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            if isinstance(workflow, BpmnSubWorkflow)
            else None
        )
        if current is not None:
            inside.append(current.task_spec)
    return None


@dataclass(frozen=True)
class _EventSubprocessStart:
    """An event sub-process of ``workflow`` (the process's, or a sub-process's) whose start
    event ``start`` catches a thrown event: Camunda's ``EventSubProcessStartEventActivity-
    Behavior``. SpiffWorkflow adds such a sub-process only for events its event manager
    routes, and only in the process (``BpmnStartTask.trigger_wf``); here it is added to
    the scope that catches, and an interrupting start cancels the scope's other tokens
    first (SpiffWorkflow's would leave them running)."""

    workflow: Any
    spec: Any
    start: Any

    @property
    def cancel_activity(self) -> bool:
        return bool(getattr(self.start, "interrupting", True))

    def fire(self, event: Any) -> None:
        root = self.workflow.task_tree  # a sub-process's is its Start task
        if self.cancel_activity:
            for child in list(root.children):
                child.cancel()
        added = root._add_child(self.spec, TaskState.FUTURE)
        added.triggered = True
        self.spec._predict(added, mask=TaskState.FUTURE)  # its path on, to the scope's end
        self.spec._update(added)  # its workflow starts; the start event waits
        subworkflow = self.workflow.top_workflow.subprocesses[added.id]
        for waiting in subworkflow.get_tasks(state=TaskState.WAITING):
            if waiting.task_spec is self.start:
                waiting.task_spec.catch(waiting, event)
                waiting.task_spec._update(waiting)


def _event_subprocess_catchers(workflow: Any, event: Any, kind: type[Any]) -> list[Any]:
    """The event sub-processes of ``workflow`` that catch ``event``, one naming the code
    before one that catches every code."""
    found = [
        starting
        for starting in _event_subprocess_starts(workflow)
        if isinstance(starting.start.event_definition, kind)
        and starting.start.event_definition.catches(None, event)
    ]
    found.sort(key=lambda c: c.start.event_definition.code != event.event_definition.code)
    return found


def _event_subprocess_starts(workflow: Any) -> list[_EventSubprocessStart]:
    """Every event sub-process of ``workflow``'s scope, by its start event."""
    spec = workflow.spec
    found = []
    for name in getattr(spec.start, "trigger_specs", ()):
        subprocess_spec = spec.task_specs[name]
        started = workflow.top_workflow.subprocess_specs.get(subprocess_spec.spec)
        for start in getattr(started, "bpmn_start_events", ()):
            found.append(_EventSubprocessStart(workflow, subprocess_spec, start))
    return found


def _interrupted_by_event_subprocess(workflow: Any) -> bool:
    """Whether an interrupting event sub-process runs in ``workflow``'s scope."""
    names = set(getattr(workflow.spec.start, "trigger_specs", ()))
    for child in workflow.task_tree.children:
        if child.task_spec.name not in names or child.has_state(TaskState.FINISHED_MASK):
            continue
        started = workflow.top_workflow.subprocess_specs.get(child.task_spec.spec)
        if any(getattr(s, "interrupting", True) for s in getattr(started, "bpmn_start_events", ())):
            return True
    return False


def _catcher_id(catcher: Any) -> str:
    if isinstance(catcher, _EventSubprocessStart):
        return str(catcher.start.bpmn_id)
    return str(catcher.task_spec.bpmn_id)


def _interrupts(catcher: Any) -> bool:
    if isinstance(catcher, _EventSubprocessStart):
        return catcher.cancel_activity
    return bool(catcher.task_spec.cancel_activity)


def _attached(catcher: Any) -> Any:
    """The activity the boundary event ``catcher`` is attached to."""
    return next(c for c in catcher.parent.children if not isinstance(c.task_spec, BoundaryEvent))


def _scopes_left(task: Any, catcher: Any) -> list[Any]:
    """The sub-process tasks an error thrown from ``task`` and caught by the boundary
    event ``catcher`` interrupts, innermost first: those around ``task`` up to the one
    ``catcher`` is attached to (none when it is attached to ``task``); for an event
    sub-process, those around ``task`` inside its scope."""
    if isinstance(catcher, _EventSubprocessStart):
        left: list[Any] = []
        current = task
        while current.workflow is not catcher.workflow:
            workflow = current.workflow
            current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
            left.append(current)
        return left
    attached = _attached(catcher)
    left = []
    current = task
    while current is not attached and isinstance(current.workflow, BpmnSubWorkflow):
        workflow = current.workflow
        current = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        left.append(current)
    return left


def _end_token(task: Any, cancelled: bool = False) -> None:
    """End the token at ``task`` with its activity (boundary events included), and
    complete the scope it leaves without tokens, as Camunda's ``execution.end(true)``:
    an emptied sub-process goes on past its end, an emptied process ends. A
    ``cancelled`` instance of a multi-instance body is no completion of it."""
    split = task.parent
    if split is not None and isinstance(split.task_spec, BoundaryEventSplit):
        for child in list(split.children):
            child.cancel()
    else:
        task.cancel()
    body = task.parent
    if cancelled and body is not None and isinstance(body.task_spec, MultiInstanceBody):
        body.task_spec.instance_cancelled(task)
    elif body is not None and isinstance(body.task_spec, MultiInstanceBody):
        # An instance's end counts as its completion for the body (PvmAtomicOperation-
        # ActivityEnd calls concurrentChildExecutionEnded / complete).
        body.task_spec.instance_ended(task.workflow, task)
        return
    workflow = task.workflow
    if not workflow.completed and workflow.is_completed():
        workflow.completed_event(workflow)


def _run_reporting(task: Any, completed: list[str]) -> None:
    task.run()
    completed.append(str(task.id))


_LIVE_STATES = TaskState.READY | TaskState.STARTED | TaskState.WAITING


def _tree(workflow: Any, scope_task_id: str | None, completed: set[str]) -> WorkflowTree:
    nodes: dict[str, TaskNode] = {}
    for task in _tree_order(workflow):
        task_id = str(task.id)
        spec = task.task_spec
        held = _async_kind(task)
        kind = held or _kind(spec)
        body = isinstance(spec, MultiInstanceBody)
        nodes[task_id] = TaskNode(
            id=task_id,
            parent_id=_parent_id(task),
            element_id=body_id(spec.bpmn_id) if body else getattr(spec, "bpmn_id", None),
            name=None if body else getattr(spec, "bpmn_name", None),
            kind=kind,
            state=_state(task, kind),
            # A body's instances are not paths out of it (they hang below it, counted).
            children=tuple(
                str(child.id)
                for child in task.children
                if _path_taken(child) and not (body and LOOP_COUNTER in child.internal_data)
            ),
            merged=task_id in completed and _merged(task),
            loop=counters_of(task) if body else None,
            loop_counter=_loop_counter(task),
            element_kind=None if held is None else _kind(spec),
        )
    return WorkflowTree(scope_task_id, nodes)


# Asynchronous continuations (see :func:`_hold_async`), in a task's internal_data: its
# asyncBefore job has run; it ended and waits for its asyncAfter job.
_ASYNC_BEFORE_DONE = "asyncBeforeDone"
_ASYNC_AFTER = "asyncAfterHeld"
# Its asyncAfter job has run (an element held before it runs, see _RUN_LATER_SPECS).
_ASYNC_AFTER_DONE = "asyncAfterDone"
# The elements whose asyncBefore holds a token here (and the process's none start
# event, _holdable). Others with the attribute (a sub-process, a multi-instance
# activity, a boundary or catch event) run on at once (async_points.runs_on_at_once).
_ASYNC_BEFORE_SPECS = (
    UserTask,
    ExternalServiceTask,
    PassThroughTask,
    CalledProcessTask,
    ExclusiveGateway,
    InclusiveGateway,
    ParallelGateway,
    IntermediateThrowEvent,
    EndEvent,
)
# asyncAfter holds a token after the tasks that wait anyway (complete() ends them).
_ASYNC_AFTER_SPECS = (UserTask, ExternalServiceTask, CalledProcessTask)
# Elements that do nothing when they run (a none start or throw event, a task): their
# asyncAfter holds the token before they run in SpiffWorkflow, which runs them when the
# job does; the mapping records their activity as ended where the token stopped.
_RUN_LATER_SPECS = (StartEvent, PassThroughTask, IntermediateThrowEvent)


def _hold_async(
    process: Any, subprocesses: Iterable[Any], points: dict[str, AsyncPoint], loops: set[str]
) -> None:
    """Mark the specs of the elements with a continuation, once, as they are compiled.

    A token stops at READY before such an element: the spec is made ``manual`` (so
    SpiffWorkflow's engine steps leave it), and a READY task of it is read as an
    asyncBefore wait (:func:`_async_kind`) until its job has run, which marks that task
    (not the spec: every other token still stops) and runs it if SpiffWorkflow would
    have (``runs_itself``). asyncAfter is a mark set by :meth:`WorkflowRun.complete`,
    or for an element that does nothing, a hold before it runs (``async_after_run``)."""
    for spec in [process, *subprocesses]:
        for task_spec in spec.task_specs.values():
            point = points.get(getattr(task_spec, "bpmn_id", None) or "")
            if point is None or not _holdable(task_spec, point, loops, top=spec is process):
                continue
            if point.before and isinstance(task_spec, (*_ASYNC_BEFORE_SPECS, StartEvent)):
                task_spec.async_before = True
            if point.after and isinstance(task_spec, _ASYNC_AFTER_SPECS):
                task_spec.async_after = True
            elif point.after and isinstance(task_spec, _RUN_LATER_SPECS):
                task_spec.async_after_run = True
            if getattr(task_spec, "async_before", False) or getattr(
                task_spec, "async_after_run", False
            ):
                task_spec.runs_itself = not task_spec.manual
                task_spec.manual = True


def _holdable(task_spec: Any, point: AsyncPoint, loops: set[str], *, top: bool) -> bool:
    """Not a multi-instance activity, a boundary event, a start event of a sub-process
    or one with an event definition (see async_points.HELD_BEFORE)."""
    if point.element_id in loops or isinstance(task_spec, BoundaryEvent | MultiInstanceBody):
        return False
    if isinstance(task_spec, StartEvent | IntermediateThrowEvent):
        none = isinstance(task_spec.event_definition, NoneEventDefinition)
        return none and (top or not isinstance(task_spec, StartEvent))
    return True


def _kind_or_none(spec: Any) -> NodeKind | None:
    try:
        return _kind(spec)
    except BpmnRunError:
        return None


def _async_kind(task: Any) -> NodeKind | None:
    """The continuation ``task`` holds a token at, if any."""
    if task.state != TaskState.READY:
        return None
    if task.internal_data.get(_ASYNC_AFTER):
        return NodeKind.ASYNC_AFTER
    spec, data = task.task_spec, task.internal_data
    if getattr(spec, "async_before", False) and not data.get(_ASYNC_BEFORE_DONE):
        return NodeKind.ASYNC_BEFORE
    if getattr(spec, "async_after_run", False) and not data.get(_ASYNC_AFTER_DONE):
        return NodeKind.ASYNC_AFTER
    return None


def _loop_counter(task: Any) -> int | None:
    parent = task.parent
    if parent is None or not isinstance(parent.task_spec, MultiInstanceBody):
        return None
    found = task.internal_data.get(LOOP_COUNTER)
    return found if isinstance(found, int) else None


def _path_taken(child: Any) -> bool:
    """A path the token took or will take: not a prediction, not a boundary event still
    waiting, not an activity its boundary event interrupted."""
    if child.has_state(_PREDICTED):
        return False
    if isinstance(child.task_spec, BoundaryEvent) and child.state == TaskState.WAITING:
        return False
    parent = child.parent
    return not (
        parent is not None
        and isinstance(parent.task_spec, BoundaryEventSplit)
        and child.has_state(TaskState.CANCELLED)
    )


def _parent_id(task: Any) -> str | None:
    """A boundary event that fired took its token from the activity it is attached to
    (SpiffWorkflow makes both children of one split): it is read as that activity's."""
    if task._parent is None:
        return None
    parent = task.parent
    if isinstance(task.task_spec, BoundaryEvent) and isinstance(
        parent.task_spec, BoundaryEventSplit
    ):
        for sibling in parent.children:
            if not isinstance(sibling.task_spec, BoundaryEvent):
                return str(sibling.id)
    return str(task._parent)


_PREDICTED = TaskState.MAYBE | TaskState.LIKELY


def _tree_order(workflow: Any) -> list[Any]:
    ordered, pending = [], [workflow.task_tree]
    while pending:
        task = pending.pop()
        ordered.append(task)
        pending.extend(reversed(task.children))
    return ordered


def _kind(spec: Any) -> NodeKind:
    if getattr(spec, "bpmn_id", None) is None:
        return NodeKind.INTERNAL
    if isinstance(spec, ExternalServiceTask | PassThroughTask | CatchWait | EventGatewayWait):
        return NodeKind(spec.activity_type)
    if isinstance(spec, EndEvent) and isinstance(spec.event_definition, TerminateEventDefinition):
        return NodeKind.TERMINATE_END_EVENT
    if isinstance(spec, MultiInstanceBody):
        return NodeKind.MULTI_INSTANCE_BODY
    if isinstance(spec, BoundaryEvent) and isinstance(spec.event_definition, ErrorEventDefinition):
        return NodeKind.BOUNDARY_ERROR
    if isinstance(spec, BoundaryEvent) and isinstance(spec.event_definition, ArmedEventDefinition):
        return BOUNDARY_KINDS[spec.event_definition.kind]
    if isinstance(spec, StartEvent) and isinstance(spec.event_definition, ArmedEventDefinition):
        return START_KINDS[spec.event_definition.kind]
    if (
        isinstance(spec, IntermediateThrowEvent | EndEvent)
        and isinstance(spec.event_definition, ArmedEventDefinition)
        and spec.event_definition.kind == "signal"
    ):
        end = isinstance(spec, EndEvent)
        return NodeKind.SIGNAL_END_EVENT if end else NodeKind.INTERMEDIATE_SIGNAL_THROW
    if (code_kind := _code_event_kind(spec)) is not None:
        return code_kind
    for spec_class, kind in _KINDS:
        if isinstance(spec, spec_class):
            return kind
    raise BpmnRunError(f"{spec.bpmn_id} is not an element this server runs")


_KINDS: tuple[tuple[type, NodeKind], ...] = (
    (UserTask, NodeKind.USER_TASK),
    (CalledProcessTask, NodeKind.CALL_ACTIVITY),
    (StartEvent, NodeKind.START_EVENT),
    (EndEvent, NodeKind.END_EVENT),
    (IntermediateThrowEvent, NodeKind.INTERMEDIATE_NONE_THROW_EVENT),
    (ParallelGateway, NodeKind.PARALLEL_GATEWAY),
    (InclusiveGateway, NodeKind.INCLUSIVE_GATEWAY),
    (ExclusiveGateway, NodeKind.EXCLUSIVE_GATEWAY),
    (SubWorkflowTask, NodeKind.SUB_PROCESS),
)


def _code_event_kind(spec: Any) -> NodeKind | None:
    """Camunda's ActivityTypes of the events throwing or catching an error or escalation
    (an error boundary event is read above)."""
    definition = getattr(spec, "event_definition", None)
    escalation = isinstance(definition, EscalationEventDefinition)
    if isinstance(spec, BoundaryEvent) and escalation:
        return NodeKind.BOUNDARY_ESCALATION
    if isinstance(spec, CodeThrowingEndEvent) and escalation:
        return NodeKind.ESCALATION_END_EVENT
    if isinstance(spec, CodeThrowingEndEvent) and isinstance(definition, ErrorEventDefinition):
        return NodeKind.ERROR_END_EVENT
    if isinstance(spec, CodeThrowingIntermediateEvent) and escalation:
        return NodeKind.INTERMEDIATE_ESCALATION_THROW_EVENT
    if isinstance(spec, StartEvent) and escalation:
        return NodeKind.ESCALATION_START_EVENT
    if isinstance(spec, StartEvent) and isinstance(definition, ErrorEventDefinition):
        return NodeKind.ERROR_START_EVENT
    return None


def _state(task: Any, kind: NodeKind) -> NodeState:
    if task.has_state(TaskState.COMPLETED | TaskState.ERROR):
        return NodeState.DONE
    if task.has_state(TaskState.CANCELLED):
        return NodeState.CANCELLED
    if task.has_state(TaskState.WAITING) and kind in _JOIN_KINDS:
        return NodeState.ARRIVED
    if (
        task.has_state(TaskState.WAITING)
        and kind in _BOUNDARY_KINDS | BOUNDARY_EVENT_KINDS | _STARTS
    ):
        return NodeState.AHEAD  # armed, holding no token of its own
    if kind is not NodeKind.INTERNAL and task.has_state(_LIVE_STATES):
        return NodeState.LIVE
    return NodeState.AHEAD


# A start event the run did not start at waits until the start join cancels it.
_STARTS = frozenset({NodeKind.START_EVENT, *START_KINDS.values()})
_JOIN_KINDS = frozenset({NodeKind.PARALLEL_GATEWAY, NodeKind.INCLUSIVE_GATEWAY})
_BOUNDARY_KINDS = frozenset({NodeKind.BOUNDARY_ERROR, NodeKind.BOUNDARY_ESCALATION})


def _merged(task: Any) -> bool:
    """A join that fired for more than one token: another arrival at the same gateway
    was absorbed (SpiffWorkflow cancels every arrival but the one that goes on)."""
    spec = task.task_spec
    if not isinstance(spec, ParallelGateway | InclusiveGateway) or len(spec.inputs) < 2:
        return False
    for other in task.workflow.tasks.values():
        if other is task or other.task_spec is not spec:
            continue
        if not other.has_state(TaskState.CANCELLED) or other.parent is None:
            continue
        if other.parent.has_state(TaskState.COMPLETED) and not (
            other.is_descendant_of(task) or task.is_descendant_of(other)
        ):
            return True
    return False


def _prune(workflow: Any) -> None:
    """Keep the root, the one task holding a token and what lies ahead of it; drop the
    rest. Nothing is dropped while several tokens (or a token waiting at a join) run:
    SpiffWorkflow's joins read the finished branches."""
    holding = [task for task in workflow.tasks.values() if task.has_state(_LIVE_STATES)]
    if len(holding) != 1:
        return
    (token,) = holding
    root = workflow.task_tree
    if token is root or token.parent is root:
        return
    keep = {root.id, *(task.id for task in _subtree(token))}
    token._parent = root.id
    root._children = [token.id]
    workflow.tasks = {task_id: task for task_id, task in workflow.tasks.items() if task_id in keep}
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = token


def _subtree(task: Any) -> list[Any]:
    found, pending = [], [task]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(current.children)
    return found


def _drop_finished_subprocesses(top: Any) -> None:
    """Sub-process workflows whose task is gone or finished (a loop through a
    sub-process would otherwise keep each pass)."""
    while True:
        gone = [
            task_id
            for task_id in top.subprocesses
            if (owner := _task_or_none(top, task_id)) is None
            or owner.has_state(TaskState.FINISHED_MASK)
        ]
        if not gone:
            return
        for task_id in gone:
            del top.subprocesses[task_id]


def _close_orphaned_subprocesses(top: Any) -> None:
    """Cancel what runs in sub-process workflows whose task is gone: a cancelled task drops
    its children without cancelling them (``Task.cancel``), so a multi-instance body an
    error interrupts leaves its running instances' workflows behind, which SpiffWorkflow
    would go on running (and fail to find their tasks). Their tokens leave as cancelled."""
    for task_id, workflow in list(top.subprocesses.items()):
        if workflow.completed or _task_or_none(top, task_id) is not None:
            continue
        for task in workflow.get_tasks():
            if not task.has_state(TaskState.FINISHED_MASK):
                task._set_state(TaskState.CANCELLED)
        workflow.completed = True


def _task_or_none(workflow: Any, task_id: UUID) -> Any:
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def _ancestry(task: Any) -> list[str]:
    """``task``'s id and its ancestors', crossing out of sub-process workflows (each
    crossing marked with :data:`SCOPE_MARK` and the sub-process task's id)."""
    found: list[str] = []
    current = task
    while current is not None:
        found.append(str(current.id))
        parent = current.parent
        workflow = current.workflow
        if parent is None and isinstance(workflow, BpmnSubWorkflow):
            found.append(f"{SCOPE_MARK}{workflow.parent_task_id}")
            parent = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
        current = parent
    return found


def _first_cause(error: BaseException) -> BaseException:
    seen: set[int] = set()
    current: BaseException = error
    while current.__cause__ is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current.__cause__, BpmnRunError):
            return current.__cause__
        current = current.__cause__
    return current


def dumps(state: dict[str, Any]) -> str:
    return json.dumps(state, separators=(",", ":"))


_CONFIG = {**DEFAULT_CONFIG, BpmnWorkflow: _ReusedSpecsConverter}
_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
