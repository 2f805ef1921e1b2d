"""Conditional events (Camunda's ``ConditionalEventDefinition``): an intermediate
conditional catch event or a conditional boundary event waits with an
``event_subscription`` row of type ``conditional``; its condition is evaluated when the
token arrives (an intermediate event only, ``IntermediateConditionalEventBehavior.execute``)
and whenever a variable of its instance is created, updated or deleted
(``ExecutionEntity.dispatchEvent``), filtered by ``camunda:variableName`` and
``camunda:variableEvents`` (``shouldEvaluateForVariableEvent``). A true condition fires
the wait (:func:`.events.fire_wait`).

Variable writes are noted as they happen (:func:`note_variable`) and dispatched just
before the unit of work commits, as Camunda delays variable events to the end of the
operation: the step that fires a wait may write variables in turn, which are dispatched
in a next round, a bounded number of rounds (Camunda evaluates once per variable event;
a model whose conditions keep firing each other would loop there too)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from taskvars.engine.catch_events import CatchEventModel, WaitKind
from taskvars.engine.expression_methods import ExecutionView
from taskvars.engine.expressions import ExpressionError, compile_expression
from taskvars.engine.variable_reader import reader_of, visible_values
from taskvars.errors import ModelRunError
from taskvars.persistence.models import EventSubscription, IdSpace, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import ScopeRef

# Session info keys: the variable events not dispatched yet; instances known to have
# (True) or not to have (False) conditional subscriptions in this unit of work.
_PENDING = "taskvars_conditional_pending"
logger = logging.getLogger(__name__)

_FIRED = "taskvars_conditional_fired"
KNOWN = "taskvars_conditional_instances"
# Rounds of dispatching in one unit of work before the rest is left undispatched.
MAX_ROUNDS = 32
# VariableListener's event names, as camunda:variableEvents lists them.
CREATE, UPDATE, DELETE = "create", "update", "delete"
_UNKNOWN = "Unknown property used in expression"


@dataclass(frozen=True)
class VariableEvent:
    """A variable ``name`` of the scope ``scope_pk`` in the instance ``instance_pk``
    was created, updated or deleted (``event``); or, ``name`` ``None``, the wait
    ``wait_key`` was just armed and its condition is to be evaluated whatever the
    variables."""

    instance_pk: int
    name: str | None
    event: str | None = None
    wait_key: str | None = None
    scope_pk: int | None = None

    def concerns(self, model: CatchEventModel, wait_key: str | None, scopes: set[int]) -> bool:
        """Whether it evaluates ``model``'s condition, waiting in an execution whose
        scopes are ``scopes``: Camunda dispatches a variable event to the executions at
        and below the scope that holds the variable (``ExecutionEntity.dispatchEvent``)."""
        if self.name is None:
            return self.wait_key == wait_key
        return (
            self.scope_pk in scopes
            and (model.variable_name is None or model.variable_name == self.name)
            and (not model.variable_events or self.event in model.variable_events)
        )


def watches(uow: UnitOfWork, chain: list[ScopeRef]) -> int | None:
    """The instance of ``chain`` if it has conditional waits (else ``None``): only then
    is a write there worth noting."""
    instance = next((s for s in chain if s.kind is ScopeKind.PROCESS_INSTANCE), None)
    if instance is None:
        return None
    known: dict[int, bool] = uow.scratch.setdefault(KNOWN, {})
    if instance.pk not in known:
        conditional = WaitKind.CONDITIONAL.value
        known[instance.pk] = uow.store.event_subscriptions.any_of_type(instance.pk, conditional)
    return instance.pk if known[instance.pk] else None


def note_variable(uow: UnitOfWork, instance_pk: int, scope_pk: int, name: str, event: str) -> None:
    """The variable ``name`` of the scope ``scope_pk`` was written (``event``). A task's
    own variables concern no condition (Camunda's ``TaskEntity.dispatchEvent``)."""
    _note(uow, VariableEvent(instance_pk, name, event, scope_pk=scope_pk))


def unwatched(uow: UnitOfWork, instance_pk: int) -> None:
    """A new instance: no conditional waits yet (its start variables need no query)."""
    uow.scratch.setdefault(KNOWN, {}).setdefault(instance_pk, False)


def watch(uow: UnitOfWork, instance_pk: int) -> None:
    """The instance has a conditional wait now: its writes are worth noting."""
    uow.scratch.setdefault(KNOWN, {})[instance_pk] = True


def fired_before(uow: UnitOfWork, instance_pk: int, element_id: str) -> bool:
    """Whether the conditional event ``element_id`` of the instance fired in this unit
    of work (armed again, it is a non-interrupting boundary event, its token now in a
    concurrent execution)."""
    fired: set[tuple[int, str]] = uow.scratch.get(_FIRED, set())
    return (instance_pk, element_id) in fired


def note_arrival(uow: UnitOfWork, instance_pk: int, wait_key: str) -> None:
    """The conditional wait ``wait_key`` was armed: evaluated before the commit."""
    watch(uow, instance_pk)
    _note(uow, VariableEvent(instance_pk, None, wait_key=wait_key))


def _note(uow: UnitOfWork, event: VariableEvent) -> None:
    pending: list[VariableEvent] | None = uow.scratch.get(_PENDING)
    if pending is None:
        pending = uow.scratch[_PENDING] = []
        uow.before_commit(lambda: _dispatch_all(uow))
    pending.append(event)


def _dispatch_all(uow: UnitOfWork) -> None:
    dispatch(uow)
    uow.scratch.pop(_PENDING, None)


def dispatch(uow: UnitOfWork, instance_pk: int | None = None, root_id: str | None = None) -> bool:
    """Evaluate the conditional waits the noted events concern (``instance_pk``: that
    instance's only, and with ``root_id``, its id, those of the instances its calls
    started; the others' left for later); fire those whose condition holds.
    Whether any event was pending. Raises :class:`ModelRunError` for a condition that
    cannot be evaluated (the unit of work then writes nothing)."""
    roots: dict[int, str | None] = {}

    def ours(event: VariableEvent) -> bool:
        if instance_pk in (None, event.instance_pk):
            return True
        if root_id is None:
            return False
        if event.instance_pk not in roots:
            roots[event.instance_pk] = uow.store.process_instances.root_of(event.instance_pk)
        return roots[event.instance_pk] == root_id

    dispatched = False
    for _ in range(MAX_ROUNDS):
        pending: list[VariableEvent] = uow.scratch.get(_PENDING) or []
        events = [e for e in pending if ours(e)]
        if not events:
            return dispatched
        dispatched = True
        pending[:] = [e for e in pending if e not in events]
        for each in dict.fromkeys(e.instance_pk for e in events):
            _dispatch_instance(uow, each, [e for e in events if e.instance_pk == each])
    left = [e for e in pending if ours(e)]
    if left:
        # A model whose conditions keep each other firing: the rest waits for the next
        # variable change rather than running the request for ever; said, not hidden.
        logger.warning(
            "conditional events of process instance(s) %s still changed variables after %d "
            "rounds in one request; their conditions are evaluated again at the next change",
            sorted({e.instance_pk for e in left}),
            MAX_ROUNDS,
        )
    pending[:] = [e for e in pending if not ours(e)]
    return dispatched


def _dispatch_instance(uow: UnitOfWork, instance_pk: int, events: list[VariableEvent]) -> None:
    from taskvars.engine import events as waits  # a cycle: events -> runtime -> here
    from taskvars.engine.runtime import definition_model

    store = uow.store
    for subscription in _subscriptions(uow, instance_pk):
        # A wait fired before may have removed this one (an interrupting boundary).
        if not store.event_subscriptions.exists(subscription.pk):
            continue
        definition = store.definitions.get(subscription.process_definition_id or "")
        if definition is None or subscription.process_instance_id is None:
            continue
        runnable = definition_model(uow, definition)
        model = runnable.catch_events.get(subscription.activity_id) or (
            runnable.event_subprocess_starts.get(subscription.activity_id)
        )
        if model is None or model.kind is not WaitKind.CONDITIONAL:
            continue
        chain = _chain(uow, subscription)
        scopes = {scope.pk for scope in chain}
        if not any(e.concerns(model, subscription.wait_key, scopes) for e in events):
            continue
        if store.process_instances.is_suspended(instance_pk):
            continue  # Camunda dispatches to active executions only
        if _holds(uow, subscription, model, chain):
            fired: set[tuple[int, str]] = uow.scratch.setdefault(_FIRED, set())
            fired.add((instance_pk, subscription.activity_id))
            instance = ScopeRef(
                instance_pk, ScopeKind.PROCESS_INSTANCE, subscription.process_instance_id
            )
            waits.fire_wait(uow, instance, subscription.wait_key or "")


def _chain(uow: UnitOfWork, subscription: EventSubscription) -> list[ScopeRef]:
    """The scopes whose variables the subscription's execution sees, nearest first."""
    execution_id = subscription.execution_id or subscription.process_instance_id or ""
    return uow.store.scopes.chain(IdSpace.EXECUTION, execution_id)


def _holds(
    uow: UnitOfWork,
    subscription: EventSubscription,
    model: CatchEventModel,
    chain: list[ScopeRef],
) -> bool:
    """Camunda's ``Condition.tryEvaluate`` in the subscription's execution: a variable
    nobody set makes it false; any other failure is the model's error."""
    execution_id = subscription.execution_id or subscription.process_instance_id or ""

    def read_local(name: str) -> object:
        return visible_values(uow, chain[:1], frozenset({name}))[name]

    view = ExecutionView(
        id=execution_id,
        process_instance_id=subscription.process_instance_id or "",
        process_definition_id=subscription.process_definition_id,
        activity_id=model.element_id,
        tenant_id=subscription.tenant_id,
        business_key=lambda: uow.store.process_instances.business_key(chain[-1].pk),
        read=reader_of(uow, chain),
        read_local=read_local,
    )
    try:
        expression = compile_expression(model.condition or "")
        return expression.evaluate_condition(view.read, execution=view)
    except ExpressionError as error:
        if str(error).startswith(_UNKNOWN):
            return False
        raise ModelRunError(f"{model.element_id}: {error}") from None


def _subscriptions(uow: UnitOfWork, instance_pk: int) -> list[EventSubscription]:
    return [
        s
        for s in uow.store.event_subscriptions.for_instance(instance_pk)
        if s.event_type == WaitKind.CONDITIONAL.value
    ]
