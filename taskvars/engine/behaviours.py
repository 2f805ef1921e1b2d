"""What each kind of wait writes when a token enters it and removes when the token
leaves: one behaviour per kind, looked up by the element's kind (Camunda's
``*ActivityBehavior``: ``execute`` inserts the wait's row, ``signal`` leaves it).

A user task becomes a task row (and a historic task instance); an external task a row
workers fetch, in an execution of its own (a stood-in code task is one, or a follow-up of
the step); a running sub-process or multi-instance body has no row of its own (its scope
execution is the mapping's); a call activity starts its called instance. The kinds added
later (timers, messages) are new behaviours here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from taskvars.engine.async_points import AsyncPoint
from taskvars.engine.async_waits import AsyncContinuationBehaviour
from taskvars.engine.call_activities import (
    CallActivityModel,
    CallPort,
    StoredVariables,
    VariableSource,
    business_key,
    called_definition,
    mapped_values,
    pass_outputs,
)
from taskvars.engine.catch_events import CatchEventModel
from taskvars.engine.catch_waits import CatchWaitBehaviour
from taskvars.engine.code_sites import CodeSite
from taskvars.engine.error_events import ErrorVariables
from taskvars.engine.event_waits import EventGatewayBehaviour
from taskvars.engine.executions import Token, activity_instance_id
from taskvars.engine.expression_context import execution_view
from taskvars.engine.external_service_tasks import ExternalTaskModel, evaluate
from taskvars.engine.stand_in_runs import FollowUp, enter_code_task, run_listeners
from taskvars.engine.tree import ASYNC_KINDS, CATCH_KINDS, EXTERNAL_TASK_KINDS, NodeKind
from taskvars.engine.user_tasks import UserTaskModel, task_attributes
from taskvars.engine.variable_reader import ExecutionReader
from taskvars.errors import ModelRunError
from taskvars.persistence.deployments import ProcessDefinitionRecord
from taskvars.persistence.external_task_signals import announce
from taskvars.persistence.models import ExternalTask, IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import CallerLink, ScopeRef
from taskvars.services.dates import epoch_millis, now_millis
from taskvars.services.incidents import (
    FAILED_EXTERNAL_TASK,
    delete_incidents,
    resolve_incidents,
)
from taskvars.services.task_defaults import new_id

if TYPE_CHECKING:
    from taskvars.engine.activity_scopes import ActivityScopes

# Camunda's deleteReason of a historic task completed, or removed with its scope.
COMPLETED = "completed"
DELETED = "deleted"


@dataclass
class StepContext:
    """What the behaviours of one step act on."""

    uow: UnitOfWork
    instance_pk: int
    instance_id: str
    definition: ProcessDefinitionRecord
    user_tasks: Mapping[str, UserTaskModel]
    external_tasks: Mapping[str, ExternalTaskModel]
    reader: ExecutionReader
    # The historic deleteReason of tasks left without being completed: the instance was
    # deleted (by someone, or with its deployment).
    delete_reason: str = DELETED
    # Code run by stand-ins (taskvars.engine.stand_in_runs): code tasks by element id,
    # their camunda:properties, listeners by element id, follow-ups the step runs.
    code_tasks: Mapping[str, CodeSite] = field(default_factory=dict)
    code_task_properties: Mapping[str, dict[str, str]] = field(default_factory=dict)
    listeners: Mapping[str, list[CodeSite]] = field(default_factory=dict)
    error_variables: Mapping[str, ErrorVariables] = field(default_factory=dict)
    follow_ups: list[FollowUp] = field(default_factory=list)
    # The instance is being ended as a whole (deleted, or interrupted by its caller): no
    # listener runs (the REST API's deletions run none, as Camunda's with
    # skipCustomListeners).
    terminating: bool = False
    # The model's input/output mappings in this step; None: it has none.
    io: ActivityScopes | None = None
    # Of an instance ended as a whole: someone deletes it (its called instances end
    # EXTERNALLY_TERMINATED), rather than its caller interrupting it; in any other step a
    # call left uncompleted was interrupted (its called instance INTERNALLY_TERMINATED).
    deleting: bool = False
    call_activities: Mapping[str, CallActivityModel] = field(default_factory=dict)
    # The runtime's side of call activities (None: this step starts no call).
    calls: CallPort | None = None
    # Call activities whose called instance ended within this step (their task ids): the
    # step completes them once it has applied what it ran.
    finished_calls: list[str] = field(default_factory=list)
    # (activity instance id, its execution, called process instance id) for history, once
    # the step has written its activity instances.
    called: list[tuple[str, str, str]] = field(default_factory=list)
    # Call activities whose called instance raised a BPMN error they catch (task id, error
    # code, message): the step throws it from the call once it has applied what it ran.
    failed_calls: list[tuple[str, str, str | None]] = field(default_factory=list)
    # Whether the waiting task ``task id`` of the step's run catches ``error code``.
    catches: Callable[[str, str], bool] | None = None
    # Started by a call activity whose step is still running: offers it a BPMN error
    # nothing in this instance catches, with this instance's variables; True when the
    # call catches it (None: no such call).
    raises_to: Callable[[str, str | None, VariableSource], bool] | None = None
    # Otherwise: offers a caller waiting up the calls a BPMN error nothing in this
    # instance catches (error code, message); True when one catches it.
    raises_later: Callable[[str, str | None], bool] | None = None
    # By element id: the intermediate catch events, receive tasks and timer, message and
    # signal boundary events (catch_waits); whether any is armed beside a token
    # (event_waits: a boundary event, an event-based gateway's branch).
    catch_events: Mapping[str, CatchEventModel] = field(default_factory=dict)
    armed_beside: bool = False
    # Escalations, as the three above for errors: whether the waiting task catches a
    # code; offered to the call whose step is still running (True: it catches it); the
    # calls of this step that caught one (task id, code), thrown from once applied.
    catches_escalation: Callable[[str, str | None], bool] | None = None
    escalates_to: Callable[[str | None, VariableSource], bool] | None = None
    escalated_calls: list[tuple[str, str | None]] = field(default_factory=list)
    # By element id: the model's asynchronous continuations (their jobs' settings).
    async_points: Mapping[str, AsyncPoint] = field(default_factory=dict)


class Behaviour(Protocol):
    def enter(self, step: StepContext, token: Token) -> None: ...

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None: ...

    def move(self, step: StepContext, token: Token) -> None: ...


class UserTaskBehaviour:
    def enter(self, step: StepContext, token: Token) -> None:
        model = step.user_tasks.get(token.element_id or "")
        if model is None:  # the model check lets no other manual task through
            raise ModelRunError(f"{token.element_id} is not a user task this server runs")
        store = step.uow.store
        # A task with a mapping is a scope: its own execution, its inputs set there first.
        scope = None if step.io is None else step.io.open_task_scope(token)
        if scope is None:
            execution_id = token.execution_id
            execution_pk = step.reader.pk(execution_id)
            execution = execution_view(step, execution_id, model.element_id)
        else:
            execution_id, execution_pk = scope.external_id, scope.pk
            execution = execution_view(
                step,
                execution_id,
                model.element_id,
                [scope, *step.reader.chain(token.execution_id)],
            )
        attributes, candidates = task_attributes(model, execution.read, execution, token.task_id)
        attributes["process_definition_id"] = step.definition.id
        attributes["tenant_id"] = step.definition.tenant_id
        if execution_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a task has no row")
        task_pk = store.tasks.add(
            token.task_id, execution_pk, attributes, instance_pk=step.instance_pk
        )
        store.tasks.add_new_identity_links(task_pk, candidates)
        store.history.task_started(
            step.instance_id,
            token.task_id,
            execution_id,
            activity_instance_id(model.element_id, token.task_id),
            attributes,
        )
        run_listeners(step, step.listeners.get(model.element_id, []), "create", token.execution_id)

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        event = "complete" if completed else "delete"
        if not step.terminating:
            listeners = step.listeners.get(token.element_id or "", [])
            run_listeners(step, listeners, event, token.execution_id)
        store = step.uow.store
        reason = COMPLETED if completed else step.delete_reason
        found = store.tasks.as_it_ends(token.task_id)
        task_pk, attributes = found if found is not None else (None, None)
        store.history.task_ended(token.task_id, reason, now_millis(), attributes)
        if task_pk is not None:
            scope_pk = None if step.io is None else step.io.task_scope_pk(token)
            store.scopes.delete_tree(scope_pk or task_pk)

    def move(self, step: StepContext, token: Token) -> None:
        """The task follows its token into another execution (Camunda's ``moveTasksTo``
        when a concurrent execution is compacted into its scope)."""
        store = step.uow.store
        # A task with a mapping keeps its own execution, which moves.
        own_pk = None if step.io is None else step.io.task_scope_pk(token)
        task_pk = own_pk or store.scopes.pk(IdSpace.TASK, token.task_id)
        execution_pk = step.reader.pk(token.execution_id)
        if task_pk is not None and execution_pk is not None:
            store.scopes.reparent(task_pk, execution_pk)
        if own_pk is None:
            store.history.task_moved(token.task_id, token.execution_id)


class ExternalTaskBehaviour:
    """A service, send or business rule task with ``camunda:type="external"``: an
    external task row, in an execution of its own below the token's (Camunda's
    ``BpmnParse.parseExternalServiceTask`` makes the activity a scope: a worker's local
    variables land there and go with it)."""

    def enter(self, step: StepContext, token: Token) -> None:
        model = step.external_tasks.get(token.element_id or "")
        if model is None:  # code, run by its stand-in
            model = enter_code_task(step, token)
            if model is None:
                return
        store = step.uow.store
        parent_pk = step.reader.pk(token.execution_id)
        if parent_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a task has no row")
        execution_id = new_id()
        execution_pk = store.process_instances.add_execution(
            execution_id, parent_pk, instance_pk=step.instance_pk
        )
        # Inputs first: the topic and priority expressions see them (Camunda maps them
        # as the activity starts, before ExternalTaskActivityBehavior.execute).
        scope = ScopeRef(execution_pk, ScopeKind.EXECUTION, execution_id)
        if step.io is not None:
            step.io.write_inputs(token, scope)
        execution = execution_view(
            step,
            execution_id,
            model.element_id,
            [scope, *step.reader.chain(token.execution_id)],
        )
        attributes = evaluate(model, execution.read, execution)
        definition = step.definition
        store.external_tasks.add(
            ExternalTask(
                id=token.task_id,
                execution_pk=execution_pk,
                process_instance_pk=step.instance_pk,
                execution_id=execution_id,
                process_instance_id=step.instance_id,
                business_key=store.process_instances.business_key(step.instance_pk),
                activity_id=model.element_id,
                activity_instance_id=activity_instance_id(model.element_id, token.task_id),
                process_definition_id=definition.id,
                process_definition_key=definition.key,
                process_definition_version_tag=definition.version_tag,
                tenant_id=definition.tenant_id,
                topic_name=attributes.topic,
                priority=attributes.priority,
                create_time=epoch_millis(now_millis()),
                extension_properties=json.dumps(model.properties) if model.properties else None,
            )
        )
        announce(step.uow, [attributes.topic])  # parked fetches look once this commits

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        removed = step.uow.store.external_tasks.remove(token.task_id)
        if removed is None:
            # A stood-in code task with a mapping: its own execution goes with it.
            own_pk = step.uow.store.scopes.pk(IdSpace.EXECUTION, token.task_id)
            if own_pk is not None:
                step.uow.store.scopes.delete_tree(own_pk)
            return
        step.uow.store.scopes.delete_tree(removed.execution_pk)
        if removed.retries == 0:
            # Only a task without retries has an open incident. Completed, it is resolved;
            # cancelled or interrupted, deleted (ExternalTaskEntity's
            # deleteFromExecutionAndRuntimeTable(true) and delete()).
            if completed:
                resolve_incidents(step.uow, FAILED_EXTERNAL_TASK, token.task_id)
            else:
                delete_incidents(step.uow, FAILED_EXTERNAL_TASK, token.task_id)

    def move(self, step: StepContext, token: Token) -> None:
        store = step.uow.store
        task = store.external_tasks.get(token.task_id)
        parent_pk = step.reader.pk(token.execution_id)
        # No external task: a stood-in code task with a mapping has its own execution.
        own_pk = (
            task.execution_pk
            if task is not None
            else store.scopes.pk(IdSpace.EXECUTION, token.task_id)
        )
        if own_pk is not None and parent_pk is not None:
            store.scopes.reparent(own_pk, parent_pk)


class ScopeBehaviour:
    """A running sub-process: its scope execution is all it has."""

    def enter(self, step: StepContext, token: Token) -> None:
        if step.io is not None:
            step.io.enter_scope(token)  # the inputs of a sub-process begun in this step

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        return None

    def move(self, step: StepContext, token: Token) -> None:
        return None


def _raised_further(
    step: StepContext,
    model: CallActivityModel,
    chain: list[ScopeRef],
    code: str,
    message: str | None,
    called: VariableSource,
) -> bool:
    """A BPMN error this call does not catch goes on up to the call that started this
    instance (in this step, or waiting: then once this step is applied), as Camunda
    walks every super execution (``BpmnExceptionHandler.propagateError``), passing
    outputs at each level (``OutputVariablesPropagator``). Caught up there, that call's
    boundary event ends this instance with the call (``INTERNALLY_TERMINATED``)."""
    pass_outputs(step.uow, model, chain, called)
    if step.raises_to is None:
        return step.raises_later is not None and step.raises_later(code, message)
    instance = ScopeRef(step.instance_pk, ScopeKind.PROCESS_INSTANCE, step.instance_id)
    return step.raises_to(code, message, StoredVariables(step.uow, [instance]))


class CallActivityBehaviour:
    """A call activity: it starts an instance of the process it calls, in this unit of
    work (Camunda's ``CallActivityBehavior.startInstance``), and waits until that ends.
    Camunda makes the activity a scope (``BpmnParse.parseCallActivity``): its own
    execution below the token's, named by the token's task, is the called instance's
    ``superExecutionId`` and where ``local`` variables go."""

    def enter(self, step: StepContext, token: Token) -> None:
        model = step.call_activities.get(token.element_id or "")
        if model is None or step.calls is None:
            raise ModelRunError(f"{token.element_id} is not a call activity this server runs")
        store = step.uow.store
        parent_pk = step.reader.pk(token.execution_id)
        if parent_pk is None:
            raise RuntimeError(f"the execution {token.execution_id} of a call has no row")
        execution_pk = store.process_instances.add_execution(
            token.task_id, parent_pk, instance_pk=step.instance_pk
        )
        chain = [
            ScopeRef(execution_pk, ScopeKind.EXECUTION, token.task_id),
            *step.reader.chain(token.execution_id),
        ]
        variables = StoredVariables(step.uow, chain)
        read = variables.reader(local=False)
        execution = execution_view(step, token.task_id, model.element_id, chain)
        definition = called_definition(step.uow, model, step.definition, read, execution)
        values = mapped_values(model, model.inputs, variables, execution)
        root = store.process_instances.root_of(step.instance_pk) or step.instance_id
        caller = CallerLink(token.task_id, step.instance_id, root)

        def returns_to(called: VariableSource) -> None:
            # The called instance ended within this step: the caller takes its outputs
            # now and completes the call once the step is applied.
            pass_outputs(step.uow, model, chain, called)
            step.finished_calls.append(token.task_id)

        def raises_to(code: str, message: str | None, called: VariableSource) -> bool:
            # A BPMN error the called instance does not catch, raised within this step:
            # if the call catches it, outputs pass first (OutputVariablesPropagator), and
            # the step throws it from the call once applied.
            if step.catches is None or not step.catches(token.task_id, code):
                return _raised_further(step, model, chain, code, message, called)
            pass_outputs(step.uow, model, chain, called)
            step.failed_calls.append((token.task_id, code, message))
            return True

        def escalates_to(code: str | None, called: VariableSource) -> bool:
            # An escalation the called instance does not catch, thrown within this step:
            # if the call catches it, outputs pass first and the step throws it from the
            # call once applied (EscalationHandler, OutputVariablesPropagator).
            if step.catches_escalation is None or not step.catches_escalation(token.task_id, code):
                return False
            pass_outputs(step.uow, model, chain, called)
            step.escalated_calls.append((token.task_id, code))
            return True

        called_id = step.calls.start(
            definition,
            values,
            business_key(model, read, execution),
            caller,
            returns_to,
            raises_to,
            escalates_to=escalates_to,
        )
        step.called.append(
            (activity_instance_id(model.element_id, token.task_id), token.task_id, called_id)
        )

    def leave(self, step: StepContext, token: Token, *, completed: bool) -> None:
        """Cancelled, the call takes its called instance with it (Camunda deletes the
        sub-process instance with the super execution, ``PvmExecutionImpl.clearScope``:
        externally terminated when someone deletes the caller, else internally)."""
        store = step.uow.store
        if not completed:
            called = store.process_instances.called_by(token.task_id)
            if called is not None and step.calls is not None:
                step.calls.terminate(called, step.delete_reason, externally=step.deleting)
        execution_pk = store.scopes.pk(IdSpace.EXECUTION, token.task_id)
        if execution_pk is not None:
            store.scopes.delete_tree(execution_pk)

    def move(self, step: StepContext, token: Token) -> None:
        store = step.uow.store
        execution_pk = store.scopes.pk(IdSpace.EXECUTION, token.task_id)
        parent_pk = step.reader.pk(token.execution_id)
        if execution_pk is not None and parent_pk is not None:
            store.scopes.reparent(execution_pk, parent_pk)


BEHAVIOURS: Mapping[NodeKind, Behaviour] = {
    NodeKind.USER_TASK: UserTaskBehaviour(),
    NodeKind.CALL_ACTIVITY: CallActivityBehaviour(),
    NodeKind.SUB_PROCESS: ScopeBehaviour(),
    # Its execution and variables are the mapping's and multi_instance's.
    NodeKind.MULTI_INSTANCE_BODY: ScopeBehaviour(),
    **dict.fromkeys(EXTERNAL_TASK_KINDS | {NodeKind.SCRIPT_TASK}, ExternalTaskBehaviour()),
    **dict.fromkeys(CATCH_KINDS, CatchWaitBehaviour()),
    # Its branches' events are armed beside it (taskvars.engine.event_waits).
    NodeKind.EVENT_BASED_GATEWAY: EventGatewayBehaviour(),
    **dict.fromkeys(ASYNC_KINDS, AsyncContinuationBehaviour()),
}


def behaviour_of(kind: NodeKind) -> Behaviour:
    found = BEHAVIOURS.get(kind)
    if found is None:
        raise ModelRunError(f"a {kind.value} cannot wait in this server")
    return found
