"""Process instances of deployed models, run step by step in the request's transaction.

Every step takes one path:

1. **claim** the run's next revision before anything is written (optimistic lock: the
   loser of a race is a 409 before it reads what the winner changed);
2. **restore** the workflow onto the compiled specs, and the executions from the state;
3. **apply** the command (start, complete a user task) in SpiffWorkflow
   (:mod:`.adapter`), which reports the tasks it completed and the tree left;
4. **map** that onto Camunda's executions (:mod:`.executions`, pure);
5. let the **behaviours** remove the rows of the waits left (their task listeners run),
   make and end executions, write the multi-instance variables (:mod:`.multi_instance`),
   run the activities' execution listeners (:mod:`.stand_in_runs`), and write the rows
   of the waits entered (:mod:`.behaviours`; input mappings with them,
   :mod:`.activity_scopes`);
6. write **history** from the same changes (activity instances, the instance's end);
7. run what stage 5 left to do, each in turn through stages 3 to 6 again: call
   activities whose called instance ended or raised a BPMN error the call catches,
   then the stood-in code tasks (:func:`.stand_in_runs.settle`);
8. **save** the pruned state once, or **end** the instance, leaving the runtime tables.

A call activity starts its called instance within its caller's step (stage 5, through
:class:`_Calls`); a called instance that ends hands its outputs back and completes the
call, in a step of the caller's run claimed as any step is (the end of this module).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from taskvars.engine import conditional_events
from taskvars.engine.activity_scopes import ActivityScopes
from taskvars.engine.activity_tree import ActivityInstance, activity_tree
from taskvars.engine.adapter import BpmnRunError, WorkflowRun, dumps
from taskvars.engine.behaviours import DELETED, StepContext, behaviour_of
from taskvars.engine.call_activities import (
    CallActivityModel,
    StoredVariables,
    VariableSource,
    pass_outputs,
)
from taskvars.engine.event_subprocess_waits import fire_key, sync_event_subprocesses
from taskvars.engine.event_waits import move_attached, sync_attached
from taskvars.engine.executions import (
    Execution,
    ExecutionState,
    StepChanges,
    Token,
    activity_instance_id,
    map_step,
)
from taskvars.engine.expression_context import execution_view
from taskvars.engine.expressions import ExecutionView, ExpressionError
from taskvars.engine.multi_instance import StepLoops, write_loop_variables
from taskvars.engine.runnable_models import RunnableModel, runnable_model
from taskvars.engine.signal_payloads import signal_payloads_of
from taskvars.engine.stand_in_runs import activity_listeners, process_listeners, settle
from taskvars.engine.tree import NodeKind, RunSnapshot
from taskvars.engine.variable_reader import ExecutionReader
from taskvars.errors import InvalidRequestError, ModelRunError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.history import (
    COMPLETED,
    EXTERNALLY_TERMINATED,
    INTERNALLY_TERMINATED,
)
from taskvars.persistence.models import IdSpace, ScopeKind
from taskvars.persistence.process_runs import RunRecord
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import CallerLink, NewValue, ScopeRef
from taskvars.services import variables
from taskvars.services.dates import now_millis
from taskvars.services.incidents import FAILED_JOB, delete_incidents
from taskvars.services.task_defaults import new_id


class RunGoneError(RuntimeError):
    """A process instance a model ran has no run: it ended (or was deleted) since its
    task was read, or its state was lost."""


def start_request(dto: dict[str, Any]) -> dict[str, Any]:
    """``StartProcessInstanceDto``, refused for what this server cannot do: start
    elsewhere than at the start event, or within a case."""
    if dto.get("startInstructions"):
        raise InvalidRequestError("Start instructions are not supported by this server")
    if dto.get("caseInstanceId") is not None:
        raise InvalidRequestError("Cases are not supported by this server: caseInstanceId")
    return dto


def start(
    uow: UnitOfWork,
    definition: ProcessDefinitionRecord,
    dto: dict[str, Any],
    *,
    write_variables: Callable[[list[ScopeRef]], None] | None = None,
) -> dict[str, Any]:
    """Start a process instance of ``definition`` with ``StartProcessInstanceDto``'s
    variables and business key, run it to its first waits, and commit. Returns
    ``ProcessInstanceWithVariablesDto`` (``variables`` only if asked for).
    ``write_variables`` writes the variables instead (a submitted start form's), given
    the instance's chain before the instance runs."""
    business_key = dto.get("businessKey")
    started = start_instance(
        uow,
        definition,
        variables.convert_values(dto.get("variables")),
        business_key,
        with_variables=bool(dto.get("withVariablesInReturn")),
        write_variables=write_variables,
    )
    uow.commit()
    instance: dict[str, Any] = {
        "links": [],
        "id": started.instance_id,
        "definitionId": definition.id,
        "definitionKey": definition.key,
        "businessKey": business_key,
        "caseInstanceId": None,
        "ended": started.finished,
        "suspended": False,
        "tenantId": definition.tenant_id,
    }
    if started.variables is not None:
        instance["variables"] = started.variables
    return instance


@dataclass(frozen=True)
class ThrownSignal:
    """A signal a step threw, broadcast once the step is saved: with its thrower's
    tenant (the instances it reaches) and ``camunda:in`` payload."""

    name: str
    tenant_id: str | None
    values: dict[str, NewValue]
    business_key: str | None


@dataclass(frozen=True)
class Started:
    instance_id: str
    finished: bool
    variables: dict[str, Any] | None  # as at the start, when asked for


def start_instance(
    uow: UnitOfWork,
    definition: ProcessDefinitionRecord,
    values: dict[str, NewValue],
    business_key: str | None,
    *,
    with_variables: bool = False,
    write_variables: Callable[[list[ScopeRef]], None] | None = None,
    caller: CallerLink | None = None,
    returns_to: Callable[[VariableSource], None] | None = None,
    raises_to: Callable[[str, str | None, VariableSource], bool] | None = None,
    escalates_to: Callable[[str | None, VariableSource], bool] | None = None,
    start_event_id: str | None = None,
    thrown_to: list[ThrownSignal] | None = None,
) -> Started:
    """Start a process instance and run it to its first waits, without committing: a
    client's start, or a call activity's (``caller``; ``returns_to`` takes the called
    instance's variables if it ends within the caller's step; ``raises_to`` is offered
    a BPMN error nothing in it catches, raised meanwhile); ``start_event_id``: a message,
    signal or timer start event it starts at (:func:`.events.start_by_event`);
    ``thrown_to``: the caller's step, not saved yet, takes the signals thrown meanwhile
    and broadcasts them once it is (its own waits among the receivers)."""
    store = uow.store
    instance_id = new_id()
    instance_pk = store.process_instances.add(instance_id, business_key, definition.key, caller)
    conditional_events.unwatched(uow, instance_pk)
    model = _runnable(uow, definition.id, definition)
    step = _Step(uow, instance_pk, instance_id, model)
    step.returns_to = returns_to
    step.context.raises_to = raises_to
    step.context.escalates_to = escalates_to
    step.history_pk = store.history.started(
        instance_id,
        business_key,
        definition,
        now_millis(),
        start_event_id or model.start_activity_id,
        caller,
        scope_pk=instance_pk,
    )
    chain = [ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, instance_id)]
    if write_variables is None:
        variables.write_new_values(uow, chain[0], values)
    else:
        write_variables(chain)
    step.state = ExecutionState.initial(instance_id)
    process_listeners(step.context, definition.key, "start")
    try:
        run = WorkflowRun.start(
            step.model.compiled,
            step.read_for_conditions,
            step.context.io,
            step.execution_for_conditions,
            loops=step.loops,
            start_event=start_event_id,
        )
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    returned = None
    if with_variables:
        returned = variables.variable_map(uow, chain, deserialize=True)
    step.apply(run)
    if not run.finished and not step.raised:
        store.process_runs.add(instance_pk, definition.id, step.stored_state(run))
    if thrown_to is not None:
        thrown_to.extend(step.signals())
    else:
        step.broadcast_thrown()
    finished = run.finished or step.raised
    if (
        caller is None
        and not finished
        and conditional_events.dispatch(uow, instance_pk, instance_id)
    ):
        # A condition true as the instance (or one its calls started) started moved it
        # on: the answer says if it ended.
        finished = store.process_instances.get(instance_id) is None
    return Started(instance_id, finished, returned)


