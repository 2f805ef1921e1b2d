"""Broadcasting a signal (Camunda's ``SignalEventReceivedCmd``, as ``POST /signal`` and a
signal throw event do): every signal subscription of that name fires, an instance's
waits (catch events, boundary events, gateway branches) and definitions' signal start
events alike, in the order they were made; nothing commits here."""

from __future__ import annotations

from dataclasses import dataclass

from taskvars.engine.events import fire_wait, start_by_event
from taskvars.persistence.models import EventSubscription, ScopeKind
from taskvars.persistence.unit_of_work import UnitOfWork
from taskvars.persistence.values import NewValue, ScopeRef


@dataclass(frozen=True)
class Tenants:
    """Whose subscriptions a signal reaches: every tenant's (``given`` false), else
    ``tenant_id``'s (``None``: those without a tenant), and with ``with_none`` those
    without a tenant too."""

    given: bool = False
    tenant_id: str | None = None
    with_none: bool = False

    @classmethod
    def thrown_by(cls, tenant_id: str | None) -> Tenants:
        """A signal throw event's (``ThrowSignalEventActivityBehavior``): its
        instance's tenant and those without one; an instance without a tenant reaches
        only those without one."""
        return cls(given=True, tenant_id=tenant_id, with_none=True)

    def admit(self, tenant_id: str | None) -> bool:
        return (
            not self.given or tenant_id == self.tenant_id or (self.with_none and tenant_id is None)
        )


def broadcast(
    uow: UnitOfWork,
    name: str,
    variables: dict[str, NewValue],
    tenants: Tenants,
    execution_id: str | None = None,
    *,
    business_key: str | None = None,
) -> None:
    """Fire every subscription to the signal ``name`` of the ``tenants``; with
    ``execution_id`` only that execution's waits (no start event then). ``variables``
    go to each instance started or moved on, ``business_key`` to each started (a
    signal throw event's ``camunda:in``)."""
    store = uow.store
    found = [
        subscription
        for subscription in store.event_subscriptions.named("signal", name)
        if tenants.admit(subscription.tenant_id)
        and (execution_id is None or subscription.execution_id == execution_id)
    ]
    # Read first, fired in turn: a wait fired before may have removed another (an
    # interrupting boundary event its activity's others).
    targets = [_target(subscription) for subscription in found]
    for target in targets:
        if target.instance is not None:
            # A suspended instance's subscriptions are not signalled (Camunda's
            # EventSubscription.xml selects active executions' only).
            if store.event_subscriptions.exists(
                target.pk
            ) and not store.process_instances.is_suspended(target.instance.pk):
                fire_wait(uow, target.instance, target.wait_key, variables=variables)
        else:
            definition = store.definitions.get(target.definition_id)
            if definition is not None:
                start_by_event(uow, definition, target.activity_id, variables, business_key)


class _Target:
    def __init__(self, subscription: EventSubscription) -> None:
        self.pk = subscription.pk
        self.wait_key = subscription.wait_key or ""
        self.activity_id = subscription.activity_id
        self.definition_id = subscription.process_definition_id or ""
        self.instance: ScopeRef | None = None
        if subscription.process_instance_pk is not None and subscription.process_instance_id:
            self.instance = ScopeRef(
                subscription.process_instance_pk,
                ScopeKind.PROCESS_INSTANCE,
                subscription.process_instance_id,
            )


def _target(subscription: EventSubscription) -> _Target:
    return _Target(subscription)