@dataclass(frozen=True)
class ClaimedRun:
    """A model's task whose run this transaction has claimed."""

    record: RunRecord
    model: RunnableModel
    instance: ScopeRef


def claim_for_task(uow: UnitOfWork, chain: list[ScopeRef]) -> ClaimedRun | None:
    """Claim the run of the task at ``chain[0]`` before anything is written for it;
    ``None`` for a task no deployed model runs (standalone, a subtask, a created tree)."""
    instance = chain[-1]
    if instance.kind is not ScopeKind.PROCESS_INSTANCE or chain[1].kind is ScopeKind.TASK:
        return None
    return claim_run(uow, instance)


def claim_run(uow: UnitOfWork, instance: ScopeRef) -> ClaimedRun | None:
    """Claim the run of a process instance before anything is written for it (a step
    racing this one is a 409 at once); ``None`` for an instance no deployed model runs."""
    store = uow.store
    record = store.process_runs.claim_current(instance.pk)
    if record is None:
        if store.history.is_model_instance(instance.external_id):
            # Its run is gone while its tasks are not: never remove a task silently.
            raise RunGoneError(f"the run of process instance {instance.external_id} is gone")
        return None
    return ClaimedRun(record, _runnable(uow, record.definition_id), instance)


def finish_task(uow: UnitOfWork, claimed: ClaimedRun, task_id: str) -> None:
    """Complete the claimed run's waiting task ``task_id`` (a user or an external task):
    the run moves on, and the tasks, executions and history follow."""
    step, run = _restored(uow, claimed)
    try:
        run.complete(task_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    step.finish(run)


def continue_async(uow: UnitOfWork, claimed: ClaimedRun, task_id: str) -> None:
    """The job of the continuation holding a token at ``task_id`` runs: the run moves on
    (see :meth:`.WorkflowRun.continue_async`). A failure (a condition's error, a stand-in
    or listener that fails) is raised for the job executor to record."""
    step, run = _restored(uow, claimed)
    try:
        run.continue_async(task_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    step.finish(run)


def fire_task(
    uow: UnitOfWork,
    claimed: ClaimedRun,
    wait_key: str,
    *,
    write: Callable[[list[ScopeRef]], None] | None = None,
    again: bool = True,
) -> None:
    """Fire the claimed run's wait ``wait_key``: a catch event or receive task its token
    waits at, or an armed boundary event of a waiting activity (:meth:`.WorkflowRun.fire`).
    ``write`` writes first, given the scopes seen from the token's execution (the
    activity's, for a boundary event), nearest first. Not ``again``: a non-interrupting
    boundary event is not armed again (a timer with no repetition left)."""
    step, run = _restored(uow, claimed)
    if (starting := fire_key(wait_key)) is not None:
        _start_event_subprocess(step, run, wait_key, starting, write, again=again)
        return
    if write is not None:
        tokens = step._state().tokens
        token = tokens.get(wait_key)
        if token is None:
            node = run.snapshot().node(wait_key)
            token = tokens.get(node.parent_id or "") if node is not None else None
        if token is None:
            raise ModelRunError(f"{wait_key} is not waiting in this process instance")
        write(step.context.reader.chain(token.execution_id))
    try:
        run.fire(wait_key, again=again)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    step.finish(run)


def _start_event_subprocess(
    step: _Step,
    run: WorkflowRun,
    wait_key: str,
    starting: tuple[str | None, str],
    write: Callable[[list[ScopeRef]], None] | None,
    *,
    again: bool,
) -> None:
    """Fire an event sub-process start armed in its scope (event_subprocess_waits): the
    variables written from the scope's execution, then the event sub-process starts. Not
    ``again``: a non-interrupting timer with no repetition left is not armed anew."""
    scope_id, start_event_id = starting
    state = step._state()
    execution_id = state.instance_id if scope_id is None else state.scopes.get(scope_id)
    if execution_id is None or (scope_id, start_event_id) not in run.event_subprocess_starts():
        raise ModelRunError(f"{wait_key} is not waiting in this process instance")
    if write is not None:
        write(step.context.reader.chain(execution_id))
    if not again:
        step.spent.add(wait_key)
    try:
        run.start_event_subprocess(scope_id, start_event_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    step.finish(run)


def throw_error(
    uow: UnitOfWork,
    claimed: ClaimedRun,
    task_id: str,
    error_code: str,
    error_message: str | None,
    thrower_chain: list[ScopeRef],
) -> None:
    """A BPMN error raised from the claimed run's waiting task ``task_id``: caught by a
    matching error boundary event (its ``camunda:errorCodeVariable`` and
    ``errorMessageVariable`` set from ``thrower_chain``, as Camunda sets them from the
    handling execution) or, uncaught, ending the token there (see
    :meth:`.WorkflowRun.throw_error`)."""
    step, run = _restored(uow, claimed)
    try:
        caught = run.catches(task_id, error_code)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    if not caught and _caught_by_a_caller(uow, claimed.instance, error_code, error_message):
        return
    _throw(uow, claimed.model, step, run, task_id, error_code, error_message, thrower_chain)


def _throw(
    uow: UnitOfWork,
    model: RunnableModel,
    step: _Step,
    run: WorkflowRun,
    task_id: str,
    error_code: str,
    error_message: str | None,
    thrower_chain: list[ScopeRef],
) -> None:
    try:
        catcher = run.throw_error(task_id, error_code)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    _error_variables(uow, model, catcher, error_code, error_message, thrower_chain)
    step.finish(run)


def _error_variables(
    uow: UnitOfWork,
    model: RunnableModel,
    catcher: str | None,
    error_code: str | None,
    error_message: str | None,
    thrower_chain: list[ScopeRef],
) -> None:
    """The catching event's ``camunda:errorCodeVariable`` and ``errorMessageVariable``."""
    names = model.error_variables.get(catcher or "")
    if names is not None:
        values = {
            name: value
            for name, value in ((names.code, error_code), (names.message, error_message))
            if name is not None
        }
        variables.write_values(
            uow,
            thrower_chain,
            variables.convert_values(
                {name: {"value": value, "type": "String"} for name, value in values.items()}
            ),
            local=False,
        )


def _restored(uow: UnitOfWork, claimed: ClaimedRun) -> tuple[_Step, WorkflowRun]:
    instance = claimed.instance
    stored = json.loads(claimed.record.state)
    step = _Step(uow, instance.pk, instance.external_id, claimed.model)
    if claimed.record.caller_read:
        step.caller = claimed.record.caller
    step.restore_history(stored)
    step.spent = set(stored.get("spent", ()))
    run = WorkflowRun.restore(
        step.model.compiled,
        stored.get("spiff", stored),
        step.read_for_conditions,
        step.context.io,
        step.execution_for_conditions,
        loops=step.loops,
    )
    step.state = (
        ExecutionState.from_dict(stored["camunda"])
        if "camunda" in stored
        else _state_before_mapping(uow, instance, run)
    )
    return step, run


def activity_instances(uow: UnitOfWork, instance: ScopeRef) -> ActivityInstance | None:
    """The activity instance tree of a model's running instance; ``None`` for an
    instance no deployed model runs."""
    record = uow.store.process_runs.get(instance.pk)
    if record is None:
        return None
    model = _runnable(uow, record.definition_id)
    stored = json.loads(record.state)
    if "camunda" in stored:
        state = ExecutionState.from_dict(stored["camunda"])
    else:
        run = WorkflowRun.restore(model.compiled, stored.get("spiff", stored), _no_conditions)
        state = _state_before_mapping(uow, instance, run)
    return activity_tree(
        state, model.definition.id, model.definition.name, model.compiled.activity_types
    )


def _no_conditions(ancestry: Sequence[str], names: frozenset[str]) -> dict[str, Any]:
    """A run restored only to be read evaluates no condition."""
    raise RuntimeError("a run restored for reading was asked to evaluate a condition")


def terminate(
    uow: UnitOfWork,
    instance_pk: int,
    instance_id: str,
    delete_reason: str | None = None,
    *,
    cancel_caller: bool = True,
    state: str = EXTERNALLY_TERMINATED,
) -> None:
    """End a process instance someone deletes: its run claimed first (a step racing it
    is a 409), its waits left as cancelled (tasks with ``delete_reason``, else Camunda's
    ``deleted``; activities cancelled; called instances deleted with it), the instance
    ``EXTERNALLY_TERMINATED`` with ``delete_reason``, its tree removed. An instance a
    call activity started takes that activity with it (``cancel_caller``), as Camunda's
    ``AbstractDeleteProcessInstanceCmd`` cancels the super execution's activity instance."""
    store = uow.store
    record = store.process_runs.claim_current(instance_pk)
    caller = None
    if cancel_caller:  # as the claim read it, else (no run) asked
        read = record is not None and record.caller_read
        caller = record.caller if read and record else store.process_instances.caller(instance_pk)
    if record is not None:
        stored = json.loads(record.state)
        if "camunda" in stored:  # a run stored before executions were kept has no history
            step = _Step(uow, instance_pk, instance_id, _runnable(uow, record.definition_id))
            step.restore_history(stored)
            step.context.delete_reason = delete_reason or DELETED
            step.context.terminating = True
            step.context.deleting = state == EXTERNALLY_TERMINATED
            step.state = ExecutionState.from_dict(stored["camunda"])
            step.cancel_waits()
    store.history.ended(instance_id, state, now_millis(), delete_reason=delete_reason)
    store.scopes.delete_tree(instance_pk)
    if caller is not None:
        _cancel_call(uow, caller, delete_reason)


class _NotRead:
    """A value not read yet."""


_NOT_READ = _NotRead()


class _Step:
    """One step of one process instance: the pipeline's stages 2 to 8."""

    def __init__(
        self, uow: UnitOfWork, instance_pk: int, instance_id: str, model: RunnableModel
    ) -> None:
        self.model = model
        # The instance's row in history (None: not recorded), kept in the run's state.
        self.history_pk: int | None = None
        # The executions as they stand: before the step while SpiffWorkflow runs it,
        # after it once mapped. Set by the caller (new, or restored from the state).
        self.state: ExecutionState | None = None
        # Signals thrown meanwhile by the instances this step's calls started, with the
        # tenant of each, broadcast with this step's own (broadcast_thrown).
        self.deferred: list[ThrownSignal] = []
        reader = ExecutionReader(uow, instance_pk, self._state)
        self.context = StepContext(
            uow,
            instance_pk,
            instance_id,
            model.definition,
            model.user_tasks,
            model.external_tasks,
            reader,
            code_tasks=model.code_tasks,
            code_task_properties=model.code_task_properties,
            listeners=model.listeners,
            error_variables=model.error_variables,
            call_activities=model.call_activities,
            calls=_Calls(uow, self.deferred),
            async_points=model.compiled.async_points,
            catch_events=model.catch_events,
            armed_beside=any(event.beside for event in model.catch_events.values()),
        )
        self.loops = StepLoops(uow, reader, self._state, self._execution_of)
        if model.io_mappings:
            self.context.io = ActivityScopes(
                uow, model.io_mappings, reader, self._state, instance_pk, model.definition
            )
        # Started by a call activity whose step is still running: where its outputs go
        # when it ends (None: a caller, if any, is resumed in a step of its own).
        self.returns_to: Callable[[VariableSource], None] | None = None
        # The call activity that started the instance, as the claim read it (_NOT_READ:
        # asked at the end, if the instance ends).
        self.caller: CallerLink | _NotRead | None = _NOT_READ
        # The instance ended with a BPMN error its caller's call activity caught.
        self.raised = False
        # A BPMN error a call of this step's passed on, that a waiting caller up the
        # calls catches once this step is applied (see :meth:`_raises_later`).
        self.raising: tuple[str, str | None] | None = None
        # Signals thrown in the step, broadcast once it is saved (broadcast_thrown),
        # each with its camunda:in variables and business key (signal_payloads).
        self.thrown: list[str] = []
        self.thrown_payloads: list[tuple[dict[str, NewValue], str | None]] = []
        # Event sub-process starts fired that are not armed again (event_subprocess_waits).
        self.spent: set[str] = set()
        # The scope tree's deletions in this unit of work when gone jobs were last looked
        # for (none: no job went with a scope).
        self._deletions_seen = 0
        self.context.raises_later = self._raises_later

    def read_for_conditions(self, ancestry: Sequence[str], names: frozenset[str]) -> dict[str, Any]:
        io = self.context.io
        pending = None if io is None else io.read_for_conditions(ancestry, names)
        if pending is not None:
            return pending
        execution_id = self._state().reading_from(ancestry)
        return self.context.reader.read(execution_id, names)

    def execution_for_conditions(
        self, ancestry: Sequence[str], activity_id: str | None
    ) -> ExecutionView:
        return execution_view(self.context, self._state().reading_from(ancestry), activity_id)

    def _execution_of(self, execution_id: str, activity_id: str | None) -> ExecutionView:
        return execution_view(self.context, execution_id, activity_id)

    def apply(self, run: WorkflowRun) -> None:
        """Apply what the run did; then what the step left to do, each applied in turn:
        the follow-ups of its stood-in code tasks (:func:`.stand_in_runs.settle`) and the
        call activities whose called instances ended meanwhile."""
        self.context.catches = run.catches
        self.context.catches_escalation = run.catches_escalation
        self.apply_once(run)
        context = self.context
        finished, failed = context.finished_calls, context.failed_calls
        escalated = context.escalated_calls
        # Raised: the instance ended with a BPMN error a call up the calls caught.
        while (
            (finished or failed or escalated or context.follow_ups)
            and not run.finished
            and not self.raised
        ):
            if not finished and not failed and not escalated:
                settle(self, run)
                continue
            try:
                if escalated:
                    self._escalate_from_call(run, *escalated.pop(0))
                elif finished:
                    ended = finished.pop(0)
                    if run.is_waiting(ended):  # an escalation may have interrupted it
                        run.complete(ended)
                else:
                    self._throw_from_call(run, *failed.pop(0))
            except BpmnRunError as error:
                raise ModelRunError(str(error)) from None
            self.apply_once(run)

    def _throw_from_call(
        self, run: WorkflowRun, task_id: str, error_code: str, error_message: str | None
    ) -> None:
        """A BPMN error its called instance raised, thrown from the call activity that
        catches it (the handling execution: the call's token's)."""
        chain = self.context.reader.chain(self._state().tokens[task_id].execution_id)
        catcher = run.throw_error(task_id, error_code)
        _error_variables(self.context.uow, self.model, catcher, error_code, error_message, chain)

    def _escalate_from_call(self, run: WorkflowRun, task_id: str, code: str | None) -> None:
        """An escalation its called instance threw, thrown from the call activity that
        catches it (a non-interrupting catch leaves the call waiting)."""
        chain = self.context.reader.chain(self._state().tokens[task_id].execution_id)
        catcher = run.throw_escalation(task_id, code)
        _error_variables(self.context.uow, self.model, catcher, code, None, chain)

    def raised_to_caller(
        self, run: WorkflowRun, error_code: str, error_message: str | None
    ) -> bool:
        """A BPMN error nothing in this instance catches, offered to the call activity
        that started it: in a step of the caller still running (``raises_to``), or up
        the waiting callers as a worker's error goes (:func:`_caught_by_a_caller`, from
        this step's state, saved first). Caught there, this instance ends
        ``INTERNALLY_TERMINATED``, its waits cancelled."""
        context = self.context
        if context.raises_to is None:
            instance = ScopeRef(
                context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id
            )
            if context.uow.store.process_instances.caller(context.instance_pk) is None:
                return False
            context.uow.store.process_runs.save_state(context.instance_pk, self.stored_state(run))
            if not _caught_by_a_caller(context.uow, instance, error_code, error_message):
                return False
            self._raised()
            return True
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        if not context.raises_to(
            error_code, error_message, StoredVariables(context.uow, [instance])
        ):
            return False
        self.cancel_waits()
        store = context.uow.store
        store.history.ended(context.instance_id, INTERNALLY_TERMINATED, now_millis())
        store.scopes.delete_tree(context.instance_pk)
        self._raised()
        return True

    def _raises_later(self, error_code: str, error_message: str | None) -> bool:
        """A BPMN error raised within this step by an instance a call of this step's
        started, which that call does not catch: when a caller waiting up the calls
        catches it, it goes there once this step's changes are applied (this instance's
        caller runs in a step of its own; :func:`_caught_by_a_caller`)."""
        context = self.context
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        if _catching_call(context.uow, instance, error_code) is None:
            return False
        self.raising = (error_code, error_message)
        return True

    def _raise_now(self, run: WorkflowRun) -> None:
        if self.raising is None:
            return
        error_code, error_message = self.raising
        self.raising = None
        context = self.context
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        context.uow.store.process_runs.save_state(context.instance_pk, self.stored_state(run))
        _caught_by_a_caller(context.uow, instance, error_code, error_message)
        self._raised()

    def _raised(self) -> None:
        self.context.follow_ups.clear()
        self.context.finished_calls.clear()
        self.raised = True

    def apply_once(self, run: WorkflowRun) -> None:
        """Map what SpiffWorkflow did in one step onto executions, waits and history."""
        snapshot = run.snapshot()
        self.thrown.extend(run.thrown)
        run.thrown.clear()
        throwers, run.thrown_by = run.thrown_by, []
        state, changes = map_step(
            self._state(), snapshot, run.completed, new_id, interrupted=run.interrupted
        )
        run.interrupted.clear()
        self._leave(changes)
        self.state = state
        if throwers:
            models = self.model.signal_payloads
            payloads = signal_payloads_of(self.context, models, changes, throwers)
            self.thrown_payloads.extend(payloads)
        move_attached(self.context, snapshot, state.tokens)
        self._executions(changes)
        self._loop_variables(snapshot, changes, run.completed)
        activity_listeners(
            self.context, changes.activities_started, changes.activities_ended, snapshot
        )
        self._enter(changes)
        sync_attached(self.context, snapshot, self._state().tokens)
        if self.model.event_subprocess_starts and not snapshot.finished:
            sync_event_subprocesses(
                self.context,
                self.model.event_subprocess_starts,
                run.event_subprocess_starts(),
                self._state(),
                self.spent,
            )
        model = self.model
        uow = self.context.uow
        deletions = uow.store.scopes.deletions
        if deletions != self._deletions_seen and (
            model.catch_events or model.event_subprocess_starts or model.compiled.async_points
        ):
            # A failed job gone with its scope's execution row takes its incident along
            # (Camunda's JobEntity.delete); disarm does so for the rows it removes itself.
            # Only a deletion of scopes in this unit of work can have taken a job along.
            self._deletions_seen = deletions
            for job_id in uow.store.incidents.of_gone_jobs(self.context.instance_pk, FAILED_JOB):
                delete_incidents(uow, FAILED_JOB, job_id)
        self._history(changes)
        self._caught_variables(run)
        self._escalate_now(run)
        if self.raised or self._raise_uncaught(run):
            return  # a caller's interrupting catch ended this instance
        for activity_instance, execution_id, called_id in self.context.called:
            self.context.uow.store.history.activity_called(
                activity_instance, execution_id, called_id
            )
        self.context.called.clear()
        if snapshot.finished:
            process_listeners(self.context, self.model.definition.key, "end")
            self._end()
        else:
            run.prune()
            self._raise_now(run)

    def _caught_variables(self, run: WorkflowRun) -> None:
        """The code (and message) variables of errors and escalations events threw and
        caught in the step, set from the process instance (``setVariable``: the
        variable where it is visible, else on the instance)."""
        context = self.context
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        for caught in run.caught:
            message = self.model.error_messages.get(caught.thrower_id)
            _error_variables(
                context.uow, self.model, caught.catcher_id, caught.code, message, [instance]
            )
        run.caught.clear()

    def _raise_uncaught(self, run: WorkflowRun) -> bool:
        """Errors error end events threw that nothing in this instance caught go up the
        calls (``BpmnExceptionHandler.propagateError`` walks the super executions), as a
        worker's error does (:meth:`raised_to_caller`); ``True``: a call caught one and
        this instance ended with it. Nobody catching, the end event ended its path."""
        uncaught, run.uncaught_errors = run.uncaught_errors, []
        for thrown in uncaught:
            message = self.model.error_messages.get(thrown.thrower_id)
            if self.raised_to_caller(run, thrown.code or "", message):
                return True
        return False

    def _escalate_now(self, run: WorkflowRun) -> None:
        """Escalations nothing in this instance caught go up the calls to the first call
        activity that catches them (Camunda's ``EscalationHandler`` walks the super
        executions, passing outputs on the way, ``OutputVariablesPropagator``), there in
        a step of the caller's own. An interrupting catch ends this instance with the
        call (its state saved first, as a BPMN error's raise does). A caller still in
        the step that started this instance takes it once that step is applied
        (``escalates_to``), as a BPMN error (``raises_to``)."""
        escalated, run.escalated = run.escalated, []
        context = self.context
        uow = context.uow
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        if context.escalates_to is not None:
            for thrown in escalated:
                context.escalates_to(thrown.code, StoredVariables(uow, [instance]))
            return
        if context.raises_to is not None:
            return
        for thrown in escalated:
            found = _catching_call(uow, instance, thrown.code, escalation=True)
            if found is None:
                continue
            caller, called = found
            uow.store.process_runs.save_state(context.instance_pk, self.stored_state(run))
            call = _waiting_call(uow, caller)
            pass_outputs(uow, call.model, call.chain, StoredVariables(uow, [called]))
            try:
                catcher = call.run.throw_escalation(call.token.task_id, thrown.code)
            except BpmnRunError as error:
                raise ModelRunError(str(error)) from None
            _error_variables(uow, call.claimed.model, catcher, thrown.code, None, call.chain[1:])
            call.step.finish(call.run)
            if uow.store.process_runs.get(context.instance_pk) is None:
                self._raised()  # the call was interrupted, and this instance with it
                return

    def finish(self, run: WorkflowRun) -> None:
        """Apply the step, then save the run's state unless it ended."""
        self.apply(run)
        if not run.finished and not self.raised:
            self.context.uow.store.process_runs.save_state(
                self.context.instance_pk, self.stored_state(run)
            )
        self.broadcast_thrown()

    def broadcast_thrown(self) -> None:
        """The signals the step threw, once its state is saved: every subscription of
        each, this instance's own too, as Camunda's ``ThrowSignalEventActivityBehavior``
        (in this transaction; a waiting instance's step runs in turn)."""
        thrown = self.signals()
        if not thrown:
            return
        from taskvars.engine.signals import Tenants, broadcast  # it runs steps here

        for signal in thrown:
            broadcast(
                self.context.uow,
                signal.name,
                signal.values,
                Tenants.thrown_by(signal.tenant_id),
                business_key=signal.business_key,
            )

    def signals(self) -> list[ThrownSignal]:
        """The signals thrown in the step and by the instances its calls started (each
        with its thrower's tenant and camunda:in payload), taken: the calls' first, as
        they were thrown first."""
        tenant_id = self.model.definition.tenant_id
        payloads = self.thrown_payloads
        own = [
            ThrownSignal(name, tenant_id, *(payloads[i] if i < len(payloads) else ({}, None)))
            for i, name in enumerate(self.thrown)
        ]
        thrown = [*self.deferred, *own]
        self.deferred.clear()
        self.thrown = []
        self.thrown_payloads = []
        return thrown

    def stored_state(self, run: WorkflowRun) -> str:
        stored: dict[str, Any] = {"spiff": run.state(), "camunda": self._state().to_dict()}
        stored["history"] = self.history_pk
        if self.spent:
            stored["spent"] = sorted(self.spent)
        return dumps(stored)

    def restore_history(self, stored: dict[str, Any]) -> None:
        """Tell history the instance's row, kept in the state (older states: looked up)."""
        history = self.context.uow.store.history
        if "history" in stored:
            self.history_pk = stored["history"]
            history.knows(
                self.context.instance_id, self.history_pk, scope_pk=self.context.instance_pk
            )
        else:
            self.history_pk = history.instance_pk(self.context.instance_id)

    def _state(self) -> ExecutionState:
        if self.state is None:
            raise RuntimeError("the step's executions are not restored yet")
        return self.state

    def _leave(self, changes: StepChanges) -> None:
        """The waits left, then the executions: new ones made and tokens moved into
        them before ended ones go (a compacted execution's task and sub-process move up
        first, or its deletion would take them along)."""
        context = self.context
        store = context.uow.store
        for token, completed in changes.left:
            behaviour_of(token.kind).leave(context, token, completed=completed)
        for child, scope in changes.compacted:
            child_pk, scope_pk = context.reader.pk(child), context.reader.pk(scope)
            if child_pk is not None and scope_pk is not None:
                store.variables.move_all(child_pk, scope_pk)

    def _executions(self, changes: StepChanges) -> None:
        context = self.context
        store = context.uow.store
        for execution in changes.created:
            parent_pk = self._pk(execution.parent_id)
            execution_pk = store.process_instances.add_execution(
                execution.id, parent_pk, instance_pk=context.instance_pk
            )
            context.reader.remember(execution.id, execution_pk)
        for execution in changes.reparented:
            store.scopes.reparent(self._pk(execution.id), self._pk(execution.parent_id))
        for token in changes.moved:
            behaviour_of(token.kind).move(context, token)
        for execution_id in changes.ended:
            pk = context.reader.pk(execution_id)
            if pk is not None:
                store.scopes.delete_tree(pk)
                context.reader.forget(execution_id)

    def _loop_variables(
        self, snapshot: RunSnapshot, changes: StepChanges, completed: Sequence[str]
    ) -> None:
        """Multi-instance bodies' counters and instances' loop variables (multi_instance)."""
        context = self.context
        try:
            write_loop_variables(
                context.uow,
                context.reader,
                self._state(),
                snapshot,
                changes,
                completed,
                self.model.compiled.loops,
                self._execution_of,
            )
        except ExpressionError as error:
            raise ModelRunError(str(error)) from None

    def _enter(self, changes: StepChanges) -> None:
        for token in changes.entered:
            behaviour_of(token.kind).enter(self.context, token)

    def cancel_waits(self) -> None:
        """Every wait left as cancelled, as when someone deletes the instance."""
        tokens = list(self._state().tokens.values())
        for token in tokens:
            behaviour_of(token.kind).leave(self.context, token, completed=False)
        self.context.uow.store.history.activities_ended(
            [activity_instance_id(t.element_id, t.task_id) for t in tokens if t.element_id],
            now_millis(),
            canceled=True,
        )

    def _history(self, changes: StepChanges) -> None:
        history = self.context.uow.store.history
        now = now_millis()
        ended = dict(changes.activities_ended)
        started = changes.activities_started
        history.activities_started(self.context.instance_id, started, now, ended)
        already = {activity.instance_id for activity in started}
        for canceled in (False, True):
            history.activities_ended(
                [i for i, was in ended.items() if was == canceled and i not in already],
                now,
                canceled=canceled,
            )

    def _end(self) -> None:
        """A process instance that ran to its end leaves the runtime; its variables stay
        in history as they were last written."""
        context = self.context
        store = context.uow.store
        store.history.ended(context.instance_id, COMPLETED, now_millis())
        instance = ScopeRef(context.instance_pk, ScopeKind.PROCESS_INSTANCE, context.instance_id)
        ended = StoredVariables(context.uow, [instance])
        if self.returns_to is not None:
            self.returns_to(ended)
        else:
            caller = self.caller
            if isinstance(caller, _NotRead):
                caller = store.process_instances.caller(context.instance_pk)
            if caller is not None:
                _return_to_caller(context.uow, caller, ended)
        store.scopes.delete_tree(context.instance_pk)

    def _pk(self, execution_id: str | None) -> int:
        pk = self.context.reader.pk(execution_id or self.context.instance_id)
        if pk is None:
            raise RuntimeError(f"the execution {execution_id} has no row")
        return pk


def definition_model(uow: UnitOfWork, definition: ProcessDefinitionRecord) -> RunnableModel:
    """The deployed model of ``definition``, ready to run (and to read its forms from)."""
    return _runnable(uow, definition.id, definition)


def _runnable(
    uow: UnitOfWork, definition_id: str, known: ProcessDefinitionRecord | None = None
) -> RunnableModel:
    def load() -> tuple[ProcessDefinitionRecord, bytes]:
        definition = known or uow.store.definitions.get(definition_id)
        xml = uow.store.definitions.xml(definition_id)
        if definition is None or xml is None:  # not deleted while it runs
            raise RuntimeError(f"the definition {definition_id} of a running instance is gone")
        return definition, xml

    return runnable_model(definition_id, load)


def _state_before_mapping(uow: UnitOfWork, instance: ScopeRef, run: WorkflowRun) -> ExecutionState:
    """The executions of a run stored before they were kept in its state: read back from
    the rows (an execution was then named by the SpiffWorkflow task that began it)."""
    store = uow.store
    rows = store.process_runs.executions_with_parents(instance.pk)
    executions = {instance.external_id: Execution(instance.external_id, None, False)}
    snapshot = run.snapshot()
    running_scopes = {
        node.id
        for tree in snapshot.workflows.values()
        for node in tree.live()
        if node.kind is NodeKind.SUB_PROCESS
    }
    for execution_id, parent_id in rows:
        executions[execution_id] = Execution(
            execution_id, parent_id or instance.external_id, execution_id not in running_scopes
        )
    tokens: dict[str, Token] = {}
    for task_id, execution_id, element_id in store.process_runs.tasks_with_executions(instance.pk):
        tokens[task_id] = Token(task_id, element_id, None, NodeKind.USER_TASK, execution_id)
    scopes = {}
    for scope_id in running_scopes & set(executions):
        parent = executions[scope_id].parent_id or instance.external_id
        tokens[scope_id] = Token(scope_id, None, None, NodeKind.SUB_PROCESS, parent)
        scopes[scope_id] = scope_id
    return ExecutionState(instance.external_id, executions, tokens, scopes)


# Call activities: the runtime's side (see taskvars.engine.call_activities).


def _caught_by_a_caller(
    uow: UnitOfWork, instance: ScopeRef, error_code: str, error_message: str | None
) -> bool:
    """A BPMN error nothing in its own instance catches goes up to the call activity
    that started it, and so on up the calls (Camunda's ``BpmnExceptionHandler`` walks the
    super executions, ``ActivityExecutionHierarchyWalker``). Where an error boundary event
    of a call activity catches it, the called instance's outputs are passed first
    (``OutputVariablesPropagator``), then the event interrupts the call, which ends the
    called instances below it (``INTERNALLY_TERMINATED``). ``False``: nobody up there
    catches it, and nothing was changed."""
    found = _catching_call(uow, instance, error_code)
    if found is None:
        return False
    _throw_at_call(uow, *found, error_code, error_message)
    return True


def _catching_call(
    uow: UnitOfWork, instance: ScopeRef, error_code: str | None, *, escalation: bool = False
) -> tuple[CallerLink, ScopeRef] | None:
    """The call up the calls above ``instance`` that catches ``error_code`` (an
    escalation's code with ``escalation``) and the instance it called; ``None``: nobody
    up there catches it. Changes nothing."""
    store = uow.store
    called, caller = instance, store.process_instances.caller(instance.pk)
    while caller is not None:
        calling_pk = store.scopes.pk(IdSpace.EXECUTION, caller.super_process_instance_id)
        if calling_pk is None:
            return None
        calling = ScopeRef(calling_pk, ScopeKind.PROCESS_INSTANCE, caller.super_process_instance_id)
        record = store.process_runs.get(calling.pk)
        if record is None:
            return None
        model = _runnable(uow, record.definition_id)
        stored = json.loads(record.state)
        looked = WorkflowRun.restore(model.compiled, stored.get("spiff", stored), _no_conditions)
        try:
            if escalation:
                caught = looked.catches_escalation(caller.super_execution_id, error_code)
            else:
                caught = looked.catches(caller.super_execution_id, error_code or "")
        except BpmnRunError:
            return None  # the call waits no more: nothing to catch it there
        if caught:
            return caller, called
        called, caller = calling, store.process_instances.caller(calling.pk)
    return None


def _throw_at_call(
    uow: UnitOfWork,
    caller: CallerLink,
    called: ScopeRef,
    error_code: str,
    error_message: str | None,
) -> None:
    call = _waiting_call(uow, caller)
    pass_outputs(uow, call.model, call.chain, StoredVariables(uow, [called]))
    handling = call.chain[1:]
    _throw(
        uow,
        call.claimed.model,
        call.step,
        call.run,
        call.token.task_id,
        error_code,
        error_message,
        handling,
    )


def _cancel_call(uow: UnitOfWork, caller: CallerLink, delete_reason: str | None) -> None:
    """The call activity whose called instance was deleted is cancelled; the calling
    instance, left with nothing else to do, is deleted too (a process instance
    modification cancelling its last activity instance cancels the instance)."""
    store = uow.store
    instance_id = caller.super_process_instance_id
    instance_pk = store.scopes.pk(IdSpace.EXECUTION, instance_id)
    if instance_pk is None:
        return
    claimed = claim_run(uow, ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, instance_id))
    if claimed is None:
        return
    step, run = _restored(uow, claimed)
    state = step._state()
    call = state.tokens.get(caller.super_execution_id)
    if call is None:
        return
    if _only_wait(state, call):
        # Claimed already in this transaction: terminate claims the next revision.
        terminate(uow, instance_pk, instance_id, delete_reason)
        return
    step.context.delete_reason = delete_reason or DELETED
    try:
        run.cancel(caller.super_execution_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    step.finish(run)


# Scopes that enclose a wait: a sub-process, a multi-instance body (whose last running
# instance cancelled cancels it, as its scope execution is left without children).
_ENCLOSING = frozenset({NodeKind.SUB_PROCESS, NodeKind.MULTI_INSTANCE_BODY})


def _only_wait(state: ExecutionState, token: Token) -> bool:
    """Whether ``token`` is the instance's only wait, in sub-processes holding nothing
    else: cancelling it empties each and then the instance, as Camunda cancels the
    topmost scope left without other children (``AbstractInstanceCancellationCmd``)."""
    path = set(state.path(token.execution_id))
    return all(
        other is token or (other.kind in _ENCLOSING and state.scopes.get(other.task_id) in path)
        for other in state.tokens.values()
    )


class _Calls:
    """The runtime's side of call activities (:class:`.CallPort`)."""

    def __init__(self, uow: UnitOfWork, thrown: list[ThrownSignal]) -> None:
        self._uow = uow
        self._thrown = thrown

    def start(
        self,
        definition: ProcessDefinitionRecord,
        values: dict[str, NewValue],
        business_key: str | None,
        caller: CallerLink,
        returns_to: Callable[[VariableSource], None],
        raises_to: Callable[[str, str | None, VariableSource], bool],
        escalates_to: Callable[[str | None, VariableSource], bool] | None = None,
    ) -> str:
        started = start_instance(
            self._uow,
            definition,
            values,
            business_key,
            caller=caller,
            returns_to=returns_to,
            raises_to=raises_to,
            escalates_to=escalates_to,
            thrown_to=self._thrown,
        )
        return started.instance_id

    def terminate(self, instance: ScopeRef, delete_reason: str, *, externally: bool) -> None:
        terminate(
            self._uow,
            instance.pk,
            instance.external_id,
            delete_reason if externally else None,
            cancel_caller=False,
            state=EXTERNALLY_TERMINATED if externally else INTERNALLY_TERMINATED,
        )


def _return_to_caller(uow: UnitOfWork, caller: CallerLink, ended: VariableSource) -> None:
    """A called instance ended in a step of its own: the caller takes its outputs and
    completes the call activity, a step of the caller's run, claimed as any step is
    (``PvmAtomicOperationProcessEnd``: outputs passed, then the super execution goes on)."""
    call = _waiting_call(uow, caller)
    pass_outputs(uow, call.model, call.chain, ended)
    try:
        call.run.complete(call.token.task_id)
    except BpmnRunError as error:
        raise ModelRunError(str(error)) from None
    call.step.finish(call.run)


@dataclass(frozen=True)
class _WaitingCall:
    claimed: ClaimedRun
    step: _Step
    run: WorkflowRun
    token: Token
    model: CallActivityModel
    # The call activity's own execution, then the scopes its token's execution sees.
    chain: list[ScopeRef]


def _waiting_call(uow: UnitOfWork, caller: CallerLink) -> _WaitingCall:
    """The caller's run, claimed and restored, at the call activity that waits for the
    called instance."""
    store = uow.store
    instance_id = caller.super_process_instance_id
    instance_pk = store.scopes.pk(IdSpace.EXECUTION, instance_id)
    claimed = None
    if instance_pk is not None:
        claimed = claim_run(uow, ScopeRef(instance_pk, ScopeKind.PROCESS_INSTANCE, instance_id))
    if claimed is None:
        raise RunGoneError(f"the run of the calling instance {instance_id} is gone")
    step, run = _restored(uow, claimed)
    token = step._state().tokens.get(caller.super_execution_id)
    model = claimed.model.call_activities.get(token.element_id or "") if token else None
    execution_pk = store.scopes.pk(IdSpace.EXECUTION, caller.super_execution_id)
    if token is None or model is None or execution_pk is None:
        raise RunGoneError(f"the call activity {caller.super_execution_id} waits no more")
    own = ScopeRef(execution_pk, ScopeKind.EXECUTION, caller.super_execution_id)
    chain = [own, *step.context.reader.chain(token.execution_id)]
    return _WaitingCall(claimed, step, run, token, model, chain)
